#include "core/runtime/llama_config.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/model/llama_dims.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/llama_session.h"
#include "core/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using json = nlohmann::json;

// A small valid Hugging Face Llama config.json.
json HfConfig() {
  return {{"model_type", "llama"},    {"hidden_size", 16},
          {"intermediate_size", 24},  {"num_hidden_layers", 2},
          {"num_attention_heads", 4}, {"num_key_value_heads", 2},
          {"vocab_size", 32},         {"max_position_embeddings", 64},
          {"rms_norm_eps", 1e-5},     {"hidden_act", "silu"}};
}

absl::StatusOr<LlamaConfig> ParseHf(const json& hf_config) {
  const json arch = {{"hf_config", hf_config}, {"tie_word_embeddings", true}};
  return ParseLlamaConfig("hf", arch.dump());
}

absl::StatusCode HfCode(const json& hf_config) {
  return ParseHf(hf_config).status().code();
}

// `key` of HfConfig() set to `value` (null: removed).
absl::StatusCode HfCodeWith(const std::string& key, const json& value) {
  json c = HfConfig();
  if (value.is_null()) {
    c.erase(key);
  } else {
    c[key] = value;
  }
  return HfCode(c);
}

const json kLlama2c = {{"architecture", "llama"},
                       {"dim", 16},
                       {"hidden_dim", 24},
                       {"n_layers", 2},
                       {"n_heads", 4},
                       {"n_kv_heads", 2},
                       {"vocab_size", 32},
                       {"max_seq_len", 64},
                       {"shared_classifier", true}};

TEST(LlamaConfigTest, ValidConfigs) {
  auto hf = ParseHf(HfConfig());
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ(hf->dim, 16);
  EXPECT_EQ(hf->head_dim, 4);
  EXPECT_EQ(hf->n_kv_heads, 2);
  EXPECT_EQ(hf->max_seq_len, 64);
  EXPECT_TRUE(hf->tied_embeddings);
  auto l2c = ParseLlamaConfig("llama2c", kLlama2c.dump());
  ASSERT_TRUE(l2c.ok()) << l2c.status();
  EXPECT_EQ(l2c->head_dim, 4);
  EXPECT_EQ(l2c->vocab_size, 32);
  // An explicit head_dim need not divide hidden_size (e.g. Mistral-Nemo).
  json c = HfConfig();
  c["head_dim"] = 6;
  auto explicit_head = ParseHf(c);
  ASSERT_TRUE(explicit_head.ok()) << explicit_head.status();
  EXPECT_EQ(explicit_head->head_dim, 6);
  // Defaults.
  c = HfConfig();
  c.erase("num_key_value_heads");
  c.erase("max_position_embeddings");
  auto defaults = ParseHf(c);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->n_kv_heads, 4);
  EXPECT_EQ(defaults->max_seq_len, 2048);
}

// Issue 12: members of the wrong JSON type are DATA_LOSS naming the member
// (they were INVALID_ARGUMENT, or silently ignored).
TEST(LlamaConfigTest, WrongTypesAreDataLoss) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(HfCodeWith("hidden_size", "16"), kLoss);
  EXPECT_EQ(HfCodeWith("hidden_size", 16.5), kLoss);
  EXPECT_EQ(HfCodeWith("hidden_size", json::array({16})), kLoss);
  EXPECT_EQ(HfCodeWith("hidden_size", nullptr), kLoss);  // missing
  EXPECT_EQ(HfCodeWith("num_attention_heads", true), kLoss);
  EXPECT_EQ(HfCodeWith("num_key_value_heads", "2"), kLoss);
  EXPECT_EQ(HfCodeWith("max_position_embeddings", json::object()), kLoss);
  EXPECT_EQ(HfCodeWith("rms_norm_eps", "1e-5"), kLoss);
  EXPECT_EQ(HfCodeWith("rope_theta", "big"), kLoss);
  EXPECT_EQ(HfCodeWith("attention_bias", "no"), kLoss);
  EXPECT_EQ(HfCodeWith("hidden_act", 5), kLoss);
  EXPECT_EQ(HfCodeWith("model_type", 7), kLoss);
  EXPECT_EQ(HfCodeWith("head_dim", "4"), kLoss);
  const absl::Status named = ParseHf([] {
                               json c = HfConfig();
                               c["num_attention_heads"] = "4";
                               return c;
                             }())
                                 .status();
  EXPECT_NE(named.message().find("num_attention_heads"), std::string::npos)
      << named;

  json arch = {{"hf_config", HfConfig()}, {"tie_word_embeddings", "yes"}};
  EXPECT_EQ(ParseLlamaConfig("hf", arch.dump()).status().code(), kLoss);
  arch = {{"hf_config", HfConfig()}, {"tied_embedding_tensor", 3}};
  arch["tie_word_embeddings"] = true;
  EXPECT_EQ(ParseLlamaConfig("hf", arch.dump()).status().code(), kLoss);
  EXPECT_EQ(ParseLlamaConfig("hf", R"({"hf_config":"x"})").status().code(),
            kLoss);
  EXPECT_EQ(ParseLlamaConfig("hf", "[]").status().code(), kLoss);
  EXPECT_EQ(ParseLlamaConfig("hf", "{").status().code(), kLoss);
  // A NUL ended nlohmann's parse early: what followed was ignored.
  EXPECT_EQ(ParseLlamaConfig("llama2c",
                             kLlama2c.dump() + std::string(1, '\0') + "garbage")
                .status()
                .code(),
            kLoss);
  std::string many = R"({"a":[0)";  // small in bytes, huge as a parsed tree
  for (uint64_t i = 0; i < kMaxJsonItems; ++i) many += ",0";
  EXPECT_EQ(ParseLlamaConfig("llama2c", many + "]}").status().code(),
            absl::StatusCode::kResourceExhausted);
  for (const char* key : {"dim", "n_heads", "max_seq_len", "norm_eps",
                          "shared_classifier", "n_kv_heads"}) {
    SCOPED_TRACE(key);
    json j = kLlama2c;
    j[key] = "8";
    EXPECT_EQ(ParseLlamaConfig("llama2c", j.dump()).status().code(), kLoss);
  }
  EXPECT_EQ(ParseLlamaConfig(
                "llama2c", std::string(100000, '[') + std::string(100000, ']'))
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
}

// Issue 12: num_attention_heads x head_dim overflowed int (UBSan) when the
// model was built; every size is bounded and products are checked first.
TEST(LlamaConfigTest, HugeSizesAreRefusedBeforeAnyProduct) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  json c = HfConfig();
  c["num_attention_heads"] = 1 << 15;
  c["num_key_value_heads"] = 1 << 15;
  c["head_dim"] = 1 << 16;
  EXPECT_EQ(HfCode(c), kLoss);
  c = HfConfig();  // each factor within its limit, the product is not
  c["num_attention_heads"] = kMaxLlamaHeads;
  c["num_key_value_heads"] = kMaxLlamaHeads;
  c["head_dim"] = kMaxLlamaHeadDim;
  const absl::Status s = ParseHf(c).status();
  EXPECT_EQ(s.code(), kLoss);
  EXPECT_NE(s.message().find("exceeds"), std::string::npos) << s;
  for (const auto& [key, max] : std::vector<std::pair<std::string, int64_t>>{
           {"hidden_size", kMaxLlamaDim},
           {"intermediate_size", kMaxLlamaHiddenDim},
           {"num_hidden_layers", kMaxLlamaLayers},
           {"num_attention_heads", kMaxLlamaHeads},
           {"vocab_size", kMaxLlamaVocab},
           {"max_position_embeddings", kMaxLlamaContext},
           {"head_dim", kMaxLlamaHeadDim}}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(HfCodeWith(key, max + 1), kLoss);
    EXPECT_EQ(HfCodeWith(key, 0), kLoss);
    EXPECT_EQ(HfCodeWith(key, -4), kLoss);
    EXPECT_EQ(HfCodeWith(key, json::number_unsigned_t{1} << 63), kLoss);
    EXPECT_EQ(HfCodeWith(key, 1e300), kLoss);
  }
  json j = kLlama2c;
  j["dim"] = int64_t{1} << 40;
  EXPECT_EQ(ParseLlamaConfig("llama2c", j.dump()).status().code(), kLoss);
  EXPECT_EQ(HfCodeWith("rms_norm_eps", 0), kLoss);
  EXPECT_EQ(HfCodeWith("rms_norm_eps", 1e300), kLoss);
  EXPECT_EQ(HfCodeWith("rope_theta", -1), kLoss);
}

// Issue 12: an odd head dimension must be refused at load (rotary
// embeddings rotate pairs), as must heads that do not divide the hidden size
// or kv heads that do not divide the heads.
TEST(LlamaConfigTest, ShapeRules) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  EXPECT_EQ(HfCodeWith("head_dim", 15), kLoss);
  json c = HfConfig();
  c["hidden_size"] = 12;  // 4 heads of 3
  EXPECT_EQ(HfCode(c), kLoss);
  c["hidden_size"] = 18;  // 4 heads do not divide 18
  EXPECT_EQ(HfCode(c), kLoss);
  EXPECT_EQ(HfCodeWith("num_key_value_heads", 3), kLoss);
  EXPECT_EQ(HfCodeWith("num_key_value_heads", 8), kLoss);
  json j = kLlama2c;
  j["dim"] = 12;
  const absl::Status odd = ParseLlamaConfig("llama2c", j.dump()).status();
  EXPECT_EQ(odd.code(), kLoss);
  EXPECT_NE(odd.message().find("odd"), std::string::npos) << odd;
}

TEST(LlamaConfigTest, UnsupportedFeatures) {
  EXPECT_EQ(HfCodeWith("model_type", "gpt2"), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HfCodeWith("hidden_act", "gelu"), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HfCodeWith("attention_bias", true),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HfCodeWith("rope_scaling", json{{"type", "linear"}}),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HfCodeWith("sliding_window", nullptr), absl::StatusCode::kOk);
  EXPECT_EQ(ParseLlamaConfig("gguf", "").status().code(),
            absl::StatusCode::kUnimplemented);
}

// A tiny Llama (llama2.c naming) made of named f32 tensors, every weight
// `fill`: enough to run the forward pass.
std::vector<OwnedTensor> TinyTensors(const LlamaConfig& c, float fill) {
  std::vector<OwnedTensor> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    OwnedTensor t;
    t.entry.name = name;
    t.entry.shape = shape;
    t.entry.storage = Storage::kF32;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n), fill);
    t.payload.resize(v.size() * 4);
    std::memcpy(t.payload.data(), v.data(), t.payload.size());
    out.push_back(std::move(t));
  };
  const int64_t q = c.n_heads * c.head_dim, kv = c.n_kv_heads * c.head_dim;
  add("tok_embeddings.weight", {c.vocab_size, c.dim});
  for (int l = 0; l < c.n_layers; ++l) {
    add(LayerTensorName(c, l, "attn_norm"), {c.dim});
    add(LayerTensorName(c, l, "ffn_norm"), {c.dim});
    add(LayerTensorName(c, l, "wq"), {q, c.dim});
    add(LayerTensorName(c, l, "wk"), {kv, c.dim});
    add(LayerTensorName(c, l, "wv"), {kv, c.dim});
    add(LayerTensorName(c, l, "wo"), {c.dim, q});
    add(LayerTensorName(c, l, "w1"), {c.hidden_dim, c.dim});
    add(LayerTensorName(c, l, "w2"), {c.dim, c.hidden_dim});
    add(LayerTensorName(c, l, "w3"), {c.hidden_dim, c.dim});
  }
  add(FinalNormName(c), {c.dim});
  return out;
}

// Issue 12: max_position_embeddings = 2^30 must not allocate the KV cache
// for the whole context up front. The model loads, its session's context is
// the model's, and a few tokens cost a few positions of cache.
TEST(LlamaConfigTest, HugeContextAllocatesOnlyWhatIsUsed) {
  json j = kLlama2c;
  j["max_seq_len"] = kMaxLlamaContext;  // 2^30
  ModelMetadata meta;
  meta.source_format = "llama2c";
  meta.arch_config_json = j.dump();
  auto config = ParseLlamaConfig(meta.source_format, meta.arch_config_json);
  ASSERT_TRUE(config.ok()) << config.status();
  auto model = LlamaModel::FromTensors(meta, TinyTensors(*config, 0.01f));
  ASSERT_TRUE(model.ok()) << model.status();
  LlamaSession session(model->get(), nullptr);
  EXPECT_EQ(session.context(), kMaxLlamaContext);
  const uint64_t per_position = 2 * sizeof(float) *
                                static_cast<uint64_t>(config->n_layers) *
                                config->n_kv_heads * config->head_dim;
  EXPECT_EQ(session.cache().capacity_bytes(), per_position * kMaxLlamaContext);
  EXPECT_EQ(session.cache().bytes(), 0u);
  for (int32_t token : {1, 2, 3, 4, 5}) {
    ASSERT_TRUE(session.Forward(token).ok());
  }
  EXPECT_EQ(session.position(), 5);
  // Grown on demand (at most doubling): a handful of positions.
  EXPECT_LE(session.cache().bytes(), per_position * 16);
  EXPECT_GE(session.cache().bytes(), per_position * 5);
}

}  // namespace
}  // namespace seedlm
