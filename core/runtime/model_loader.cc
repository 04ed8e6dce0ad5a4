#include "core/runtime/model_loader.h"

#include "absl/strings/str_cat.h"
#include "core/format/container.h"
#include "core/format/metadata_keys.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// A replacement tokenizer must belong to the model: the same rule as for a
// llama2.c checkpoint's tokenizer (exactly vocab_size tokens), and for
// tokenizer.json no id past the model's vocabulary.
absl::Status CheckTokenizerFits(const std::string& path, const Tokenizer& tok,
                                const std::string& format, int64_t vocab) {
  const int64_t n = tok.vocab_size();
  const bool exact = format == "llama2c-bin";
  if (exact ? n == vocab : n <= vocab) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--tokenizer ", path, " has ", n, " tokens, the model's vocabulary ",
      vocab, "; does it belong to this model?"));
}

}  // namespace

absl::StatusOr<LoadedModel> LoadModelAndTokenizer(
    const std::string& path, const std::string& tokenizer_path,
    bool need_tokenizer) {
  LoadedModel out;
  LoadModelOptions opt;
  opt.tokenizer_path = tokenizer_path;
  ASSIGN_OR_RETURN(out.model, LlamaModel::Load(path, opt));
  const ModelMetadata& meta = out.model->metadata();
  if (meta.tokenizer_format.empty()) {
    if (!need_tokenizer) return out;
    return absl::FailedPreconditionError(
        "the model carries no tokenizer (pass --tokenizer FILE when "
        "compressing or here)");
  }
  ASSIGN_OR_RETURN(out.tokenizer,
                   CreateTokenizer(meta.tokenizer_format, meta.tokenizer_data));
  if (!tokenizer_path.empty()) {
    RETURN_IF_ERROR(CheckTokenizerFits(tokenizer_path, *out.tokenizer,
                                       meta.tokenizer_format,
                                       out.model->config().vocab_size));
  }
  return out;
}

absl::StatusOr<std::string> ContainerPreset(const LlamaModel& model,
                                            const std::string& path) {
  if (model.file_kind() != "seedlm") return std::string();
  ASSIGN_OR_RETURN(auto reader, ContainerReader::Open(path));
  auto it = reader->metadata().find(kMetaPreset);
  return it == reader->metadata().end() ? std::string() : it->second;
}

}  // namespace seedlm
