// The encoder golden vectors of spec §6 and §8, plus the search's contract
// (thread-count independence, progress, cancellation, bad input).
#include "core/search/reference_search.h"

#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/search/quantizer.h"
#include "core/search/spec_goldens.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using spec_goldens::Golden;
using spec_goldens::Goldens;
using spec_goldens::kW83a;
using spec_goldens::kWTie;

class GoldenTest : public ::testing::TestWithParam<int> {};

TEST_P(GoldenTest, MatchesSpec) {
  const Golden g = Goldens()[GetParam()];
  SearchOptions opt;
  opt.codec = *PresetByName(g.preset);
  opt.mode = g.mode;
  opt.exponent_bias = g.bias;
  auto table = SeedTable::Get(opt.codec);
  ASSERT_TRUE(table.ok()) << table.status();
  const BlockResult r = ReferenceSearchBlock(**table, opt, g.w.data());
  EXPECT_EQ(r.block.seed, g.seed);
  EXPECT_EQ(r.block.e, g.e);
  std::vector<int> q(r.block.q, r.block.q + opt.codec.P);
  EXPECT_THAT(q, ::testing::ElementsAreArray(g.q));
  EXPECT_NEAR(r.err / g.err, 1.0, 1e-5) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Spec, GoldenTest,
                         ::testing::Range(0,
                                          static_cast<int>(Goldens().size())));

// The documented exact ties really are exact under our error arithmetic.
TEST(ReferenceSearchTest, DocumentedTiesAreExact) {
  const CodecConfig c = *PresetByName("4bit");
  auto table = *SeedTable::Get(c);
  const Quantizer quant(c, ExponentMode::kSearch, 0);
  const int8_t qa[3] = {0, -2, 1}, qb[3] = {-2, 1, 0};
  EXPECT_EQ(quant.Error(table->matrix(25457), qa, -6, kW83a.data()),
            quant.Error(table->matrix(45496), qb, -6, kW83a.data()));
  const int8_t qc[3] = {2, -8, 6}, qd[3] = {1, -4, 3};
  EXPECT_EQ(quant.Error(table->matrix(18925), qc, -8, kWTie.data()),
            quant.Error(table->matrix(18925), qd, -7, kWTie.data()));
}

TEST(ReferenceSearchTest, AllZeroBlock) {
  for (const std::string& name : PresetNames()) {
    SearchOptions opt;
    opt.codec = *PresetByName(name);
    std::vector<double> w(opt.codec.C, 0.0);
    const BlockResult r =
        ReferenceSearchBlock(**SeedTable::Get(opt.codec), opt, w.data());
    EXPECT_EQ(r.block.seed, 1u) << name;
    EXPECT_EQ(r.block.e, opt.codec.e_lo()) << name;
    for (int p = 0; p < opt.codec.P; ++p) EXPECT_EQ(r.block.q[p], 0);
    EXPECT_EQ(r.err, 0.0);
  }
}

// A small-K codec so the whole search space is cheap; exhaustive check that
// the result is the lexicographic minimum of (err, seed, e) over all choices
// the reference may make.
TEST(ReferenceSearchTest, BruteForceSmallK) {
  SearchOptions opt;
  opt.codec.C = 4;
  opt.codec.P = 2;
  opt.codec.K = 5;
  opt.codec.Q = 3;
  opt.codec.E = 3;
  auto table = *SeedTable::Get(opt.codec);
  const Quantizer quant(opt.codec, opt.mode, 0);
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 0.3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> w(4);
    for (double& x : w) x = g(rng);
    const BlockResult r = ReferenceSearchBlock(*table, opt, w.data());
    // Recompute err from the returned block: it must be what we report.
    EXPECT_EQ(r.err, quant.Error(table->matrix(r.block.seed), r.block.q,
                                 r.block.e, w.data()));
    for (uint32_t s = 1; s <= table->num_seeds(); ++s) {
      double t[2] = {0, 0};
      for (int p = 0; p < 2; ++p)
        for (int c = 0; c < 4; ++c) t[p] += table->pinv(s)[p * 4 + c] * w[c];
      int cand[3];
      const int n =
          quant.Candidates(std::max(std::fabs(t[0]), std::fabs(t[1])), cand);
      for (int i = 0; i < n; ++i) {
        int8_t q[2];
        quant.Quantize(t, cand[i], q);
        const double err = quant.Error(table->matrix(s), q, cand[i], w.data());
        ASSERT_GE(err, r.err);
        if (err == r.err) {
          ASSERT_TRUE(s > r.block.seed ||
                      (s == r.block.seed && cand[i] >= r.block.e));
        }
      }
    }
  }
}

std::vector<double> RandomBlocks(int n, int C, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 0.02);
  std::vector<double> w(static_cast<size_t>(n) * C);
  for (double& x : w) x = static_cast<float>(g(rng));
  return w;
}

TEST(ReferenceSearcherTest, ThreadCountDoesNotChangeResults) {
  SearchOptions opt;
  opt.codec = *PresetByName("4bit-i8");
  auto searcher = *ReferenceSearcher::Create(opt);
  const int n = 24;
  const std::vector<double> w = RandomBlocks(n, opt.codec.C, 11);
  std::vector<BlockResult> one(n), two(n);
  ASSERT_TRUE(searcher->Search(w, absl::MakeSpan(one), nullptr, {}).ok());
  ThreadPool pool(2);
  std::vector<std::pair<int64_t, int64_t>> progress;
  SearchCallbacks cb;
  cb.progress = [&](int64_t done, int64_t total) {
    progress.push_back({done, total});
  };
  ASSERT_TRUE(searcher->Search(w, absl::MakeSpan(two), &pool, cb).ok());
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(one[i].block.seed, two[i].block.seed);
    EXPECT_EQ(one[i].err, two[i].err);
    EXPECT_EQ(one[i].block, two[i].block);
  }
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{n}, int64_t{n}));
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GT(progress[i].first, progress[i - 1].first);
  }
}

TEST(ReferenceSearcherTest, CancelledAndBadInput) {
  SearchOptions opt;
  opt.codec = *PresetByName("4bit");
  auto searcher = *ReferenceSearcher::Create(opt);
  std::vector<double> w = RandomBlocks(64, 8, 5);
  std::vector<BlockResult> out(64);
  std::atomic<bool> cancel{false};
  SearchCallbacks cb;
  cb.cancel = &cancel;
  cb.progress = [&](int64_t, int64_t) { cancel = true; };
  EXPECT_EQ(searcher->Search(w, absl::MakeSpan(out), nullptr, cb).code(),
            absl::StatusCode::kCancelled);
  w[17] = std::nan("");
  EXPECT_EQ(searcher->Search(w, absl::MakeSpan(out), nullptr, {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      searcher->Search(w, absl::MakeSpan(out).subspan(1), nullptr, {}).code(),
      absl::StatusCode::kInvalidArgument);
  opt.exponent_bias = 200;
  EXPECT_EQ(ReferenceSearcher::Create(opt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
