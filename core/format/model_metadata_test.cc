#include "core/format/model_metadata.h"

#include "core/format/metadata_keys.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(ModelMetadataTest, RoundTripThroughContainerKeys) {
  ModelMetadata m;
  m.source_format = "llama2c";
  m.arch_config_json = R"({"dim":64})";
  m.tokenizer_format = "llama2c-bin";
  m.tokenizer_data = std::string("\0tok\xff", 5);
  const auto map = ModelMetadataToContainer(m);
  EXPECT_EQ(map.size(), 4u);
  EXPECT_EQ(map.at(kMetaSourceFormat), "llama2c");
  EXPECT_EQ(map.at(kMetaArchConfig), m.arch_config_json);
  EXPECT_EQ(map.at(kMetaTokenizerFormat), "llama2c-bin");
  EXPECT_EQ(map.at(kMetaTokenizerData), m.tokenizer_data);
  const ModelMetadata back = ModelMetadataFromContainer(map);
  EXPECT_EQ(back.source_format, m.source_format);
  EXPECT_EQ(back.arch_config_json, m.arch_config_json);
  EXPECT_EQ(back.tokenizer_format, m.tokenizer_format);
  EXPECT_EQ(back.tokenizer_data, m.tokenizer_data);
}

TEST(ModelMetadataTest, OptionalKeysAndOtherKeys) {
  ModelMetadata m;
  m.source_format = "safetensors";
  m.tokenizer_data = "dropped without a format";
  auto map = ModelMetadataToContainer(m);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.at(kMetaSourceFormat), "safetensors");
  map[kMetaPreset] = "4bit";  // not model metadata: ignored
  const ModelMetadata back = ModelMetadataFromContainer(map);
  EXPECT_EQ(back.source_format, "safetensors");
  EXPECT_EQ(back.arch_config_json, "");
  EXPECT_EQ(back.tokenizer_format, "");
  EXPECT_EQ(back.tokenizer_data, "");
  EXPECT_EQ(ModelMetadataFromContainer({}).source_format, "");
}

TEST(ModelMetadataTest, ChatFieldsRoundTrip) {
  ModelMetadata m;
  m.source_format = "hf";
  m.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  m.chat_bos_token = "<s>";
  m.chat_eos_token = "<|im_end|>";
  m.stop_token_ids = {2, 32000, 0};
  const auto map = ModelMetadataToContainer(m);
  EXPECT_EQ(map.at(kMetaChatTemplate), m.chat_template);
  EXPECT_EQ(map.at(kMetaChatBosToken), "<s>");
  EXPECT_EQ(map.at(kMetaChatEosToken), "<|im_end|>");
  EXPECT_EQ(map.at(kMetaChatStopTokenIds), "[2,32000,0]");
  const ModelMetadata back = ModelMetadataFromContainer(map);
  EXPECT_EQ(back.chat_template, m.chat_template);
  EXPECT_EQ(back.chat_bos_token, m.chat_bos_token);
  EXPECT_EQ(back.chat_eos_token, m.chat_eos_token);
  EXPECT_EQ(back.stop_token_ids, m.stop_token_ids);
  // Without chat fields no chat keys are written.
  ModelMetadata plain;
  plain.source_format = "hf";
  for (const auto& [key, value] : ModelMetadataToContainer(plain)) {
    EXPECT_EQ(key.rfind("chat.", 0), std::string::npos) << key;
  }
}

TEST(ModelMetadataTest, MalformedStopIdsReadAsNone) {
  for (const char* bad :
       {"2,3", "[2,-1]", "[\"2\"]", "{}", "[2.5]", "[4294967296]"}) {
    std::map<std::string, std::string> map = {{kMetaSourceFormat, "hf"},
                                              {kMetaChatStopTokenIds, bad}};
    EXPECT_TRUE(ModelMetadataFromContainer(map).stop_token_ids.empty()) << bad;
  }
  std::map<std::string, std::string> one = {{kMetaChatStopTokenIds, "[7]"}};
  EXPECT_EQ(ModelMetadataFromContainer(one).stop_token_ids,
            std::vector<int32_t>{7});
}

}  // namespace
}  // namespace seedlm
