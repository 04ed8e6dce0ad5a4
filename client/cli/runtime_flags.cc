#include "client/cli/runtime_flags.h"

#include "core/util/status_macros.h"

namespace seedlm::cli {
absl::StatusOr<LoadedModel> LoadModelWithTokenizer(const std::string& path,
                                                   const Args& args,
                                                   bool need_tokenizer) {
  return LoadModelAndTokenizer(path, args.Get("tokenizer"), need_tokenizer);
}

absl::StatusOr<int> ThreadsFlag(const Args& args) {
  ASSIGN_OR_RETURN(const int64_t threads,
                   args.GetIntIn("threads", 0, 0, kMaxThreadsFlag));
  return static_cast<int>(threads);
}

}  // namespace seedlm::cli
