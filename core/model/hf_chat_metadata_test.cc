// The chat metadata of Hugging Face checkpoints (hf_chat_metadata.h) and
// OpenModelOptions::chat_template_path.
#include "core/model/hf_chat_metadata.h"

#include <memory>
#include <string>
#include <vector>

#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using ::testing::HasSubstr;
using testing_util::ScratchDir;

constexpr char kChatML[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
    "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// A one-tensor checkpoint: config.json (with `config_extra` members) and
// model.safetensors.
void WriteCheckpoint(const ScratchDir& dir,
                     const std::string& config_extra = "") {
  dir.Write("config.json", "{\"model_type\": \"llama\"" + config_extra + "}");
  const float v[4] = {1, 2, 3, 4};
  const std::vector<uint8_t> bytes(reinterpret_cast<const uint8_t*>(v),
                                   reinterpret_cast<const uint8_t*>(v) + 16);
  ASSERT_TRUE(WriteSafetensors(
                  dir.File("model.safetensors"),
                  {{{"model.norm.weight", {2, 2}, DType::kF32}, bytes}}, {})
                  .ok());
}

std::string JsonString(const std::string& s) {
  return nlohmann::json(s).dump();
}

absl::StatusOr<ModelMetadata> Open(const ScratchDir& dir,
                                   const OpenModelOptions& opts = {}) {
  absl::StatusOr<std::unique_ptr<ModelSource>> s = OpenModel(dir.path(), opts);
  if (!s.ok()) return s.status();
  return (*s)->metadata();
}

TEST(HfChatMetadataTest, ReadsTemplateTokensAndStopIds) {
  ScratchDir dir;
  WriteCheckpoint(dir, ", \"eos_token_id\": 5");
  dir.Write("tokenizer_config.json",
            "{\"chat_template\": " + JsonString(kChatML) +
                ", \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false},"
                " \"eos_token\": \"<|im_end|>\", \"model_max_length\": 2048}");
  dir.Write("generation_config.json",
            R"({"bos_token_id": 1, "eos_token_id": [2, 32000]})");
  absl::StatusOr<ModelMetadata> m = Open(dir);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->chat_template, kChatML);
  EXPECT_EQ(m->chat_bos_token, "<s>");
  EXPECT_EQ(m->chat_eos_token, "<|im_end|>");
  EXPECT_EQ(m->stop_token_ids, (std::vector<int32_t>{2, 32000}));
}

TEST(HfChatMetadataTest, AbsentFilesAndFieldsAreEmpty) {
  ScratchDir dir;
  WriteCheckpoint(dir);
  absl::StatusOr<ModelMetadata> m = Open(dir);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->chat_template, "");
  EXPECT_EQ(m->chat_bos_token, "");
  EXPECT_TRUE(m->stop_token_ids.empty());
  dir.Write("tokenizer_config.json", R"({"chat_template": null})");
  dir.Write("generation_config.json", R"({"eos_token_id": null})");
  m = Open(dir);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->chat_template, "");
  EXPECT_TRUE(m->stop_token_ids.empty());
}

TEST(HfChatMetadataTest, NamedTemplateListAndConfigFallback) {
  ScratchDir dir;
  WriteCheckpoint(dir, ", \"eos_token_id\": 7");
  dir.Write("tokenizer_config.json",
            R"({"chat_template": [{"name": "tool_use", "template": "T"},
                                  {"name": "default", "template": "D"}]})");
  absl::StatusOr<ModelMetadata> m = Open(dir);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->chat_template, "D");
  // No generation_config.json: config.json's eos_token_id.
  EXPECT_EQ(m->stop_token_ids, std::vector<int32_t>{7});
}

TEST(HfChatMetadataTest, MalformedFilesAreDataLossNamingFileAndField) {
  const std::vector<std::pair<std::string, std::string>> tok_cases = {
      {R"({"chat_template": 3})", "chat_template"},
      {R"({"chat_template": [{"name": "default"}]})", "template"},
      {R"({"eos_token": ["x"]})", "eos_token"},
      {R"({"bos_token": {"content": 1}})", "bos_token"},
      {R"({"chat_template": "x")", "tokenizer_config.json"},
      {R"(["not", "an", "object"])", "tokenizer_config.json"},
  };
  for (const auto& [text, field] : tok_cases) {
    ScratchDir dir;
    WriteCheckpoint(dir);
    dir.Write("tokenizer_config.json", text);
    absl::Status s = Open(dir).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << text << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("tokenizer_config.json")) << text;
    EXPECT_THAT(s.message(), HasSubstr(field)) << text;
  }
  for (const char* text :
       {R"({"eos_token_id": "2"})", R"({"eos_token_id": [2, -1]})",
        R"({"eos_token_id": 4294967296})"}) {
    ScratchDir dir;
    WriteCheckpoint(dir);
    dir.Write("generation_config.json", text);
    absl::Status s = Open(dir).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << text << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("generation_config.json")) << text;
    EXPECT_THAT(s.message(), HasSubstr("eos_token_id")) << text;
  }
}

TEST(HfChatMetadataTest, Limits) {
  ScratchDir dir;
  WriteCheckpoint(dir);
  dir.Write("tokenizer_config.json",
            "{\"chat_template\": " +
                JsonString(std::string(kMaxChatTemplateBytes + 1, 'x')) + "}");
  EXPECT_EQ(Open(dir).status().code(), absl::StatusCode::kResourceExhausted);
  dir.Write("tokenizer_config.json",
            "{\"chat_template\": " +
                JsonString(std::string(kMaxChatTemplateBytes, 'x')) + "}");
  EXPECT_TRUE(Open(dir).ok());
  std::string ids = "[0";
  for (size_t k = 1; k <= kMaxStopTokenIds; ++k) ids += "," + std::to_string(k);
  dir.Write("generation_config.json", "{\"eos_token_id\": " + ids + "]}");
  EXPECT_EQ(Open(dir).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(HfChatMetadataTest, ChatTemplatePathOverrides) {
  ScratchDir dir;
  WriteCheckpoint(dir);
  dir.Write("tokenizer_config.json", R"({"chat_template": "old"})");
  OpenModelOptions opts;
  opts.chat_template_path = dir.Write("my.jinja", "new {{ 1 }}");
  absl::StatusOr<std::unique_ptr<ModelSource>> s = OpenModel(dir.path(), opts);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->metadata().chat_template, "new {{ 1 }}");
  // Tensors are the inner source's.
  ASSERT_EQ((*s)->tensors().size(), 1u);
  absl::StatusOr<std::vector<float>> w = (*s)->ReadFloat32(0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (std::vector<float>{1, 2, 3, 4}));

  opts.chat_template_path = dir.File("missing.jinja");
  EXPECT_EQ(OpenModel(dir.path(), opts).status().code(),
            absl::StatusCode::kNotFound);
  opts.chat_template_path =
      dir.Write("big.jinja", std::string(kMaxChatTemplateBytes + 1, 'x'));
  EXPECT_EQ(OpenModel(dir.path(), opts).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace seedlm
