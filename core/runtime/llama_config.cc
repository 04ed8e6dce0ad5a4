#include "core/runtime/llama_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using json = nlohmann::json;

absl::StatusOr<int> GetInt(const json& j, const char* key, bool required,
                           int fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (!required) return fallback;
    return absl::InvalidArgumentError(
        absl::StrCat("model config lacks '", key, "'"));
  }
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 ||
      it->get<int64_t>() > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model config '", key, "' must be a positive integer"));
  }
  return static_cast<int>(it->get<int64_t>());
}

absl::StatusOr<double> GetNumber(const json& j, const char* key,
                                 double fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number() || !(it->get<double>() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model config '", key, "' must be a positive number"));
  }
  return it->get<double>();
}

absl::Status CheckShape(const LlamaConfig& c) {
  if (c.n_heads % c.n_kv_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "n_kv_heads ", c.n_kv_heads, " does not divide n_heads ", c.n_heads));
  }
  if (c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("head_dim ", c.head_dim, " is odd (rotary needs pairs)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LlamaConfig> ParseLlama2c(const json& j) {
  LlamaConfig c;
  c.naming = "llama2c";
  c.rope_style = RopeStyle::kInterleaved;
  ASSIGN_OR_RETURN(c.dim, GetInt(j, "dim", true, 0));
  ASSIGN_OR_RETURN(c.hidden_dim, GetInt(j, "hidden_dim", true, 0));
  ASSIGN_OR_RETURN(c.n_layers, GetInt(j, "n_layers", true, 0));
  ASSIGN_OR_RETURN(c.n_heads, GetInt(j, "n_heads", true, 0));
  ASSIGN_OR_RETURN(c.n_kv_heads, GetInt(j, "n_kv_heads", false, c.n_heads));
  ASSIGN_OR_RETURN(c.vocab_size, GetInt(j, "vocab_size", true, 0));
  ASSIGN_OR_RETURN(c.max_seq_len, GetInt(j, "max_seq_len", true, 0));
  ASSIGN_OR_RETURN(double eps, GetNumber(j, "norm_eps", 1e-5));
  c.norm_eps = static_cast<float>(eps);
  ASSIGN_OR_RETURN(c.rope_theta, GetNumber(j, "rope_theta", 10000.0));
  if (c.dim % c.n_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("n_heads ", c.n_heads, " does not divide dim ", c.dim));
  }
  c.head_dim = c.dim / c.n_heads;
  const auto shared = j.find("shared_classifier");
  c.tied_embeddings =
      shared == j.end() || !shared->is_boolean() || shared->get<bool>();
  c.embedding_tensor = "tok_embeddings.weight";
  RETURN_IF_ERROR(CheckShape(c));
  return c;
}

absl::Status CheckHfSupported(const json& h) {
  const auto type = h.find("model_type");
  if (type == h.end() || !type->is_string()) {
    return absl::InvalidArgumentError("config.json lacks 'model_type'");
  }
  const std::string t = type->get<std::string>();
  if (t != "llama" && t != "mistral") {
    return absl::UnimplementedError(
        absl::StrCat("model_type '", t, "' is not supported (llama, mistral)"));
  }
  for (const char* key : {"rope_scaling", "sliding_window"}) {
    const auto it = h.find(key);
    if (it != h.end() && !it->is_null()) {
      return absl::UnimplementedError(
          absl::StrCat("config.json '", key, "' is not supported"));
    }
  }
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    const auto it = h.find(key);
    if (it != h.end() && it->is_boolean() && it->get<bool>()) {
      return absl::UnimplementedError(
          absl::StrCat("config.json '", key, "' = true is not supported"));
    }
  }
  const auto act = h.find("hidden_act");
  if (act != h.end() && (!act->is_string() || *act != "silu")) {
    return absl::UnimplementedError(
        absl::StrCat("hidden_act ", act->dump(), " is not supported (silu)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LlamaConfig> ParseHf(const json& arch) {
  const auto hf = arch.find("hf_config");
  if (hf == arch.end() || !hf->is_object()) {
    return absl::InvalidArgumentError("arch config lacks 'hf_config'");
  }
  const json& h = *hf;
  RETURN_IF_ERROR(CheckHfSupported(h));
  LlamaConfig c;
  c.naming = "hf";
  c.rope_style = RopeStyle::kHalfSplit;
  ASSIGN_OR_RETURN(c.dim, GetInt(h, "hidden_size", true, 0));
  ASSIGN_OR_RETURN(c.hidden_dim, GetInt(h, "intermediate_size", true, 0));
  ASSIGN_OR_RETURN(c.n_layers, GetInt(h, "num_hidden_layers", true, 0));
  ASSIGN_OR_RETURN(c.n_heads, GetInt(h, "num_attention_heads", true, 0));
  ASSIGN_OR_RETURN(c.n_kv_heads,
                   GetInt(h, "num_key_value_heads", false, c.n_heads));
  ASSIGN_OR_RETURN(c.vocab_size, GetInt(h, "vocab_size", true, 0));
  ASSIGN_OR_RETURN(c.max_seq_len,
                   GetInt(h, "max_position_embeddings", false, 2048));
  ASSIGN_OR_RETURN(double eps, GetNumber(h, "rms_norm_eps", 1e-6));
  c.norm_eps = static_cast<float>(eps);
  ASSIGN_OR_RETURN(c.rope_theta, GetNumber(h, "rope_theta", 10000.0));
  if (h.contains("head_dim") && !h["head_dim"].is_null()) {
    ASSIGN_OR_RETURN(c.head_dim, GetInt(h, "head_dim", true, 0));
  } else if (c.dim % c.n_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "num_attention_heads ", c.n_heads, " does not divide ", c.dim));
  } else {
    c.head_dim = c.dim / c.n_heads;
  }
  const auto tie = arch.find("tie_word_embeddings");
  c.tied_embeddings =
      tie != arch.end() && tie->is_boolean() && tie->get<bool>();
  c.embedding_tensor = "model.embed_tokens.weight";
  const auto holder = arch.find("tied_embedding_tensor");
  if (c.tied_embeddings && holder != arch.end() && holder->is_string()) {
    c.embedding_tensor = holder->get<std::string>();
  }
  RETURN_IF_ERROR(CheckShape(c));
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
  const json j = json::parse(arch_config_json.begin(), arch_config_json.end(),
                             nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("architecture config is not JSON");
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
