// One sequence's inference state over a shared LlamaModel: its KV cache and
// position, and the forward pass composed of the pieces of llama_forward.h
// (which documents the pass and its numerics):
//
//   ForwardBatch(tokens) = Head(RunLayers(0, n_layers, position(),
//                                         Embed(tokens)))
//
// over a batch of tokens at once (prompt prefill, perplexity windows) or one
// token (Forward, generation). Every matrix product is one MatMul over the
// batch, so the logits do not depend on how the tokens are batched nor on
// the thread count. Servers and executors that need the pieces themselves
// (a layer range, hidden states over a network) use LlamaForward and KvCache
// directly.
//
// Thread-safety: a session is used by one thread at a time. Sessions over
// the same model may run concurrently, each with its own pool (or null).

#ifndef SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_
#define SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/llama_forward.h"
#include "core/runtime/llama_model.h"
#include "core/util/thread_pool.h"

namespace seedlm {

class LlamaSession {
 public:
  // `model` and `pool` (may be null: run on the calling thread) are not
  // owned and must outlive the session. `context` is the KV cache's capacity
  // in positions (<= 0: the model's max_seq_len); the cache grows with use
  // up to it.
  LlamaSession(const LlamaModel* model, ThreadPool* pool, int context = 0);

  // Feeds `token` at position position() and returns the next-token logits
  // (vocab_size floats, valid until the next Forward/Reset).
  // INVALID_ARGUMENT for a token outside the vocabulary; OUT_OF_RANGE when
  // the context is full (Reset to start over); FAILED_PRECONDITION for a
  // model loaded without some of its parts (LoadModelOptions).
  absl::StatusOr<absl::Span<const float>> Forward(int32_t token);

  // Feeds `tokens` at positions position() .. position() + n - 1 in one
  // pass (prefill: every matrix product is one MatMul over the n tokens) and
  // returns their next-token logits, n x vocab_size row-major, valid until
  // the next call. Bit-identical to n calls of Forward. Errors as Forward
  // (nothing is consumed on error); INVALID_ARGUMENT for an empty span.
  absl::StatusOr<absl::Span<const float>> ForwardBatch(
      absl::Span<const int32_t> tokens);

  // Forgets the sequence (keeps the allocated cache).
  void Reset();
  int position() const { return pos_; }
  int context() const { return cache_.capacity(); }
  // The sequence's keys and values (all layers); e.g. cache().bytes().
  const KvCache& cache() const { return cache_; }

 private:
  LlamaForward forward_;  // holds the model
  KvCache cache_;
  int pos_ = 0;
  std::vector<float> hidden_, logits_;  // batch x dim, batch x vocab_size
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_
