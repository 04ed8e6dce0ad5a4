#include "core/model/model_source.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/model/gguf_reader.h"
#include "core/model/hf_chat_metadata.h"
#include "core/model/hf_checkpoint.h"
#include "core/model/llama2c_reader.h"
#include "core/model/mapped_source.h"
#include "core/model/safetensors.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// A safetensors file starts with a u64 header length followed by '{'.
bool LooksLikeSafetensors(const uint8_t* head, size_t n, uint64_t file_size) {
  if (n < 9 || head[8] != '{') return false;
  const uint64_t len = model_internal::LoadU64(head);
  return len >= 2 && len <= file_size - 8;
}

}  // namespace

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<std::vector<float>> ModelSource::ReadFloat32(size_t i) const {
  ASSIGN_OR_RETURN(const absl::Span<const uint8_t> raw, RawBytes(i));
  const DType t = tensors()[i].dtype;
  std::vector<float> out(raw.size() / DTypeSize(t));
  RETURN_IF_ERROR(ConvertToFloat32(t, raw, absl::MakeSpan(out)));
  return out;
}

absl::StatusOr<size_t> ModelSource::Find(absl::string_view name) const {
  const std::vector<TensorInfo>& t = tensors();
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].name == name) return i;
  }
  return absl::NotFoundError(absl::StrCat("no tensor named '", name, "'"));
}

absl::StatusOr<ModelFormat> DetectModelFormat(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), "cannot stat", path);
  if (!fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("no such model: ", path));
  }
  if (fs::is_directory(st)) return ModelFormat::kHfDirectory;
  if (!fs::is_regular_file(st)) {  // e.g. a FIFO: reading it could block
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is neither a regular file nor a directory"));
  }
  uint8_t head[28] = {};
  ASSIGN_OR_RETURN(const size_t n, ReadFileHead(path, head, sizeof(head)));
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), "cannot stat", path);
  if ((n >= 4 && std::equal(head, head + 4, "GGUF")) ||
      absl::EndsWith(path, ".gguf")) {
    return ModelFormat::kGguf;
  }
  if (absl::EndsWith(path, ".safetensors") ||
      LooksLikeSafetensors(head, n, size)) {
    return ModelFormat::kSafetensors;
  }
  if (absl::EndsWith(path, ".bin") &&
      LooksLikeLlama2cHeader(absl::MakeConstSpan(head, n))) {
    return ModelFormat::kLlama2c;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      " is not a supported model: expected a Hugging Face checkpoint "
      "directory (config.json + safetensors), a .safetensors file, a "
      "GGUF file, or a llama2.c .bin checkpoint"));
}

namespace {

// A source whose metadata has its chat template replaced
// (OpenModelOptions::chat_template_path); everything else is the inner's.
class ChatTemplateOverride : public ModelSource {
 public:
  ChatTemplateOverride(std::unique_ptr<ModelSource> inner,
                       std::string chat_template)
      : inner_(std::move(inner)), metadata_(inner_->metadata()) {
    metadata_.chat_template = std::move(chat_template);
  }
  const std::vector<TensorInfo>& tensors() const override {
    return inner_->tensors();
  }
  const ModelMetadata& metadata() const override { return metadata_; }
  absl::StatusOr<absl::Span<const uint8_t>> RawBytes(size_t i) const override {
    return inner_->RawBytes(i);
  }
  void ReleasePages(size_t i) const override { inner_->ReleasePages(i); }

 private:
  std::unique_ptr<ModelSource> inner_;
  ModelMetadata metadata_;
};

absl::StatusOr<std::unique_ptr<ModelSource>> OpenByFormat(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(const ModelFormat format, DetectModelFormat(path));
  switch (format) {
    case ModelFormat::kHfDirectory:
      return OpenHfCheckpoint(path, opts);
    case ModelFormat::kGguf:
      return OpenGguf(path, opts);
    case ModelFormat::kSafetensors:
      return OpenSafetensorsFile(path, opts);
    case ModelFormat::kLlama2c:
      return OpenLlama2c(path, opts);
  }
  return absl::InternalError("unknown model format");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelSource>> OpenModel(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> source,
                   OpenByFormat(path, opts));
  if (opts.chat_template_path.empty()) return source;
  ASSIGN_OR_RETURN(
      std::string chat_template,
      ReadFileToString(opts.chat_template_path, kMaxChatTemplateBytes));
  return std::unique_ptr<ModelSource>(
      new ChatTemplateOverride(std::move(source), std::move(chat_template)));
}

}  // namespace seedlm
