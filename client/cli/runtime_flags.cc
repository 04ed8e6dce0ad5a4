#include "client/cli/runtime_flags.h"

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

// The tokenizer given with --tokenizer must belong to the model: the same
// rule as for a llama2.c checkpoint's tokenizer (exactly vocab_size tokens),
// and for tokenizer.json no id past the model's vocabulary.
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

absl::StatusOr<LoadedModel> LoadModelWithTokenizer(const std::string& path,
                                                   const Args& args,
                                                   bool need_tokenizer) {
  LoadedModel out;
  LoadModelOptions opt;
  opt.tokenizer_path = args.Get("tokenizer");
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
  if (!opt.tokenizer_path.empty()) {
    RETURN_IF_ERROR(CheckTokenizerFits(opt.tokenizer_path, *out.tokenizer,
                                       meta.tokenizer_format,
                                       out.model->config().vocab_size));
  }
  return out;
}

absl::StatusOr<int> ThreadsFlag(const Args& args) {
  ASSIGN_OR_RETURN(const int64_t threads,
                   args.GetIntIn("threads", 0, 0, kMaxThreadsFlag));
  return static_cast<int>(threads);
}

}  // namespace seedlm::cli
