#include "core/model/hf_checkpoint.h"

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using json = nlohmann::json;
using testing_util::ScratchDir;

// Writes a safetensors shard whose tensors are 2x2 f32 filled with `fill`+i.
void WriteShard(const ScratchDir& dir, const std::string& name,
                const std::vector<std::string>& tensors, float fill) {
  std::vector<std::vector<uint8_t>> bytes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const float v[4] = {fill + i, fill + i, fill + i, fill + i};
    bytes.emplace_back(reinterpret_cast<const uint8_t*>(v),
                       reinterpret_cast<const uint8_t*>(v) + 16);
  }
  std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> list;
  for (size_t i = 0; i < tensors.size(); ++i) {
    list.push_back({{tensors[i], {2, 2}, DType::kF32}, bytes[i]});
  }
  ASSERT_TRUE(WriteSafetensors(dir.File(name), list, {{"format", "pt"}}).ok());
}

void WriteIndex(const ScratchDir& dir, const json& weight_map) {
  const json index = {{"metadata", {{"total_size", 64}}},
                      {"weight_map", weight_map}};
  dir.Write("model.safetensors.index.json", index.dump(2));
}

const char kShard1[] = "model-00001-of-00002.safetensors";
const char kShard2[] = "model-00002-of-00002.safetensors";

// A two-shard checkpoint storing only lm_head.weight for the tied embedding.
void WriteShardedTied(const ScratchDir& dir) {
  dir.Write("config.json",
            R"({"model_type": "llama", "tie_word_embeddings": true,
                "hidden_size": 2, "rope_scaling": {"type": "linear",
                "factor": 2.0}, "architectures": ["LlamaForCausalLM"]})");
  WriteShard(dir, kShard1,
             {"model.layers.0.self_attn.q_proj.weight", "model.norm.weight"},
             10.f);
  WriteShard(dir, kShard2,
             {"lm_head.weight", "model.layers.1.mlp.up_proj.weight"}, 20.f);
  WriteIndex(dir, {{"model.layers.0.self_attn.q_proj.weight", kShard1},
                   {"model.norm.weight", kShard1},
                   {"lm_head.weight", kShard2},
                   {"model.layers.1.mlp.up_proj.weight", kShard2}});
  dir.Write("tokenizer.json", R"({"version": "1.0", "model": {}})");
}

TEST(HfCheckpointTest, ShardedWithTiedLmHeadOnly) {
  ScratchDir dir;
  WriteShardedTied(dir);
  auto model = OpenModel(dir.path());
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<std::string> names;
  for (const TensorInfo& t : (*model)->tensors()) names.push_back(t.name);
  // Shard by shard, file order within a shard.
  EXPECT_EQ(names,
            (std::vector<std::string>{"model.layers.0.self_attn.q_proj.weight",
                                      "model.norm.weight", "lm_head.weight",
                                      "model.layers.1.mlp.up_proj.weight"}));
  EXPECT_EQ(*(*model)->ReadFloat32(2), (std::vector<float>(4, 20.f)));
  EXPECT_EQ(*(*model)->ReadFloat32(3), (std::vector<float>(4, 21.f)));

  const ModelMetadata& m = (*model)->metadata();
  EXPECT_EQ(m.source_format, "hf");
  EXPECT_EQ(m.tokenizer_format, "hf-tokenizer-json");
  EXPECT_EQ(m.tokenizer_data, R"({"version": "1.0", "model": {}})");
  const json arch = json::parse(m.arch_config_json, nullptr, false);
  ASSERT_TRUE(arch.is_object()) << m.arch_config_json;
  EXPECT_EQ(arch["tie_word_embeddings"], true);
  EXPECT_EQ(arch["tied_embedding_tensor"], "lm_head.weight");
  EXPECT_EQ(arch["hf_config"]["rope_scaling"]["factor"], 2.0);
  EXPECT_EQ(arch["hf_config"]["model_type"], "llama");
  EXPECT_EQ(arch["hf_config"].size(), 5u);  // nothing invented inside
  // Canonical: re-serializing gives the same text (sorted keys, compact).
  EXPECT_EQ(arch.dump(), m.arch_config_json);
}

TEST(HfCheckpointTest, TiedFlagDefaults) {
  ScratchDir dir;
  dir.Write("config.json", R"({"model_type": "llama"})");
  WriteShard(dir, "model.safetensors",
             {"model.embed_tokens.weight", "model.norm.weight"}, 1.f);
  auto model = OpenModel(dir.path());
  ASSERT_TRUE(model.ok()) << model.status();
  json arch = json::parse((*model)->metadata().arch_config_json);
  EXPECT_EQ(arch["tie_word_embeddings"], true);  // no lm_head stored
  EXPECT_EQ(arch["tied_embedding_tensor"], "model.embed_tokens.weight");
  EXPECT_EQ((*model)->metadata().tokenizer_format, "");

  WriteShard(dir, "model.safetensors",
             {"model.embed_tokens.weight", "lm_head.weight"}, 1.f);
  model = OpenModel(dir.path());
  ASSERT_TRUE(model.ok()) << model.status();
  arch = json::parse((*model)->metadata().arch_config_json);
  EXPECT_EQ(arch["tie_word_embeddings"], false);
  EXPECT_FALSE(arch.contains("tied_embedding_tensor"));

  dir.Write("config.json", R"({"tie_word_embeddings": false})");
  WriteShard(dir, "model.safetensors", {"model.embed_tokens.weight"}, 1.f);
  model = OpenModel(dir.path());
  ASSERT_TRUE(model.ok()) << model.status();
  arch = json::parse((*model)->metadata().arch_config_json);
  EXPECT_EQ(arch["tie_word_embeddings"], false);
}

TEST(HfCheckpointTest, BadIndexes) {
  auto code_with_map = [](const json& weight_map) {
    ScratchDir dir;
    WriteShardedTied(dir);
    WriteIndex(dir, weight_map);
    return OpenModel(dir.path()).status().code();
  };
  EXPECT_EQ(code_with_map({{"lm_head.weight", "../model.safetensors"}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_with_map({{"lm_head.weight", "/etc/passwd"}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_with_map({{"lm_head.weight", ".."}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_with_map({{"lm_head.weight", "missing.safetensors"}}),
            absl::StatusCode::kNotFound);
  // Shard 2 holds a tensor the index does not list.
  EXPECT_EQ(code_with_map({{"lm_head.weight", kShard2}}),
            absl::StatusCode::kDataLoss);
  // Listed in the wrong shard.
  EXPECT_EQ(code_with_map({{"lm_head.weight", kShard1},
                           {"model.layers.0.self_attn.q_proj.weight", kShard1},
                           {"model.norm.weight", kShard1}}),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(code_with_map({{"lm_head.weight", 3}}),
            absl::StatusCode::kDataLoss);
  {  // A tensor stored in two shards: the copy the index does not name.
    ScratchDir dir;
    WriteShardedTied(dir);
    WriteShard(dir, kShard1,
               {"model.layers.0.self_attn.q_proj.weight", "model.norm.weight",
                "lm_head.weight"},
               10.f);
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(code_with_map(json::array()), absl::StatusCode::kDataLoss);
}

TEST(HfCheckpointTest, MissingOrBadFiles) {
  {
    ScratchDir dir;  // empty directory
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kNotFound);
  }
  {
    ScratchDir dir;
    dir.Write("config.json", "{\"a\": ");
    WriteShard(dir, "model.safetensors", {"x"}, 1.f);
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kDataLoss);
    dir.Write("config.json", std::string(1000, '[') + std::string(1000, ']'));
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kResourceExhausted);
    dir.Write("config.json", "{\"a\":" + std::string(1000, '[') +
                                 std::string(1000, ']') + "}");
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kResourceExhausted);  // kMaxHfJsonDepth
    dir.Write("config.json", "[1]");
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    ScratchDir dir;
    dir.Write("config.json", "{}");
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kNotFound);
    dir.Write("pytorch_model.bin", "pickle");
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kUnimplemented);
    dir.Write("model.safetensors", "garbage!garbage");
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

// Issue 12: hostile config.json / index files. Members of the wrong type are
// DATA_LOSS naming them (a non-bool tie_word_embeddings was silently taken
// as absent), a NUL no longer ends the JSON early, and size and item counts
// are bounded before the parse builds anything.
TEST(HfCheckpointTest, HostileJsonFiles) {
  ScratchDir dir;
  WriteShardedTied(dir);
  ASSERT_TRUE(OpenModel(dir.path()).ok());
  auto status = [&](const std::string& file, const std::string& text) {
    const std::string keep = testing_util::ReadAll(dir.File(file));
    dir.Write(file, text);
    const absl::Status s = OpenModel(dir.path()).status();
    dir.Write(file, keep);
    return s;
  };
  absl::Status s = status("config.json",
                          R"({"model_type":"llama","tie_word_embeddings":1})");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("tie_word_embeddings"), std::string::npos) << s;
  s = status("config.json",
             std::string(R"({"model_type":"llama"})") + '\0' + "garbage");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  s = status("model.safetensors.index.json",
             R"({"weight_map":{"lm_head.weight":["a"]}})");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("weight_map.lm_head.weight"), std::string::npos)
      << s;
  s = status("model.safetensors.index.json", R"({"weight_map":"x"})");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  s = status("model.safetensors.index.json", R"({"weight_map":null})");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  std::string many = "[0";  // small in bytes, huge as a parsed tree
  for (uint64_t i = 0; i < kMaxJsonItems; ++i) many += ",0";
  many += "]";
  s = status("config.json", R"({"a":)" + many + "}");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  {  // Over kMaxHfJsonBytes (a sparse file): refused before it is read.
    const std::string keep = testing_util::ReadAll(dir.File("config.json"));
    std::filesystem::resize_file(dir.File("config.json"), kMaxHfJsonBytes + 1);
    EXPECT_EQ(OpenModel(dir.path()).status().code(),
              absl::StatusCode::kResourceExhausted);
    dir.Write("config.json", keep);
  }
  ASSERT_TRUE(OpenModel(dir.path()).ok());
}

TEST(HfCheckpointTest, TokenizerOverride) {
  ScratchDir dir;
  WriteShardedTied(dir);
  OpenModelOptions opts;
  opts.tokenizer_path = dir.Write("other.json", "{}");
  auto model = OpenModel(dir.path(), opts);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->metadata().tokenizer_data, "{}");
  EXPECT_EQ((*model)->metadata().tokenizer_format, "hf-tokenizer-json");
  opts.tokenizer_path = dir.File("nope.json");
  EXPECT_EQ(OpenModel(dir.path(), opts).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace seedlm
