// Text generation: tokenize a prompt, run it through a session, then sample
// tokens one at a time, streaming the decoded text as it becomes final.
//
// Thread-safety: Generate is reentrant; each call has its own session.

#ifndef SEEDLM_CORE_RUNTIME_GENERATE_H_
#define SEEDLM_CORE_RUNTIME_GENERATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/sampler.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct GenerateOptions {
  int max_tokens = 256;  // tokens to generate at most (>= 0)
  SamplerOptions sampler;
  bool stop_at_eos = true;
  // When set (not owned; must outlive the call), read before the prompt's
  // forward pass and before each generated token's: once it is true,
  // Generate stops and returns CANCELLED (text already passed to on_text
  // stays delivered). Another thread may set it at any time.
  const std::atomic<bool>* cancel = nullptr;
};

struct GenerateResult {
  std::vector<int32_t> prompt_ids;  // BOS + the prompt's tokens
  std::vector<int32_t> ids;         // generated tokens (an EOS included)
  std::string prompt_text;          // the prompt as the tokenizer decodes it
  std::string text;                 // the generated text
  // "length" (max_tokens reached), "eos", or "context" (context full).
  std::string finish_reason;
  double prefill_seconds = 0;  // the prompt's forward passes
  double decode_seconds = 0;   // the generated tokens' forward passes
};

// Called with each piece of the prompt text (first) and then of the
// generated text, in order, as soon as it is final.
using TextCallback = std::function<void(bool is_prompt, absl::string_view)>;

// Generates from `prompt` (empty: BOS alone). INVALID_ARGUMENT for bad
// options, a prompt longer than the context, or a tokenizer whose vocabulary
// exceeds the model's; FAILED_PRECONDITION for a partial model
// (LoadModelOptions); CANCELLED (options.cancel); tokenizer errors. `pool`
// and `on_text` may be null.
absl::StatusOr<GenerateResult> Generate(const LlamaModel& model,
                                        const Tokenizer& tokenizer,
                                        absl::string_view prompt,
                                        const GenerateOptions& options,
                                        ThreadPool* pool,
                                        const TextCallback& on_text);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_GENERATE_H_
