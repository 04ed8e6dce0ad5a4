#include "core/model/safetensors_stream_writer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/model/mapped_source.h"
#include "core/model/safetensors.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// The header's JSON text (padded) and the data buffer's size, as
// WriteSafetensors lays them out.
absl::Status BuildHeader(const std::string& path,
                         const std::vector<TensorInfo>& tensors,
                         const std::map<std::string, std::string>& metadata,
                         std::string* text, uint64_t* data_bytes) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  uint64_t pos = 0;
  std::set<std::string> names;
  for (const TensorInfo& info : tensors) {
    if (info.name.empty() || info.name == "__metadata__" ||
        !names.insert(info.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors ", path, ": empty, reserved or duplicate ",
                       "name '", info.name, "'"));
    }
    uint64_t need = 0, end = 0;
    if (!model_internal::ShapeByteSize(info.shape, info.dtype, &need) ||
        !model_internal::CheckedAdd(pos, need, &end) ||
        end > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors ", path, ": tensor '", info.name,
                       "' has a negative or overflowing shape"));
    }
    header[info.name] = {{"dtype", SafetensorsDTypeName(info.dtype)},
                         {"shape", info.shape},
                         {"data_offsets", {pos, end}}};
    pos = end;
  }
  *text = DumpJson(header);
  text->append((8 - text->size() % 8) % 8, ' ');
  *data_bytes = pos;
  return absl::OkStatus();
}

}  // namespace

SafetensorsStreamWriter::~SafetensorsStreamWriter() = default;

absl::StatusOr<std::unique_ptr<SafetensorsStreamWriter>>
SafetensorsStreamWriter::Create(
    const std::string& path, const std::vector<TensorInfo>& tensors,
    const std::map<std::string, std::string>& metadata) {
  std::string text;
  uint64_t data_bytes = 0;
  RETURN_IF_ERROR(BuildHeader(path, tensors, metadata, &text, &data_bytes));
  std::unique_ptr<SafetensorsStreamWriter> w(
      new SafetensorsStreamWriter(data_bytes));
  ASSIGN_OR_RETURN(w->file_, AtomicFileWriter::Create(path));
  uint8_t len[8];
  const uint64_t n = text.size();
  std::memcpy(len, &n, 8);  // little-endian hosts only (as the readers)
  RETURN_IF_ERROR(w->file_->Append(len, 8));
  RETURN_IF_ERROR(w->file_->Append(text));
  return w;
}

absl::Status SafetensorsStreamWriter::CheckUsable() const {
  if (!failed_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("safetensors writer failed earlier: ", failed_.message()));
  }
  if (finished_) {
    return absl::FailedPreconditionError("safetensors writer already finished");
  }
  return absl::OkStatus();
}

absl::Status SafetensorsStreamWriter::Append(absl::Span<const uint8_t> bytes) {
  RETURN_IF_ERROR(CheckUsable());
  if (bytes.size() > data_bytes_ - appended_) {
    failed_ = absl::InvalidArgumentError(
        absl::StrCat("safetensors writer: ", bytes.size(),
                     " more bytes, but only ", data_bytes_ - appended_,
                     " of the tensors' ", data_bytes_, " bytes are left"));
    return failed_;
  }
  const absl::Status s = file_->Append(bytes.data(), bytes.size());
  if (!s.ok()) {
    failed_ = s;
    return s;
  }
  appended_ += bytes.size();
  largest_append_ = std::max<uint64_t>(largest_append_, bytes.size());
  return absl::OkStatus();
}

absl::Status SafetensorsStreamWriter::Finish() {
  RETURN_IF_ERROR(CheckUsable());
  if (appended_ != data_bytes_) {
    failed_ = absl::FailedPreconditionError(
        absl::StrCat("safetensors writer: ", appended_, " of the tensors' ",
                     data_bytes_, " bytes were written"));
    return failed_;
  }
  const absl::Status s = file_->Commit();
  if (!s.ok()) {
    failed_ = s;
    return s;
  }
  finished_ = true;
  return absl::OkStatus();
}

}  // namespace seedlm
