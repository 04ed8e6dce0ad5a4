// Reader for llama2.c's legacy checkpoint format (run.c / export.py
// "version 0"): seven int32 header fields, then float32 weights.
//
// Header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative
// means the classifier is stored separately), seq_len. Weights, in file order:
// token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim],
// wk [L, kv_dim, dim], wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim],
// w1 [L, hidden, dim], w2 [L, dim, hidden], w3 [L, hidden, dim],
// rms_final [dim], freq_cis_real and freq_cis_imag [seq_len * head_size / 2]
// each, and wcls [vocab, dim] only when vocab_size was negative. The file size
// must match exactly.
//
// Tensors are exposed per layer with Meta's llama names, in file order:
//   tok_embeddings.weight, layers.{i}.attention_norm.weight (all i), then
//   layers.{i}.attention.wq/wk/wv/wo.weight, layers.{i}.ffn_norm.weight,
//   layers.{i}.feed_forward.w1/w2/w3.weight, norm.weight, and output.weight
//   only when unshared. The RoPE tables are skipped (they are derivable).
// So a model with L layers has 9 * L + 2 tensors (+1 when unshared).
#ifndef SEEDLM_CORE_MODEL_LLAMA2C_READER_H_
#define SEEDLM_CORE_MODEL_LLAMA2C_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/model/model_source.h"

namespace seedlm {

struct Llama2cConfig {
  int64_t dim = 0;
  int64_t hidden_dim = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t vocab_size = 0;  // always positive here
  int64_t seq_len = 0;
  bool shared_classifier = true;
};

// True if `head` (the first bytes of a file) could start a llama2.c
// checkpoint: at least 28 bytes with positive fields (vocab non-zero), or the
// magic of the newer llama2.c export versions (which OpenLlama2c rejects as
// UNIMPLEMENTED). Used by OpenModel's dispatch.
bool LooksLikeLlama2cHeader(absl::Span<const uint8_t> head);

// Validates the header against the whole file, before any allocation:
// DATA_LOSS for a size the one Llama check refuses (CheckLlamaDims,
// llama_dims.h: a field outside [1, its limit], n_heads not dividing dim,
// n_kv_heads not dividing n_heads, an odd head size), a file size that is not
// exactly what the header implies; UNIMPLEMENTED for the newer "ak42" export
// versions.
absl::StatusOr<Llama2cConfig> ParseLlama2cHeader(absl::Span<const uint8_t> file,
                                                 const std::string& path);

// The tokenizer OpenLlama2c attaches to `model_path` when none is given: the
// one regular file named tok*.bin (tokenizer.bin included) beside it, other
// than the model itself. "" when there is none; INVALID_ARGUMENT listing them
// when there are several (picking one, even tokenizer.bin, could silently
// pair the model with another's vocabulary); UNKNOWN when the directory
// cannot be listed. Also what an uploading client sends beside the model.
absl::StatusOr<std::string> FindDefaultLlama2cTokenizer(
    const std::string& model_path);

// Opens a llama2.c checkpoint. Tokenizer per OpenModelOptions (the tokenizer
// must hold exactly vocab_size entries, else INVALID_ARGUMENT).
absl::StatusOr<std::unique_ptr<ModelSource>> OpenLlama2c(
    const std::string& path, const OpenModelOptions& opts);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_LLAMA2C_READER_H_
