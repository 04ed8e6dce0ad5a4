// The Llama forward pass in pieces, for servers and for executors that hold
// a contiguous range of layers (LoadModelOptions::layer_begin/layer_end):
//
//   Embed:     tokens -> hidden states (n x dim float32, row-major)
//   RunLayers: layers [begin, end) over the hidden states of n tokens at
//              positions pos .. pos + n - 1 of one sequence, in place,
//              reading and extending that sequence's KvCache
//   Head:      hidden states -> logits (n x vocab_size): final RMSNorm, then
//              the output matrix
//
// Embed, then RunLayers over [0, k), [k, m), ..., [.., n_layers), then Head
// gives bit for bit the logits of one RunLayers over all layers (and of
// LlamaSession::ForwardBatch) for any split, any batching of the positions
// and any thread count: the hidden states passed between the pieces are
// exactly the float32 residual stream, and each piece's arithmetic is fixed.
//
// The pass (the definition the executors follow):
//   x = embedding row of the token
//   per layer: h = RMSNorm(x) * attn_norm; q, k, v = Wq h, Wk h, Wv h;
//     rotary embedding of q and k at the token's position (interleaved pairs
//     for llama2.c, half split for Hugging Face; angle pos * theta^(-2i/d)
//     computed in double); k, v stored in the cache; per head, softmax of
//     q.k / sqrt(head_dim) over the positions up to the token's own (causal;
//     grouped-query: query head h reads kv head h / (n_heads / n_kv_heads));
//     x += Wo (attention); h = RMSNorm(x) * ffn_norm;
//     x += W2 (SiLU(W1 h) * (W3 h))
//   logits = Wout (RMSNorm(x) * final_norm)
// with RMSNorm(x) = x / sqrt(mean(x^2) + eps). Every matrix product is one
// MatMul over the n tokens (linear.h): row b of the result equals MatVec of
// token b, so results depend neither on n nor on the thread count.
//
// Thread-safety: a LlamaForward holds scratch buffers; one thread at a time.
// Any number of them may share one model (immutable), each with its own pool
// (or null) and its own caches.

#ifndef SEEDLM_CORE_RUNTIME_LLAMA_FORWARD_H_
#define SEEDLM_CORE_RUNTIME_LLAMA_FORWARD_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/llama_model.h"
#include "core/util/thread_pool.h"

namespace seedlm {

// The rows of one sequence in a batched pass: n >= 1 tokens at positions
// pos .. pos + n - 1, whose keys and values go to `cache` (not owned).
struct SequenceRows {
  KvCache* cache = nullptr;
  int pos = 0;
  int n = 0;
};

class LlamaForward {
 public:
  // `model` and `pool` (may be null: run on the calling thread) are not
  // owned and must outlive this object. The model may be partial: each
  // piece needs only its own part of it.
  LlamaForward(const LlamaModel* model, ThreadPool* pool);

  LlamaForward(const LlamaForward&) = delete;
  LlamaForward& operator=(const LlamaForward&) = delete;

  const LlamaModel& model() const { return *model_; }
  int dim() const { return c_.dim; }
  int vocab_size() const { return c_.vocab_size; }

  // hidden[t] = embedding row of tokens[t]; hidden is tokens.size() x dim().
  // INVALID_ARGUMENT for no token, a token outside the vocabulary or a
  // hidden span of the wrong size; FAILED_PRECONDITION when the model was
  // loaded without its embedding.
  absl::Status Embed(absl::Span<const int32_t> tokens,
                     absl::Span<float> hidden) const;

  // Runs layers [begin, end) in place over `hidden` (n x dim(), n >= 1
  // tokens at positions pos .. pos + n - 1 of the sequence whose cache is
  // `cache`), storing their keys and values in `cache` (positions from pos
  // on are overwritten). begin == end leaves everything unchanged.
  // INVALID_ARGUMENT for an empty hidden span or one that is not a multiple
  // of dim(), pos < 0, or begin > end; FAILED_PRECONDITION for a layer the
  // model did not load or the cache does not cover, or a cache layer that
  // holds fewer than pos positions; OUT_OF_RANGE when pos + n exceeds the
  // cache's capacity. On error neither hidden nor the cache has changed.
  absl::Status RunLayers(int begin, int end, int pos, absl::Span<float> hidden,
                         KvCache* cache);

  // RunLayers over several sequences at once (continuous batching): hidden
  // holds the rows of seqs[0], then seqs[1], ... (sum of n x dim()). Every
  // matrix product is one MatMul over all rows; attention is per sequence
  // over its own cache. Each row's result is bit-identical to RunLayers of
  // its sequence alone. Errors as RunLayers, checked for every sequence
  // before anything changes; INVALID_ARGUMENT also for no sequence, n < 1,
  // a null or repeated cache, or hidden rows that do not add up.
  absl::Status RunLayersBatch(int begin, int end,
                              absl::Span<const SequenceRows> seqs,
                              absl::Span<float> hidden);

  // logits[t] = output matrix x (RMSNorm(hidden[t]) * final_norm); hidden is
  // n x dim(), logits n x vocab_size(). INVALID_ARGUMENT for an empty hidden
  // span, one that is not a multiple of dim() or logits of the wrong size;
  // FAILED_PRECONDITION when the model was loaded without its head.
  absl::Status Head(absl::Span<const float> hidden, absl::Span<float> logits);

 private:
  void Resize(int n);
  absl::Status CheckLayers(int begin, int end) const;
  void SetRope(absl::Span<const SequenceRows> seqs);
  void Layer(int layer, absl::Span<const SequenceRows> seqs, int n, float* x);
  void Attention(int layer, int pos, int n, int row, const KvCache& cache);
  void Rope(float* v, int n_heads, int t) const;
  absl::StatusOr<int> Tokens(size_t hidden_size) const;

  const LlamaModel* model_;
  const LlamaConfig& c_;
  ThreadPool* pool_;
  int batch_ = 0;  // tokens the buffers below hold
  // Per token of the current batch, row-major.
  std::vector<float> xb_, q_, k_, v_, att_out_, h1_, h3_;
  std::vector<float> rope_cos_, rope_sin_;  // batch x head_dim / 2
  std::vector<float> scores_;               // n_heads x positions attended
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_FORWARD_H_
