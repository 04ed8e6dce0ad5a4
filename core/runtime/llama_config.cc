#include "core/runtime/llama_config.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/model/llama_dims.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// The one size check (llama_dims.h), then the fields into `c`.
absl::Status SetDims(const LlamaDims& given, absl::string_view where,
                     LlamaConfig* c) {
  ASSIGN_OR_RETURN(const LlamaDims d, CheckLlamaDims(given, where));
  // Every field is now at most 2^30: the narrowing is exact.
  c->dim = static_cast<int>(d.dim);
  c->hidden_dim = static_cast<int>(d.hidden_dim);
  c->n_layers = static_cast<int>(d.n_layers);
  c->n_heads = static_cast<int>(d.n_heads);
  c->n_kv_heads = static_cast<int>(d.n_kv_heads);
  c->head_dim = static_cast<int>(d.head_dim);
  c->vocab_size = static_cast<int>(d.vocab_size);
  c->max_seq_len = static_cast<int>(d.max_seq_len);
  return absl::OkStatus();
}

// norm_eps and rope_theta: finite, positive, and small enough for a float
// (eps) and a sane rotary base.
absl::Status ReadNumbers(const Json& j, const char* eps_key, double eps_default,
                         absl::string_view where, LlamaConfig* c) {
  ASSIGN_OR_RETURN(const std::optional<double> eps,
                   JsonOptNumber(j, eps_key, kMinNormEps, kMaxNormEps, where));
  c->norm_eps = static_cast<float>(eps.value_or(eps_default));
  ASSIGN_OR_RETURN(
      const std::optional<double> theta,
      JsonOptNumber(j, "rope_theta", kMinRopeTheta, kMaxRopeTheta, where));
  c->rope_theta = theta.value_or(10000.0);
  return absl::OkStatus();
}

absl::StatusOr<LlamaConfig> ParseLlama2c(const Json& j) {
  constexpr absl::string_view kWhere = "llama2.c arch config";
  LlamaConfig c;
  c.naming = "llama2c";
  c.rope_style = RopeStyle::kInterleaved;
  // The wide range here only types the values; CheckLlamaDims bounds them.
  constexpr int64_t kMax = INT64_MAX;
  LlamaDims d;
  ASSIGN_OR_RETURN(d.dim, JsonInt(j, "dim", 0, kMax, kWhere));
  ASSIGN_OR_RETURN(d.hidden_dim, JsonInt(j, "hidden_dim", 0, kMax, kWhere));
  ASSIGN_OR_RETURN(d.n_layers, JsonInt(j, "n_layers", 0, kMax, kWhere));
  ASSIGN_OR_RETURN(d.n_heads, JsonInt(j, "n_heads", 0, kMax, kWhere));
  ASSIGN_OR_RETURN(const std::optional<int64_t> kv,
                   JsonOptInt(j, "n_kv_heads", 0, kMax, kWhere));
  d.n_kv_heads = kv.value_or(d.n_heads);
  ASSIGN_OR_RETURN(d.vocab_size, JsonInt(j, "vocab_size", 0, kMax, kWhere));
  ASSIGN_OR_RETURN(d.max_seq_len, JsonInt(j, "max_seq_len", 0, kMax, kWhere));
  RETURN_IF_ERROR(SetDims(d, kWhere, &c));
  RETURN_IF_ERROR(ReadNumbers(j, "norm_eps", 1e-5, kWhere, &c));
  ASSIGN_OR_RETURN(const std::optional<bool> shared,
                   JsonOptBool(j, "shared_classifier", kWhere));
  c.tied_embeddings = shared.value_or(true);
  c.embedding_tensor = "tok_embeddings.weight";
  return c;
}

absl::Status CheckHfSupported(const Json& h, absl::string_view where) {
  ASSIGN_OR_RETURN(const std::string t, JsonString(h, "model_type", where));
  if (t != "llama" && t != "mistral") {
    return absl::UnimplementedError(
        absl::StrCat("model_type '", t, "' is not supported (llama, mistral)"));
  }
  for (const char* key : {"rope_scaling", "sliding_window"}) {
    ASSIGN_OR_RETURN(const Json* v, JsonFind(h, key, where));
    if (v != nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("config.json '", key, "' is not supported"));
    }
  }
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    ASSIGN_OR_RETURN(const std::optional<bool> on, JsonOptBool(h, key, where));
    if (on.value_or(false)) {
      return absl::UnimplementedError(
          absl::StrCat("config.json '", key, "' = true is not supported"));
    }
  }
  ASSIGN_OR_RETURN(const std::optional<std::string> act,
                   JsonOptString(h, "hidden_act", where));
  if (act.has_value() && *act != "silu") {
    return absl::UnimplementedError(absl::StrCat(
        "hidden_act '", act->substr(0, 64), "' is not supported (silu)"));
  }
  return absl::OkStatus();
}

// The sizes of a Hugging Face config.json; each member typed and bounded by
// its own limit so that messages name the config's key.
absl::StatusOr<LlamaDims> HfDims(const Json& h, absl::string_view where) {
  LlamaDims d;
  ASSIGN_OR_RETURN(d.dim, JsonInt(h, "hidden_size", 1, kMaxLlamaDim, where));
  ASSIGN_OR_RETURN(d.hidden_dim, JsonInt(h, "intermediate_size", 1,
                                         kMaxLlamaHiddenDim, where));
  ASSIGN_OR_RETURN(d.n_layers,
                   JsonInt(h, "num_hidden_layers", 1, kMaxLlamaLayers, where));
  ASSIGN_OR_RETURN(d.n_heads,
                   JsonInt(h, "num_attention_heads", 1, kMaxLlamaHeads, where));
  ASSIGN_OR_RETURN(
      const std::optional<int64_t> kv,
      JsonOptInt(h, "num_key_value_heads", 1, kMaxLlamaHeads, where));
  d.n_kv_heads = kv.value_or(d.n_heads);
  ASSIGN_OR_RETURN(d.vocab_size,
                   JsonInt(h, "vocab_size", 1, kMaxLlamaVocab, where));
  ASSIGN_OR_RETURN(
      const std::optional<int64_t> ctx,
      JsonOptInt(h, "max_position_embeddings", 1, kMaxLlamaContext, where));
  d.max_seq_len = ctx.value_or(2048);
  ASSIGN_OR_RETURN(const std::optional<int64_t> head_dim,
                   JsonOptInt(h, "head_dim", 1, kMaxLlamaHeadDim, where));
  d.head_dim = head_dim.value_or(0);  // 0: hidden_size / num_attention_heads
  return d;
}

absl::StatusOr<LlamaConfig> ParseHf(const Json& arch) {
  constexpr absl::string_view kArch = "hf arch config";
  constexpr absl::string_view kWhere = "config.json";
  ASSIGN_OR_RETURN(const Json* hf, JsonObject(arch, "hf_config", kArch));
  const Json& h = *hf;
  RETURN_IF_ERROR(CheckHfSupported(h, kWhere));
  LlamaConfig c;
  c.naming = "hf";
  c.rope_style = RopeStyle::kHalfSplit;
  ASSIGN_OR_RETURN(const LlamaDims d, HfDims(h, kWhere));
  RETURN_IF_ERROR(SetDims(d, kWhere, &c));
  RETURN_IF_ERROR(ReadNumbers(h, "rms_norm_eps", 1e-6, kWhere, &c));
  ASSIGN_OR_RETURN(const std::optional<bool> tie,
                   JsonOptBool(arch, "tie_word_embeddings", kArch));
  c.tied_embeddings = tie.value_or(false);
  c.embedding_tensor = "model.embed_tokens.weight";
  ASSIGN_OR_RETURN(const std::optional<std::string> holder,
                   JsonOptString(arch, "tied_embedding_tensor", kArch));
  if (c.tied_embeddings && holder.has_value()) c.embedding_tensor = *holder;
  return c;
}

}  // namespace

const char* RopeStyleName(RopeStyle s) {
  return s == RopeStyle::kInterleaved ? "interleaved" : "half-split";
}

absl::Status CheckLayerRange(const LlamaConfig& config, int begin, int end) {
  if (begin < 0 || begin > end || end > config.n_layers) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer range [", begin, ", ", end, ") is not within the model's ",
        config.n_layers, " layers"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LlamaConfig> ParseLlamaConfig(
    absl::string_view source_format, absl::string_view arch_config_json) {
  if (arch_config_json.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "the model (", source_format,
        ") carries no architecture config; only llama2.c and Hugging Face "
        "Llama checkpoints can run"));
  }
  ASSIGN_OR_RETURN(
      const Json j,
      ParseJson(arch_config_json, "architecture config",
                JsonLimits{kMaxArchConfigBytes, kMaxArchConfigDepth}));
  if (!j.is_object()) {
    return absl::DataLossError(absl::StrCat(
        "architecture config: expected an object, got ", JsonTypeName(j)));
  }
  if (source_format == "llama2c") return ParseLlama2c(j);
  if (source_format == "hf") return ParseHf(j);
  return absl::UnimplementedError(
      absl::StrCat("cannot run a model of source format '", source_format,
                   "' (llama2c, hf)"));
}

std::string LayerTensorName(const LlamaConfig& config, int layer,
                            absl::string_view what) {
  if (config.naming == "hf") {
    const std::string p = absl::StrCat("model.layers.", layer, ".");
    if (what == "attn_norm") return p + "input_layernorm.weight";
    if (what == "ffn_norm") return p + "post_attention_layernorm.weight";
    if (what == "wq") return p + "self_attn.q_proj.weight";
    if (what == "wk") return p + "self_attn.k_proj.weight";
    if (what == "wv") return p + "self_attn.v_proj.weight";
    if (what == "wo") return p + "self_attn.o_proj.weight";
    if (what == "w1") return p + "mlp.gate_proj.weight";
    if (what == "w2") return p + "mlp.down_proj.weight";
    if (what == "w3") return p + "mlp.up_proj.weight";
    return "";
  }
  const std::string p = absl::StrCat("layers.", layer, ".");
  if (what == "attn_norm") return p + "attention_norm.weight";
  if (what == "ffn_norm") return p + "ffn_norm.weight";
  if (what == "wq" || what == "wk" || what == "wv" || what == "wo") {
    return absl::StrCat(p, "attention.", what, ".weight");
  }
  if (what == "w1" || what == "w2" || what == "w3") {
    return absl::StrCat(p, "feed_forward.", what, ".weight");
  }
  return "";
}

std::string FinalNormName(const LlamaConfig& config) {
  return config.naming == "hf" ? "model.norm.weight" : "norm.weight";
}

std::string OutputHeadName(const LlamaConfig& config) {
  return config.naming == "hf" ? "lm_head.weight" : "output.weight";
}

}  // namespace seedlm
