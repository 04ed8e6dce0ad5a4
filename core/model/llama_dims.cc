#include "core/model/llama_dims.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(where, ": ", what));
}

absl::Status InRange(absl::string_view where, const char* field, int64_t v,
                     int64_t max) {
  if (v >= 1 && v <= max) return absl::OkStatus();
  return Bad(where, absl::StrCat(field, " ", v, " is outside [1, ", max, "]"));
}

}  // namespace

absl::StatusOr<LlamaDims> CheckLlamaDims(LlamaDims d, absl::string_view where) {
  RETURN_IF_ERROR(InRange(where, "dim", d.dim, kMaxLlamaDim));
  RETURN_IF_ERROR(
      InRange(where, "hidden_dim", d.hidden_dim, kMaxLlamaHiddenDim));
  RETURN_IF_ERROR(InRange(where, "n_layers", d.n_layers, kMaxLlamaLayers));
  RETURN_IF_ERROR(InRange(where, "n_heads", d.n_heads, kMaxLlamaHeads));
  RETURN_IF_ERROR(InRange(where, "n_kv_heads", d.n_kv_heads, kMaxLlamaHeads));
  RETURN_IF_ERROR(InRange(where, "vocab_size", d.vocab_size, kMaxLlamaVocab));
  RETURN_IF_ERROR(
      InRange(where, "max_seq_len", d.max_seq_len, kMaxLlamaContext));
  if (d.head_dim == 0) {
    if (d.dim % d.n_heads != 0) {
      return Bad(where, absl::StrCat("n_heads ", d.n_heads,
                                     " does not divide dim ", d.dim));
    }
    d.head_dim = d.dim / d.n_heads;
  }
  RETURN_IF_ERROR(InRange(where, "head_dim", d.head_dim, kMaxLlamaHeadDim));
  if (d.n_heads % d.n_kv_heads != 0) {
    return Bad(where, absl::StrCat("n_kv_heads ", d.n_kv_heads,
                                   " does not divide n_heads ", d.n_heads));
  }
  if (d.head_dim % 2 != 0) {
    return Bad(where, absl::StrCat("head_dim ", d.head_dim,
                                   " is odd (rotary embeddings need pairs)"));
  }
  // Both factors are at most 2^12: the product cannot overflow.
  if (d.n_heads * d.head_dim > kMaxLlamaDim) {
    return Bad(where, absl::StrCat("n_heads ", d.n_heads, " x head_dim ",
                                   d.head_dim, " exceeds ", kMaxLlamaDim));
  }
  return d;
}

}  // namespace seedlm
