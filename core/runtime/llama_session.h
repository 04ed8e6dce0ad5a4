// One sequence's inference state over a shared LlamaModel: the KV cache and
// the forward pass, one token at a time.
//
// The forward pass (the definition the executors follow):
//   x = embedding row of the token
//   per layer: h = RMSNorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h;
//     rotary embedding of q and k at the token's position (interleaved pairs
//     for llama2.c, half split for Hugging Face; angle pos * theta^(-2i/d)
//     computed in double); k, v appended to the cache; per head, softmax of
//     q.k / sqrt(head_dim) over the cached positions (grouped-query: query
//     head h reads kv head h / (n_heads / n_kv_heads)); x += Wo (attention);
//     h = RMSNorm(x) * ffn_norm; x += W2 (SiLU(W1 h) * (W3 h))
//   logits = Wout (RMSNorm(x) * final_norm)
// with RMSNorm(x) = x / sqrt(mean(x^2) + eps). Every matrix product is
// MatVec (linear.h), so results do not depend on the thread count.
//
// Thread-safety: a session is used by one thread at a time. Sessions over
// the same model may run concurrently, each with its own pool (or null).

#ifndef SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_
#define SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/runtime/llama_model.h"
#include "core/util/thread_pool.h"

namespace seedlm {

class LlamaSession {
 public:
  // `model` and `pool` (may be null: run on the calling thread) are not
  // owned and must outlive the session. `context` limits the positions
  // (0: the model's max_seq_len). The KV cache grows with use.
  LlamaSession(const LlamaModel* model, ThreadPool* pool, int context = 0);

  // Feeds `token` at position position() and returns the next-token logits
  // (vocab_size floats, valid until the next Forward/Reset).
  // INVALID_ARGUMENT for a token outside the vocabulary; OUT_OF_RANGE when
  // the context is full (Reset to start over).
  absl::StatusOr<absl::Span<const float>> Forward(int32_t token);

  // Feeds `tokens` at positions position() .. position() + n - 1 in one
  // pass (prefill: every matrix product is one MatMul over the n tokens) and
  // returns their next-token logits, n x vocab_size row-major, valid until
  // the next call. Bit-identical to n calls of Forward. Errors as Forward
  // (nothing is consumed on error); INVALID_ARGUMENT for an empty span.
  absl::StatusOr<absl::Span<const float>> ForwardBatch(
      absl::Span<const int32_t> tokens);

  // Forgets the sequence (keeps the allocated cache).
  void Reset() { pos_ = 0; }
  int position() const { return pos_; }
  int context() const { return context_; }

 private:
  void Resize(int n);
  void Attention(int layer, int n);
  void Rope(float* v, int n_heads, int t) const;

  const LlamaModel* model_;
  const LlamaConfig& c_;
  ThreadPool* pool_;
  int context_;
  int pos_ = 0;
  int batch_ = 0;  // tokens the buffers below hold
  // Per token of the current batch, row-major.
  std::vector<float> x_, xb_, q_, k_, v_, att_out_, h1_, h3_, logits_;
  std::vector<float> rope_cos_, rope_sin_;             // batch x head_dim / 2
  std::vector<std::vector<float>> k_cache_, v_cache_;  // per layer
  std::vector<float> scores_;  // n_heads * context, grown with use
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_SESSION_H_
