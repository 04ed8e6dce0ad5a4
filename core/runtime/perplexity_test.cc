#include "core/runtime/perplexity.h"

#include <atomic>
#include <cmath>
#include <vector>

#include "core/runtime/llama_session.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

TEST(Perplexity, FirstCodePointsCountsCharactersNotBytes) {
  EXPECT_EQ(*FirstCodePoints("h\xC3\xA9llo", 2), "h\xC3\xA9");
  EXPECT_EQ(*FirstCodePoints("\xE2\x82\xAC\xF0\x9F\x98\x80x", 2),
            "\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(*FirstCodePoints("abc", 0), "abc");
  EXPECT_EQ(*FirstCodePoints("abc", 10), "abc");
  EXPECT_EQ(FirstCodePoints("a\xC3", 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FirstCodePoints("a\xFFz", 5).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Perplexity, SplitDocuments) {
  EXPECT_EQ(SplitDocuments("  one \n<|endoftext|>\ntwo<|endoftext|> \n"),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(SplitDocuments("no separator\n"),
            (std::vector<std::string>{"no separator"}));
  EXPECT_TRUE(SplitDocuments(" \n<|endoftext|>").empty());
}

// NLL of every next token of `doc` from one uninterrupted session.
std::vector<double> TokenNll(const LlamaModel& m,
                             const std::vector<int32_t>& doc, size_t begin,
                             size_t end) {
  LlamaSession s(&m, nullptr);
  std::vector<double> out;
  for (size_t i = begin; i + 1 < end; ++i) {
    auto l = *s.Forward(doc[i]);
    double mx = -INFINITY, z = 0;
    for (float v : l) mx = std::max<double>(mx, v);
    for (float v : l) z += std::exp(v - mx);
    out.push_back(-(l[doc[i + 1]] - mx - std::log(z)));
  }
  return out;
}

TEST(Perplexity, WindowsScoreEveryTokenOnceFromFreshCaches) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  const std::vector<int32_t> doc = {1,   403, 407, 261, 378, 432, 383, 286, 261,
                                    376, 298, 315, 421, 395, 317, 426, 338};
  const std::vector<int32_t> doc2 = {1, 403, 407};
  // ctx 6: windows [0,6), [5,11), [10,16), [15,17).
  auto r = ScoreDocuments(**model, nullptr, {doc, doc2}, 6, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tokens, 16 + 2);
  EXPECT_EQ(r->windows, 4 + 1);
  double want = 0;
  for (size_t b = 0; b + 1 < doc.size(); b += 5) {
    for (double v : TokenNll(**model, doc, b, std::min(doc.size(), b + 6))) {
      want += v;
    }
  }
  for (double v : TokenNll(**model, doc2, 0, 3)) want += v;
  EXPECT_NEAR(r->nll, want / 18, 1e-9);
  EXPECT_NEAR(r->perplexity, std::exp(want / 18), 1e-9);
  EXPECT_FALSE(r->has_reference);
  // A long context scores the same tokens in one window, differently.
  auto whole = ScoreDocuments(**model, nullptr, {doc, doc2}, 0, nullptr);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->tokens, 18);
  EXPECT_EQ(whole->windows, 2);
  EXPECT_NE(whole->nll, r->nll);
}

TEST(Perplexity, ReferenceAgainstItselfHasNoDivergence) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  const std::vector<int32_t> doc = {1, 403, 407, 261, 378, 432, 383, 286};
  auto r = ScoreDocuments(**model, model->get(), {doc}, 0, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_reference);
  EXPECT_NEAR(r->kl_mean, 0, 1e-12);
  EXPECT_EQ(r->top1_agree, 1.0);
}

TEST(Perplexity, Errors) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(
      ScoreDocuments(**model, nullptr, {{1, 2, 3}}, 1, nullptr).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScoreDocuments(**model, nullptr, {{1, 2, 3}}, 513, nullptr)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ScoreDocuments(**model, nullptr, {{1, 9999}}, 0, nullptr).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScoreDocuments(**model, nullptr, {{1}}, 0, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The flag is read before each window; false changes nothing.
TEST(Perplexity, Cancellation) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  const std::vector<std::vector<int32_t>> docs = {{1, 403, 407, 261, 378},
                                                  {1, 403, 407}};
  std::atomic<bool> cancel{false};
  auto plain = ScoreDocuments(**model, nullptr, docs, 4, nullptr);
  auto with = ScoreDocuments(**model, nullptr, docs, 4, nullptr, &cancel);
  ASSERT_TRUE(plain.ok() && with.ok());
  EXPECT_EQ(with->nll, plain->nll);
  EXPECT_EQ(with->windows, 3);
  cancel = true;
  EXPECT_EQ(ScoreDocuments(**model, nullptr, docs, 4, nullptr, &cancel)
                .status()
                .code(),
            absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace seedlm
