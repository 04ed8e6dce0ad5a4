// Loading a model together with its tokenizer, as every runtime entry point
// does (`seedlm generate`, `seedlm perplexity`, `seedlm-serve`): the model's
// own tokenizer (a checkpoint's default file, the one a .seedlm container
// embeds) or a replacement file that must fit the model's vocabulary.
#ifndef SEEDLM_CORE_RUNTIME_MODEL_LOADER_H_
#define SEEDLM_CORE_RUNTIME_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/runtime/llama_model.h"
#include "core/tokenizer/tokenizer.h"

namespace seedlm {

struct LoadedModel {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when not needed and absent
};

// Loads `path` and creates its tokenizer. `tokenizer_path`, when non-empty,
// replaces the model's own tokenizer; its vocabulary must fit the model's
// (a llama2.c tokenizer exactly vocab_size tokens, a tokenizer.json at most
// vocab_size): INVALID_ARGUMENT otherwise. FAILED_PRECONDITION when
// `need_tokenizer` and the model has none. Errors of LlamaModel::Load and
// CreateTokenizer otherwise.
absl::StatusOr<LoadedModel> LoadModelAndTokenizer(
    const std::string& path, const std::string& tokenizer_path,
    bool need_tokenizer);

// The compression preset the .seedlm file `path`, from which `model` was
// loaded, records ("" for a checkpoint or when absent). Errors of
// ContainerReader::Open.
absl::StatusOr<std::string> ContainerPreset(const LlamaModel& model,
                                            const std::string& path);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_MODEL_LOADER_H_
