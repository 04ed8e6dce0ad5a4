// The encoder golden vectors of spec §6 and §8, plus the search's contract
// (thread-count independence, progress, cancellation, bad input).
#include "core/search/reference_search.h"

#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "core/search/quantizer.h"

namespace seedlm {
namespace {

struct Golden {
  const char* preset;
  ExponentMode mode;
  std::vector<double> w;
  uint32_t seed;
  int e;
  std::vector<int> q;
  double err;
};

const std::vector<double> kW83a = {2e-05,    0.00597,  -0.00548, -0.01781,
                                   -0.00909, -0.01983, 0.0012,   0.0268};
const std::vector<double> kW83b = {-0.00984, -0.01241, 0.0098,   0.00714,
                                   0.00211,  -0.01861, -0.00059, 0.01391};
const std::vector<double> kW83c = {-0.02688, -0.00915, -0.03802, -0.02579,
                                   -0.03683, -0.0047,  -0.02535, 0.00543};
const std::vector<double> kW124a = {0.00314,  -0.00374, -0.05034, -0.01077,
                                    -0.00097, 0.00227,  -0.0306,  -0.00956,
                                    -0.01957, -0.01618, 0.02122,  -0.01615};
const std::vector<double> kW124b = {-0.00065, 0.01769, -0.01167, -0.00223,
                                    0.00221,  0.00128, -0.0245,  0.00152,
                                    0.02718,  -0.03094, 0.01719, 0.00239};
const std::vector<double> kW124c = {-0.01283, 0.04001,  0.01525,  -0.02399,
                                    0.00149,  0.01153,  -0.00378, 0.01366,
                                    -0.00133, 0.01334,  0.02877,  -0.01351};
const std::vector<double> kWTie = {-0.02067, -0.00158, 0.00071, -0.02109,
                                   0.0052,   -0.01716, 0.01944, 0.00385};
const std::vector<double> kWI8 = {-0.01283, 0.04001,  0.01525, -0.02399,
                                  0.00149,  0.01153,  -0.00378, 0.01366};

const ExponentMode kS = ExponentMode::kSearch;

std::vector<Golden> Goldens() {
  return {
      // Spec §6, mode search.
      {"4bit", kS, kW83a, 36390, -8, {-3, -6, 0}, 1.80133e-05},
      {"4bit", kS, kW83b, 17725, -8, {4, -7, 6}, 2.19583e-05},
      {"4bit", kS, kW83c, 610, -8, {-2, -7, -4}, 8.53044e-05},
      {"3bit", kS, kW124a, 56934, -8, {-7, -3, -4, 3}, 3.60185e-04},
      {"3bit", kS, kW124b, 30471, -8, {3, -6, 1, -5}, 1.54819e-04},
      {"3bit", kS, kW124c, 20317, -7, {4, -1, 2, 1}, 2.26026e-04},
      // Ties and the other modes.
      {"4bit", ExponentMode::kPaper, kW83a, 25457, -6, {0, -2, 1}, 4.70163e-05},
      {"4bit", kS, kWTie, 18925, -8, {2, -8, 6}, 2.61826e-05},
      {"4bit", ExponentMode::kFit, kWTie, 18925, -7, {1, -4, 3}, 2.61826e-05},
      {"4bit-i8", kS, kWI8, 36824, -8, {-8, 2, -7}, 6.33462e-05},
      {"4bit-i8", ExponentMode::kFit, kWI8, 32385, -8, {6, 3, -4}, 6.99707e-05},
      // Spec §8, i8, mode search.
      {"4bit-i8", kS, kW83a, 24314, -8, {-4, 7, -3}, 4.24333e-06},
      {"4bit-i8", kS, kW83b, 9426, -8, {3, -1, 6}, 1.14981e-05},
      {"4bit-i8", kS, kW83c, 65117, -7, {4, -5, -3}, 4.06861e-05},
      {"3bit-i8", kS, kW124a, 62571, -7, {-3, -1, -6, 1}, 3.20432e-04},
      {"3bit-i8", kS, kW124b, 15446, -8, {-4, 0, -3, -5}, 1.52507e-04},
      {"3bit-i8", kS, kW124c, 5849, -7, {2, 4, -1, 2}, 2.50825e-04},
  };
}

class GoldenTest : public ::testing::TestWithParam<int> {};

TEST_P(GoldenTest, MatchesSpec) {
  const Golden g = Goldens()[GetParam()];
  SearchOptions opt;
  opt.codec = *PresetByName(g.preset);
  opt.mode = g.mode;
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
                         ::testing::Range(0, static_cast<int>(Goldens().size())));

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
    const BlockResult r = ReferenceSearchBlock(**SeedTable::Get(opt.codec), opt,
                                               w.data());
    EXPECT_EQ(r.block.seed, 1u) << name;
    EXPECT_EQ(r.block.e, -8) << name;
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
          ASSERT_TRUE(s > r.block.seed || (s == r.block.seed && cand[i] >= r.block.e));
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
  cb.progress = [&](int64_t done, int64_t total) { progress.push_back({done, total}); };
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
  EXPECT_EQ(searcher->Search(w, absl::MakeSpan(out).subspan(1), nullptr, {}).code(),
            absl::StatusCode::kInvalidArgument);
  opt.exponent_bias = 200;
  EXPECT_EQ(ReferenceSearcher::Create(opt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
