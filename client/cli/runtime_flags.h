// Shared by `seedlm generate` and `seedlm perplexity`: loading a model with
// its tokenizer, and the flags' limits (each out-of-range value is
// INVALID_ARGUMENT, exit 2).
#ifndef SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_
#define SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/model_loader.h"
#include "core/tokenizer/tokenizer.h"

namespace seedlm::cli {

// --threads N: 0 (all cores) .. kMaxThreadsFlag worker threads.
inline constexpr int64_t kMaxThreadsFlag = 1024;
// generate --max-tokens N: 0 .. kMaxTokensFlag (generation also stops when
// the model's context is full).
inline constexpr int64_t kMaxTokensFlag = int64_t{1} << 24;
// perplexity --ctx N: 0 (the model's context) .. kMaxContextFlag; the model's
// own maximum is checked after loading.
inline constexpr int64_t kMaxContextFlag = int64_t{1} << 24;
// generate --temperature T: a finite number in 0 .. kMaxTemperatureFlag
// (far beyond it sampling is uniform in all but name).
inline constexpr double kMaxTemperatureFlag = 100.0;

using ::seedlm::LoadedModel;

// Loads `path` and creates its tokenizer. --tokenizer FILE, when given,
// replaces the model's own tokenizer for every kind of model (a checkpoint's
// default file, or the one a .seedlm container embeds); its vocabulary must
// fit the model's (a llama2.c tokenizer exactly vocab_size tokens, a
// tokenizer.json at most vocab_size): INVALID_ARGUMENT otherwise.
// FAILED_PRECONDITION when a tokenizer is needed and the model has none.
absl::StatusOr<LoadedModel> LoadModelWithTokenizer(const std::string& path,
                                                   const Args& args,
                                                   bool need_tokenizer);

// --threads N (0 or absent: all cores). INVALID_ARGUMENT outside
// 0..kMaxThreadsFlag.
absl::StatusOr<int> ThreadsFlag(const Args& args);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_RUNTIME_FLAGS_H_
