// The sizes of a Llama-architecture model and the one check of them that
// every source goes through: the llama2.c header (llama2c_reader.cc), and the
// architecture config of a llama2.c model, a Hugging Face config.json or a
// .seedlm file's metadata (core/runtime/llama_config.cc).
//
// CheckLlamaDims bounds every field (the limits below, listed in
// docs/LIMITS.md), computes the products the runtime uses in 64 bits, and
// enforces the shape rules the forward pass relies on: n_heads divides dim
// when head_dim is derived, n_kv_heads divides n_heads, and head_dim is even
// (rotary embeddings rotate pairs of dimensions). The caller's numbers come
// from a file, so every violation is DATA_LOSS naming the source and the
// field. Thread-safe (no state).
#ifndef SEEDLM_CORE_MODEL_LLAMA_DIMS_H_
#define SEEDLM_CORE_MODEL_LLAMA_DIMS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seedlm {

// Largest accepted sizes. Each is far above today's largest Llama-style
// models (Llama-3.1-405B: dim 16384, MLP 53248, 126 layers, 128 heads of
// 128, vocabulary 128256, context 131072) and small enough that every
// product the runtime forms fits its integer types.
// Hidden size (dim); also bounds the attention width n_heads * head_dim.
inline constexpr int64_t kMaxLlamaDim = int64_t{1} << 16;
// MLP intermediate size (hidden_dim).
inline constexpr int64_t kMaxLlamaHiddenDim = int64_t{1} << 18;
// Transformer blocks (n_layers).
inline constexpr int64_t kMaxLlamaLayers = int64_t{1} << 12;
// Attention heads (n_heads, n_kv_heads).
inline constexpr int64_t kMaxLlamaHeads = int64_t{1} << 12;
// Dimensions per head (head_dim).
inline constexpr int64_t kMaxLlamaHeadDim = int64_t{1} << 12;
// Vocabulary (vocab_size).
inline constexpr int64_t kMaxLlamaVocab = int64_t{1} << 22;
// Trained context length (max_seq_len / max_position_embeddings). The KV
// cache grows with use, so a large value costs nothing until positions are
// written (kv_cache.h).
inline constexpr int64_t kMaxLlamaContext = int64_t{1} << 30;

struct LlamaDims {
  int64_t dim = 0;         // hidden size
  int64_t hidden_dim = 0;  // MLP intermediate size
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;  // 0: dim / n_heads
  int64_t vocab_size = 0;
  int64_t max_seq_len = 0;
};

// Fills in head_dim = dim / n_heads when it is 0, and checks `d`. DATA_LOSS
// "<where>: <field> ..." when a field is outside [1, its limit], n_heads does
// not divide dim (head_dim derived), n_kv_heads does not divide n_heads,
// head_dim is odd, or n_heads * head_dim exceeds kMaxLlamaDim.
absl::StatusOr<LlamaDims> CheckLlamaDims(LlamaDims d, absl::string_view where);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_LLAMA_DIMS_H_
