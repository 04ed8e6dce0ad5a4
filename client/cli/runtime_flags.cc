#include "client/cli/runtime_flags.h"

#include "core/util/status_macros.h"

namespace seedlm::cli {

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
  return out;
}

absl::StatusOr<int> ThreadsFlag(const Args& args) {
  ASSIGN_OR_RETURN(long long threads, args.GetInt("threads", 0));
  if (threads < 0 || threads > 1024) {
    return absl::InvalidArgumentError("--threads must be in 0..1024");
  }
  return static_cast<int>(threads);
}

}  // namespace seedlm::cli
