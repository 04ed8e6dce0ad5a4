// Shared by `seedlm generate` and `seedlm perplexity`: loading a model with
// its tokenizer, and the --threads flag.
#ifndef SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_
#define SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "core/runtime/llama_model.h"
#include "core/tokenizer/tokenizer.h"

namespace seedlm::cli {

struct LoadedModel {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when `need_tokenizer` false
                                         // and the model carries none
};

// Loads `path` (--tokenizer FILE overrides a checkpoint's tokenizer) and
// creates the tokenizer it carries. FAILED_PRECONDITION when a tokenizer is
// needed and the model has none.
absl::StatusOr<LoadedModel> LoadModelWithTokenizer(const std::string& path,
                                                   const Args& args,
                                                   bool need_tokenizer);

// --threads N (0 or absent: all cores). INVALID_ARGUMENT outside 0..1024.
absl::StatusOr<int> ThreadsFlag(const Args& args);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_
