#include "core/runtime/generate.h"

#include <atomic>
#include <string>
#include <vector>

#include "core/tokenizer/llama2c_tokenizer.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = LlamaModel::Load(kStories);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    auto bytes = ReadFileToString(SharedDataPath("data/stories260K/tok512.bin"),
                                  1 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto tok = Llama2cTokenizer::Create(*bytes);
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = std::move(*tok);
  }

  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<Llama2cTokenizer> tokenizer_;
};

TEST_F(GenerateTest, RunsToTheEndWhenNotCancelled) {
  std::atomic<bool> cancel{false};
  GenerateOptions o;
  o.max_tokens = 12;
  o.stop_at_eos = false;
  auto plain = Generate(*model_, *tokenizer_, "Once upon", o, nullptr, {});
  o.cancel = &cancel;
  auto with = Generate(*model_, *tokenizer_, "Once upon", o, nullptr, {});
  ASSERT_TRUE(plain.ok() && with.ok()) << with.status();
  EXPECT_EQ(with->ids, plain->ids);
  EXPECT_EQ(with->ids.size(), 12u);
  EXPECT_EQ(with->finish_reason, "length");
}

TEST_F(GenerateTest, CancelledBeforeThePrompt) {
  std::atomic<bool> cancel{true};
  GenerateOptions o;
  o.cancel = &cancel;
  int pieces = 0;
  auto r = Generate(*model_, *tokenizer_, "Once upon", o, nullptr,
                    [&](bool, absl::string_view) { ++pieces; });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(pieces, 0);
}

// The flag is read between tokens: set from the text callback (as another
// thread could at any time), generation stops before the next token.
TEST_F(GenerateTest, CancelledBetweenTokens) {
  std::atomic<bool> cancel{false};
  GenerateOptions o;
  o.max_tokens = 50;
  o.stop_at_eos = false;
  o.cancel = &cancel;
  int generated = 0;
  auto r = Generate(*model_, *tokenizer_, "Once upon", o, nullptr,
                    [&](bool is_prompt, absl::string_view) {
                      if (!is_prompt && ++generated == 3) cancel = true;
                    });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(generated, 3);
}

TEST_F(GenerateTest, PartialModelIsAPreconditionError) {
  LoadModelOptions lo;
  lo.layer_end = 2;
  auto part = LlamaModel::Load(kStories, lo);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(
      Generate(**part, *tokenizer_, "Once", {}, nullptr, {}).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace seedlm
