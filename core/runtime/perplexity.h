// The perplexity recipe (docs/QUALITY.md): how a text is scored, and the
// comparison of a model with a reference model on the same positions.
//
//  1. --max-chars N keeps the first N Unicode code points of the file.
//  2. The text is split into documents on "<|endoftext|>" (a text without it
//     is one document); each is stripped of leading/trailing ASCII
//     whitespace; empty documents are dropped.
//  3. Each document is tokenized with BOS and without EOS.
//  4. Every next token within a document is scored. A document longer than
//     ctx tokens is scored in consecutive windows of ctx tokens, each from a
//     fresh KV cache: window k holds tokens [k(ctx-1), k(ctx-1)+ctx), so the
//     first token of each later window (the last of the previous one)
//     serves only as context. Every token but a document's BOS is scored
//     exactly once.
//  5. nll = mean of -log p(token); perplexity = exp(nll). With a reference
//     model: kl_mean = mean over the scored positions of
//     KL(reference || model) = sum_v p_ref(v) (log p_ref(v) - log p(v)), and
//     top1_agree = fraction of positions where both argmaxes agree.
// All sums are in double, in position order: results do not depend on the
// thread count.

#ifndef SEEDLM_CORE_RUNTIME_PERPLEXITY_H_
#define SEEDLM_CORE_RUNTIME_PERPLEXITY_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/runtime/llama_model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct PerplexityResult {
  int64_t tokens = 0;  // scored positions
  int64_t documents = 0;
  int64_t windows = 0;
  double nll = 0;         // mean negative log-likelihood (nats)
  double perplexity = 0;  // exp(nll)
  bool has_reference = false;
  double kl_mean = 0;     // KL(reference || model), nats
  double top1_agree = 0;  // in [0, 1]
};

// Step 1: the first max_chars code points (max_chars <= 0: all).
// INVALID_ARGUMENT if the text is not valid UTF-8.
absl::StatusOr<std::string> FirstCodePoints(absl::string_view text,
                                            int64_t max_chars);

// Step 2.
std::vector<std::string> SplitDocuments(absl::string_view text);

// Steps 1-3. Errors from the tokenizer.
absl::StatusOr<std::vector<std::vector<int32_t>>> TokenizeForPerplexity(
    const Tokenizer& tokenizer, absl::string_view text, int64_t max_chars);

// Steps 4-5 over tokenized documents. `reference` may be null; it must have
// the same vocabulary size (INVALID_ARGUMENT otherwise). ctx <= 0 means the
// model's max_seq_len; ctx must be >= 2 and fit both models' context
// (INVALID_ARGUMENT). Token ids out of range: INVALID_ARGUMENT. A partial
// model (LoadModelOptions): FAILED_PRECONDITION. `pool` may be null.
// `cancel`, when set (not owned; another thread may set it at any time), is
// read before each window: once it is true, the call returns CANCELLED.
absl::StatusOr<PerplexityResult> ScoreDocuments(
    const LlamaModel& model, const LlamaModel* reference,
    const std::vector<std::vector<int32_t>>& documents, int ctx,
    ThreadPool* pool, const std::atomic<bool>* cancel = nullptr);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_PERPLEXITY_H_
