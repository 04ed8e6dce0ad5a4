// End-to-end tests of `seedlm generate` and `seedlm perplexity` on the real
// stories260K model and text (../shared/data): the golden facts of an
// independent implementation, a compressed model against its original, and
// the errors a user meets.
#include <filesystem>
#include <string>
#include <vector>

#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli_test_util.h"

namespace seedlm {
namespace {

const std::string kModel = SharedDataPath("data/stories260K/stories260K.bin");
const std::string kStories = SharedDataPath("data/text/tinystories-sample.txt");

class RuntimeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel);
    dir_ = ::testing::TempDir() + "/runtime_cli." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

nlohmann::json Json(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// ../shared/data/README.md: 3.548 over 1,804 tokens with this recipe.
TEST_F(RuntimeCliTest, TinyStoriesPerplexityGolden) {
  const auto j =
      Json(RunSeedlm("perplexity " + kModel + " " + kStories + " --json"));
  EXPECT_EQ(j["tokens"], 1804);
  EXPECT_NEAR(j["perplexity"].get<double>(), 3.548, 0.0015);
  EXPECT_EQ(j["documents"], 5);
  EXPECT_TRUE(j["kl_mean"].is_null());
}

TEST_F(RuntimeCliTest, GreedyFromBosGolden) {
  const auto j = Json(
      RunSeedlm("generate " + kModel + " --prompt '' --max-tokens 20 --json"));
  EXPECT_EQ(j["prompt_tokens"], std::vector<int>{1});
  EXPECT_EQ(
      j["tokens"].get<std::vector<int>>(),
      (std::vector<int>{403, 407, 261, 378, 432, 383, 286, 261, 376, 298,
                        315, 421, 395, 317, 426, 338, 401, 396, 267, 337}));
  EXPECT_EQ(j["text"].get<std::string>().rfind(
                "Once upon a time, there was a little girl named Lily.", 0),
            0u)
      << j["text"];
  EXPECT_EQ(j["finish_reason"], "length");
}

TEST_F(RuntimeCliTest, StreamedTextEqualsJsonText) {
  const auto j = Json(RunSeedlm("generate " + kModel +
                                " --prompt 'Once upon a time' --max-tokens 30"
                                " --json"));
  const Result r = RunSeedlm("generate " + kModel +
                             " --prompt 'Once upon a time' --max-tokens 30");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, j["prompt"].get<std::string>() +
                       j["text"].get<std::string>() + "\n");
  EXPECT_EQ(j["prompt"], "Once upon a time");
}

TEST_F(RuntimeCliTest, SamplingIsSeeded) {
  const std::string cmd = "generate " + kModel +
                          " --prompt 'The cat' --max-tokens 40 --temperature"
                          " 1.0 --top-p 0.95 --json --seed ";
  const auto a = Json(RunSeedlm(cmd + "5"));
  const auto b = Json(RunSeedlm(cmd + "5"));
  const auto c = Json(RunSeedlm(cmd + "6"));
  EXPECT_EQ(a["tokens"], b["tokens"]);
  EXPECT_NE(a["tokens"], c["tokens"]);
}

// A compressed file is self-sufficient (tokenizer inside) and runs from the
// packed blocks; it is close to, but not the same as, the original.
TEST_F(RuntimeCliTest, CompressedModelAgainstReference) {
  const std::string out = dir_ + "/m.seedlm";
  ASSERT_EQ(RunSeedlm("compress " + kModel + " " + out + " --threads 2").code,
            0);
  const auto fp =
      Json(RunSeedlm("perplexity " + kModel + " " + kStories + " --json"));
  const auto q = Json(RunSeedlm("perplexity " + out + " " + kStories +
                                " --reference " + kModel + " --json"));
  EXPECT_EQ(q["tokens"], 1804);
  EXPECT_GT(q["perplexity"].get<double>(), fp["perplexity"].get<double>());
  EXPECT_LT(q["perplexity"].get<double>(), 2 * fp["perplexity"].get<double>());
  EXPECT_GT(q["kl_mean"].get<double>(), 0.01);
  EXPECT_LT(q["kl_mean"].get<double>(), 1.0);
  EXPECT_GT(q["top1_agree"].get<double>(), 0.5);
  EXPECT_LT(q["top1_agree"].get<double>(), 1.0);
  // The model against itself: no divergence.
  const auto self = Json(RunSeedlm("perplexity " + out + " " + kStories +
                                   " --reference " + out + " --json --ctx 64"));
  EXPECT_NEAR(self["kl_mean"].get<double>(), 0, 1e-12);
  EXPECT_EQ(self["top1_agree"], 1.0);
  const auto g = Json(RunSeedlm("generate " + out +
                                " --prompt 'Once upon a time' --max-tokens 16"
                                " --json"));
  EXPECT_EQ(g["tokens"].size(), 16u);
}

TEST_F(RuntimeCliTest, Errors) {
  Result r = RunSeedlm("perplexity " + kModel + " " + dir_ + "/missing.txt");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos) << r.err;
  r = RunSeedlm("perplexity " + kModel + " " + kStories + " --ctx 1");
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunSeedlm("generate " + kModel + " --prompt x --top-p 0");
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunSeedlm("generate " + kModel + " --prompt x --temperature abc");
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunSeedlm("generate " + dir_ + "/nope.bin --prompt x");
  EXPECT_EQ(r.code, 1);
  r = RunSeedlm("generate " + kModel);  // prompt defaults to empty: BOS
  EXPECT_EQ(r.code, 0) << r.err;
  // A file that is not a model.
  r = RunSeedlm("perplexity " + kStories + " " + kStories);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
}

}  // namespace
}  // namespace seedlm
