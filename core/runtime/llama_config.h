// The Llama architecture's hyper-parameters and tensor names, read from the
// normalized "arch.config" JSON that every ModelSource and .seedlm file
// carries (model_source.h documents both shapes: llama2.c and Hugging Face).

#ifndef SEEDLM_CORE_RUNTIME_LLAMA_CONFIG_H_
#define SEEDLM_CORE_RUNTIME_LLAMA_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/hf_checkpoint.h"

namespace seedlm {

// How rotary embeddings pair up the dimensions of a head.
enum class RopeStyle {
  // llama2.c / Meta: pairs (2i, 2i+1).
  kInterleaved,
  // Hugging Face: pairs (i, i + head_dim/2) (its q/k weights are permuted
  // accordingly when converted from Meta's layout).
  kHalfSplit,
};

const char* RopeStyleName(RopeStyle s);

struct LlamaConfig {
  int dim = 0;         // hidden size
  int hidden_dim = 0;  // MLP intermediate size
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // divides n_heads (grouped-query attention)
  int head_dim = 0;    // usually dim / n_heads
  int vocab_size = 0;
  int max_seq_len = 0;  // context length the model was trained for
  float norm_eps = 1e-5f;
  double rope_theta = 10000.0;
  RopeStyle rope_style = RopeStyle::kInterleaved;
  // The output head is the token embedding matrix.
  bool tied_embeddings = true;
  // Tensor naming scheme: "llama2c" (Meta names) or "hf".
  std::string naming;
  // Name of the stored embedding tensor (HF tied models may store only
  // lm_head.weight).
  std::string embedding_tensor;
};

// Limits of the architecture config text (it wraps a config.json, as
// core/model/hf_checkpoint.h reads it, one level deeper); beyond them, or
// beyond kMaxJsonItems (core/util/json_util.h), RESOURCE_EXHAUSTED.
inline constexpr uint64_t kMaxArchConfigBytes = kMaxHfJsonBytes + 1024;
inline constexpr int kMaxArchConfigDepth = kMaxHfJsonDepth + 2;

// Accepted ranges of the config's floating-point fields (norm_eps /
// rms_norm_eps, rope_theta); outside is DATA_LOSS. The sizes are bounded by
// core/model/llama_dims.h.
inline constexpr double kMinNormEps = 1e-30;
inline constexpr double kMaxNormEps = 1.0;
inline constexpr double kMinRopeTheta = 1e-3;
inline constexpr double kMaxRopeTheta = 1e30;

// Parses `arch_config_json` of a model whose ModelMetadata::source_format is
// `source_format` ("llama2c" or "hf"); the text may come from a hostile file
// (a config.json, a .seedlm file's metadata), so it goes through the bounded
// JSON parse (core/util/json_util.h) and every member is type-checked. The
// sizes go through the one Llama size check (CheckLlamaDims,
// core/model/llama_dims.h: each within its limit, heads dividing dim when
// head_dim is derived, kv heads dividing heads, an even head_dim, products in
// range). DATA_LOSS for malformed JSON, a missing size, a member of the wrong
// type or out of range, or inconsistent sizes, naming the member;
// RESOURCE_EXHAUSTED for a config over the JSON limits; UNIMPLEMENTED for a
// valid model we cannot run (another architecture, rope_scaling, attention
// bias, an activation other than SiLU) or no config at all, naming the
// feature.
absl::StatusOr<LlamaConfig> ParseLlamaConfig(
    absl::string_view source_format, absl::string_view arch_config_json);

// OK if [begin, end) is a range of `config`'s layers (0 <= begin <= end <=
// n_layers), else INVALID_ARGUMENT naming it.
absl::Status CheckLayerRange(const LlamaConfig& config, int begin, int end);

// Stored tensor names for layer `layer` (or the model-level ones) in the
// naming scheme of `config`. `what` is one of: "attn_norm", "wq", "wk", "wv",
// "wo", "ffn_norm", "w1" (gate), "w2" (down), "w3" (up).
std::string LayerTensorName(const LlamaConfig& config, int layer,
                            absl::string_view what);
std::string FinalNormName(const LlamaConfig& config);
std::string OutputHeadName(const LlamaConfig& config);  // when not tied

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_CONFIG_H_
