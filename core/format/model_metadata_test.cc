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

}  // namespace
}  // namespace seedlm
