// End-to-end tests of the chat metadata through `seedlm compress` and
// `seedlm inspect`: a Hugging Face checkpoint's tokenizer_config.json chat
// template, bos/eos texts and generation_config.json stop ids land in the
// .seedlm container and come back through LlamaModel::metadata();
// --chat-template attaches a template (here to a synthetic checkpoint, and
// to the real llama2.c stories260K, which has none).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/format/container.h"
#include "core/format/model_metadata.h"
#include "core/model/synth.h"
#include "core/runtime/llama_model.h"
#include "core/tokenizer/chat_template.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli_test_util.h"

namespace seedlm {
namespace {

constexpr char kChatML[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' "
    "+ message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  ASSERT_TRUE(f.good()) << path;
}

class CliChatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/cli_chat." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    // A tiny Llama checkpoint the runtime can load.
    SynthOptions o;
    o.dim = 64;
    o.hidden = 96;
    o.layers = 1;
    o.heads = 4;
    o.vocab = 64;
    o.dtype = DType::kF32;
    hf_ = dir_ + "/hf";
    ASSERT_TRUE(WriteSyntheticModel(hf_, o).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The metadata the runtime reads back from a written container.
  static ModelMetadata Loaded(const std::string& path) {
    absl::StatusOr<std::unique_ptr<LlamaModel>> m = LlamaModel::Load(path);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? (*m)->metadata() : ModelMetadata();
  }

  std::string dir_;
  std::string hf_;
};

TEST_F(CliChatTest, HfChatMetadataSurvivesCompression) {
  WriteFile(hf_ + "/tokenizer_config.json",
            "{\"chat_template\": " + nlohmann::json(kChatML).dump() +
                ", \"bos_token\": {\"content\": \"<s>\"},"
                " \"eos_token\": \"<|im_end|>\"}");
  WriteFile(hf_ + "/generation_config.json", R"({"eos_token_id": [2, 7]})");
  const std::string out = dir_ + "/chat.seedlm";
  Result r = RunSeedlm("compress " + hf_ + " " + out + " --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;

  const ModelMetadata m = Loaded(out);
  EXPECT_EQ(m.chat_template, kChatML);
  EXPECT_EQ(m.chat_bos_token, "<s>");
  EXPECT_EQ(m.chat_eos_token, "<|im_end|>");
  EXPECT_EQ(m.stop_token_ids, (std::vector<int32_t>{2, 7}));
  // And the carried template renders.
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(m.chat_template);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<std::string> text =
      t->Render({{"user", "Hi"}}, true, {m.chat_bos_token, m.chat_eos_token});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

  // inspect: template size and first line, stop ids.
  r = RunSeedlm("inspect " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("chat.template"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(" + std::to_string(sizeof(kChatML) - 1) +
                       " bytes) {% for message in messages %}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("chat.stop_token_ids"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[2,7]"), std::string::npos) << r.out;
  r = RunSeedlm("inspect " + out + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["metadata"]["chat.template"], kChatML);
}

TEST_F(CliChatTest, ChatTemplateFlagOverridesAndIsChecked) {
  WriteFile(hf_ + "/tokenizer_config.json", R"({"chat_template": "old"})");
  const std::string tmpl = dir_ + "/zephyr.jinja";
  WriteFile(tmpl,
            "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}"
            "{{ eos_token }}\n{% endfor %}");
  const std::string out = dir_ + "/flag.seedlm";
  Result r = RunSeedlm("compress " + hf_ + " " + out +
                       " --threads 2 --json --chat-template " + tmpl);
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(tmpl, std::ios::binary);
  const std::string want((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(Loaded(out).chat_template, want);

  // A template outside the supported subset, a missing file, and the
  // template file as the output are refused before any work.
  const std::string bad = dir_ + "/bad.jinja";
  WriteFile(bad, "{% macro m() %}{% endmacro %}");
  r = RunSeedlm("compress " + hf_ + " " + dir_ + "/x.seedlm --chat-template " +
                bad);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--chat-template"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("macro"), std::string::npos) << r.err;
  r = RunSeedlm("compress " + hf_ + " " + dir_ + "/x.seedlm --chat-template " +
                dir_ + "/missing.jinja");
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.seedlm"));
  r = RunSeedlm("compress " + hf_ + " " + tmpl + " --chat-template " + tmpl);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(want.size(), std::filesystem::file_size(tmpl));
}

TEST_F(CliChatTest, MalformedTokenizerConfigFailsCompress) {
  WriteFile(hf_ + "/tokenizer_config.json", R"({"chat_template": 42})");
  Result r = RunSeedlm("compress " + hf_ + " " + dir_ + "/y.seedlm");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("tokenizer_config.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chat_template"), std::string::npos) << r.err;
}

TEST_F(CliChatTest, ChatTemplateForStories260K) {
  const std::string model = SharedDataPath("data/stories260K/stories260K.bin");
  SEEDLM_NEED_SHARED_FILE(model);
  const std::string tmpl = dir_ + "/chatml.jinja";
  WriteFile(tmpl, kChatML);
  const std::string out = dir_ + "/stories.seedlm";
  Result r = RunSeedlm("compress " + model + " " + out +
                       " --threads 2 --json --chat-template " + tmpl +
                       " --include 'layers\\.0\\.attention\\.wk\\.'");
  ASSERT_EQ(r.code, 0) << r.err;
  const ModelMetadata m = Loaded(out);
  EXPECT_EQ(m.chat_template, kChatML);
  EXPECT_EQ(m.source_format, "llama2c");
  EXPECT_TRUE(m.stop_token_ids.empty());
}

}  // namespace
}  // namespace seedlm
