#include "core/model/synth.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/model/safetensors.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in (0, 1) from 53 random bits.
double Unit(uint64_t r) {
  return ((r >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  double sigma;  // 0: a norm weight (around 1)
};

// Fills `out` with tensor `index`'s weights: element i depends only on
// (seed, index, i).
void Generate(const Spec& spec, uint64_t seed, uint64_t index, DType dtype,
              std::vector<uint8_t>* out) {
  const int64_t n = NumElements(spec.shape);
  const size_t es = DTypeSize(dtype);
  out->assign(static_cast<size_t>(n) * es, 0);
  const uint64_t base = SplitMix64(seed ^ SplitMix64(index + 1));
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r1 = SplitMix64(base + 2 * static_cast<uint64_t>(i));
    const uint64_t r2 = SplitMix64(base + 2 * static_cast<uint64_t>(i) + 1);
    float v;
    if (spec.sigma == 0.0) {
      v = static_cast<float>(0.5 + Unit(r1));  // norm weights in (0.5, 1.5)
    } else {  // Box-Muller; 1% of weights at 4x the scale (heavy tail)
      const double g = std::sqrt(-2.0 * std::log(Unit(r1))) *
                       std::cos(6.283185307179586 * Unit(r2));
      const double scale = (r2 & 0xFF) < 3 ? 4.0 * spec.sigma : spec.sigma;
      v = static_cast<float>(g * scale);
    }
    uint8_t* p = &(*out)[static_cast<size_t>(i) * es];
    if (dtype == DType::kF32) {
      std::memcpy(p, &v, 4);
    } else {
      const uint16_t h =
          dtype == DType::kBF16 ? FloatToBFloat16(v) : FloatToHalf(v);
      p[0] = static_cast<uint8_t>(h);
      p[1] = static_cast<uint8_t>(h >> 8);
    }
  }
}

// The shards: embeddings, one per layer, then final norm and head.
std::vector<std::vector<Spec>> Shards(const SynthOptions& o) {
  const int64_t kv = o.kv_heads > 0 ? o.kv_heads : o.heads;
  const int64_t kv_dim = o.dim / o.heads * kv;
  std::vector<std::vector<Spec>> shards;
  shards.push_back({{"model.embed_tokens.weight", {o.vocab, o.dim}, 0.02}});
  for (int64_t l = 0; l < o.layers; ++l) {
    const std::string p = absl::StrCat("model.layers.", l, ".");
    shards.push_back({
        {p + "input_layernorm.weight", {o.dim}, 0.0},
        {p + "self_attn.q_proj.weight", {o.dim, o.dim}, 0.025},
        {p + "self_attn.k_proj.weight", {kv_dim, o.dim}, 0.025},
        {p + "self_attn.v_proj.weight", {kv_dim, o.dim}, 0.012},
        {p + "self_attn.o_proj.weight", {o.dim, o.dim}, 0.012},
        {p + "post_attention_layernorm.weight", {o.dim}, 0.0},
        {p + "mlp.gate_proj.weight", {o.hidden, o.dim}, 0.018},
        {p + "mlp.up_proj.weight", {o.hidden, o.dim}, 0.016},
        {p + "mlp.down_proj.weight", {o.dim, o.hidden}, 0.012},
    });
  }
  shards.push_back({{"model.norm.weight", {o.dim}, 0.0},
                    {"lm_head.weight", {o.vocab, o.dim}, 0.02}});
  return shards;
}

nlohmann::json Config(const SynthOptions& o) {
  const char* dt = o.dtype == DType::kBF16  ? "bfloat16"
                   : o.dtype == DType::kF16 ? "float16"
                                            : "float32";
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", o.dim},
          {"intermediate_size", o.hidden},
          {"num_hidden_layers", o.layers},
          {"num_attention_heads", o.heads},
          {"num_key_value_heads", o.kv_heads > 0 ? o.kv_heads : o.heads},
          {"vocab_size", o.vocab},
          {"max_position_embeddings", 4096},
          {"rms_norm_eps", 1e-5},
          {"rope_theta", 10000.0},
          {"tie_word_embeddings", false},
          {"torch_dtype", dt},
          {"seedlm_synthetic", {{"seed", o.seed}}}};
}

}  // namespace

absl::Status SynthOptions::Validate() const {
  if (arch != "llama") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --arch '", arch, "' (supported: llama)"));
  }
  for (auto [name, v] : {std::pair<const char*, int64_t>{"dim", dim},
                         {"hidden", hidden},
                         {"layers", layers},
                         {"heads", heads},
                         {"vocab", vocab}}) {
    if (v <= 0 || v > (int64_t{1} << 24)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be in 1..2^24 (got ", v, ")"));
    }
  }
  const int64_t kv = kv_heads > 0 ? kv_heads : heads;
  if (kv_heads < 0 || dim % heads != 0 || heads % kv != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("heads (", heads, ") must divide dim (", dim,
                     ") and kv heads (", kv, ") must divide heads"));
  }
  const double weights =
      2.0 * vocab * dim +
      layers *
          (2.0 * dim * dim + 2.0 * dim * dim / heads * kv + 3.0 * dim * hidden);
  if (weights > std::ldexp(1.0, 40)) {
    return absl::InvalidArgumentError("synthetic model over 2^40 weights");
  }
  return absl::OkStatus();
}

absl::Status WriteSyntheticModel(const std::string& out,
                                 const SynthOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create directory ", out, ": ", ec.message()));
  }
  const std::vector<std::vector<Spec>> shards = Shards(options);
  nlohmann::json weight_map = nlohmann::json::object();
  uint64_t index = 0, total_bytes = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    const std::string file =
        absl::StrFormat("model-%05d-of-%05d.safetensors", s + 1, shards.size());
    std::vector<std::vector<uint8_t>> data(shards[s].size());
    std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> tensors;
    for (size_t t = 0; t < shards[s].size(); ++t) {
      const Spec& spec = shards[s][t];
      Generate(spec, options.seed, index++, options.dtype, &data[t]);
      tensors.push_back(
          {TensorInfo{spec.name, spec.shape, options.dtype}, data[t]});
      weight_map[spec.name] = file;
      total_bytes += data[t].size();
    }
    RETURN_IF_ERROR(
        WriteSafetensors(out + "/" + file, tensors, {{"format", "pt"}}));
  }
  const nlohmann::json idx = {{"metadata", {{"total_size", total_bytes}}},
                              {"weight_map", weight_map}};
  RETURN_IF_ERROR(
      WriteFileAtomically(out + "/model.safetensors.index.json", idx.dump(2)));
  return WriteFileAtomically(out + "/config.json", Config(options).dump(2));
}

}  // namespace seedlm
