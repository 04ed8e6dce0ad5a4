#include "core/model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/model/mapped_source.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using json = nlohmann::json;
using model_internal::ShapeByteSize;

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("corrupt safetensors file ", path, ": ", what));
}

// Maps a safetensors dtype string to ours; UNIMPLEMENTED for the rest.
absl::StatusOr<DType> ParseDTypeFor(const std::string& path,
                                    const std::string& name,
                                    const std::string& dtype) {
  if (dtype == "F32") return DType::kF32;
  if (dtype == "F16") return DType::kF16;
  if (dtype == "BF16") return DType::kBF16;
  return absl::UnimplementedError(
      absl::StrCat(path, ": tensor '", name, "' has dtype ", dtype,
                   "; only F32, F16 and BF16 tensors are supported"));
}

// Reads a JSON array of non-negative integers.
bool ReadUnsignedArray(const json& j, std::vector<uint64_t>* out) {
  if (!j.is_array()) return false;
  out->clear();
  for (const json& v : j) {
    if (!v.is_number_unsigned()) return false;
    out->push_back(v.get<uint64_t>());
  }
  return true;
}

absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& path,
                                            const std::string& name,
                                            const json& j, uint64_t data_begin,
                                            uint64_t data_size) {
  if (!j.is_object())
    return Corrupt(path, absl::StrCat("'", name, "' is not an object"));
  const auto dt = j.find("dtype");
  const auto sh = j.find("shape");
  const auto off = j.find("data_offsets");
  if (dt == j.end() || !dt->is_string() || sh == j.end() || off == j.end()) {
    return Corrupt(path, absl::StrCat("tensor '", name,
                                      "' lacks dtype, shape or data_offsets"));
  }
  SafetensorsEntry e;
  e.info.name = name;
  ASSIGN_OR_RETURN(e.info.dtype,
                   ParseDTypeFor(path, name, dt->get<std::string>()));
  std::vector<uint64_t> dims, offsets;
  if (!ReadUnsignedArray(*sh, &dims)) {
    return Corrupt(path, absl::StrCat("tensor '", name,
                                      "': shape is not a list of naturals"));
  }
  for (uint64_t d : dims) {
    if (d > static_cast<uint64_t>(INT64_MAX)) {
      return Corrupt(path, absl::StrCat("tensor '", name, "': shape overflow"));
    }
    e.info.shape.push_back(static_cast<int64_t>(d));
  }
  if (!ReadUnsignedArray(*off, &offsets) || offsets.size() != 2 ||
      offsets[0] > offsets[1]) {
    return Corrupt(path, absl::StrCat("tensor '", name,
                                      "': data_offsets must be [begin, end]"));
  }
  uint64_t bytes = 0;
  if (!ShapeByteSize(e.info.shape, e.info.dtype, &bytes)) {
    return Corrupt(path, absl::StrCat("tensor '", name, "': shape overflow"));
  }
  if (offsets[1] > data_size) {
    return Corrupt(
        path, absl::StrCat("tensor '", name, "': data_offsets end ", offsets[1],
                           " beyond the data size ", data_size));
  }
  if (offsets[1] - offsets[0] != bytes) {
    return Corrupt(
        path,
        absl::StrCat("tensor '", name, "' holds ", offsets[1] - offsets[0],
                     " bytes but its shape and dtype need ", bytes));
  }
  e.offset = data_begin + offsets[0];
  e.size = bytes;
  return e;
}

absl::Status ParseMetadata(const std::string& path, const json& j,
                           std::map<std::string, std::string>* out) {
  if (!j.is_object()) return Corrupt(path, "__metadata__ is not an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) {
      return Corrupt(path, absl::StrCat("__metadata__ value for '", it.key(),
                                        "' is not a string"));
    }
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return absl::OkStatus();
}

// The format forbids holes and overlaps: sorted by offset, each tensor must
// start where the previous one ended and the last must end the file.
absl::Status CheckCoverage(const std::string& path, uint64_t data_begin,
                           uint64_t file_size,
                           std::vector<SafetensorsEntry>* entries) {
  std::sort(entries->begin(), entries->end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              if (a.offset != b.offset) return a.offset < b.offset;
              if (a.size != b.size) return a.size < b.size;
              return a.info.name < b.info.name;
            });
  uint64_t pos = data_begin;
  for (const SafetensorsEntry& e : *entries) {
    if (e.offset != pos) {
      return Corrupt(
          path, absl::StrCat("tensor '", e.info.name, "' starts at data byte ",
                             e.offset - data_begin,
                             " but the previous ends at ", pos - data_begin,
                             e.offset < pos ? " (overlap)" : " (hole)"));
    }
    pos += e.size;
  }
  if (pos != file_size) {
    return Corrupt(path, absl::StrCat("tensors cover ", pos - data_begin,
                                      " data bytes but the file holds ",
                                      file_size - data_begin));
  }
  return absl::OkStatus();
}

}  // namespace

const char* SafetensorsDTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(
    absl::Span<const uint8_t> file, const std::string& path) {
  if (file.size() < 8) return Corrupt(path, "shorter than 8 bytes");
  const uint64_t n = model_internal::LoadU64(file.data());
  if (n > file.size() - 8) {
    return Corrupt(path, absl::StrCat("header length ", n,
                                      " exceeds the file size ", file.size()));
  }
  if (n > kMaxSafetensorsHeaderBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": safetensors header of ", n, " bytes exceeds the limit of ",
        kMaxSafetensorsHeaderBytes));
  }
  const uint8_t* h = file.data() + 8;
  if (n == 0 || h[0] != '{')
    return Corrupt(path, "header is not a JSON object");
  const json j = json::parse(h, h + n, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Corrupt(path, "header is not valid JSON");
  }
  const uint64_t data_begin = 8 + n;
  const uint64_t data_size = file.size() - data_begin;
  SafetensorsHeader out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      RETURN_IF_ERROR(ParseMetadata(path, it.value(), &out.metadata));
      continue;
    }
    if (it.key().empty()) return Corrupt(path, "empty tensor name");
    ASSIGN_OR_RETURN(SafetensorsEntry e, ParseEntry(path, it.key(), it.value(),
                                                    data_begin, data_size));
    out.tensors.push_back(std::move(e));
  }
  RETURN_IF_ERROR(CheckCoverage(path, data_begin, file.size(), &out.tensors));
  return out;
}

absl::StatusOr<std::unique_ptr<ModelSource>> OpenSafetensorsFile(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file,
                   MappedFile::Open(path));
  ASSIGN_OR_RETURN(SafetensorsHeader header,
                   ParseSafetensorsHeader(
                       absl::MakeConstSpan(file->data(), file->size()), path));
  ModelMetadata meta;
  meta.source_format = "safetensors";
  if (!opts.tokenizer_path.empty()) {
    RETURN_IF_ERROR(
        model_internal::LoadExplicitTokenizer(opts.tokenizer_path, &meta));
  }
  std::vector<TensorInfo> infos;
  std::vector<model_internal::ByteRange> ranges;
  for (SafetensorsEntry& e : header.tensors) {
    ranges.push_back({0, e.offset, e.size});
    infos.push_back(std::move(e.info));
  }
  return std::unique_ptr<ModelSource>(new model_internal::MappedModelSource(
      {file}, std::move(infos), std::move(ranges), std::move(meta)));
}

absl::Status WriteSafetensors(
    const std::string& path,
    const std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>>&
        tensors,
    const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  uint64_t pos = 0;
  std::set<std::string> names;
  for (const auto& [info, bytes] : tensors) {
    if (info.name.empty() || info.name == "__metadata__" ||
        !names.insert(info.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WriteSafetensors ", path, ": empty, reserved or duplicate name '",
          info.name, "'"));
    }
    uint64_t need = 0;
    if (!ShapeByteSize(info.shape, info.dtype, &need) || need != bytes.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WriteSafetensors ", path, ": tensor '", info.name, "' has ",
          bytes.size(), " bytes, which does not match its shape and dtype"));
    }
    header[info.name] = {{"dtype", SafetensorsDTypeName(info.dtype)},
                         {"shape", info.shape},
                         {"data_offsets", {pos, pos + need}}};
    pos += need;
  }
  std::string text =
      header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  const uint64_t n = text.size();
  std::memcpy(len, &n, 8);
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> w,
                   AtomicFileWriter::Create(path));
  RETURN_IF_ERROR(w->Append(len, 8));
  RETURN_IF_ERROR(w->Append(text));
  for (const auto& t : tensors) {
    RETURN_IF_ERROR(w->Append(t.second.data(), t.second.size()));
  }
  return w->Commit();
}

}  // namespace seedlm
