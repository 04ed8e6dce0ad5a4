// The fast search returns exactly the reference's BlockResult: the spec's
// golden vectors, every block generator for every preset x mode, non-zero
// biases, non-preset codecs (generic kernels, small K, the K > 16 fallback),
// independence of the thread count and of the SIMD level, and the same
// contract as the reference (progress, cancellation, bad input).
// The bound itself is tested in fast_search_bound_test.cc.
#include "core/search/fast_search.h"

#include <atomic>
#include <string>
#include <tuple>
#include <vector>

#include "core/search/equivalence.h"
#include "core/search/reference_search.h"
#include "core/search/searcher_factory.h"
#include "core/search/spec_goldens.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using spec_goldens::Golden;
using spec_goldens::Goldens;

std::vector<SimdLevel> SupportedLevels() {
  std::vector<SimdLevel> out;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (SimdLevelSupported(l)) out.push_back(l);
  }
  return out;
}

SearchOptions Options(const std::string& preset, ExponentMode mode,
                      int bias = 0) {
  SearchOptions o;
  o.codec = *PresetByName(preset);
  o.mode = mode;
  o.exponent_bias = bias;
  return o;
}

class GoldenTest : public ::testing::TestWithParam<int> {};

TEST_P(GoldenTest, MatchesSpecAtEverySimdLevel) {
  const Golden g = Goldens()[GetParam()];
  const SearchOptions opt = Options(g.preset, g.mode, g.bias);
  const BlockResult ref =
      ReferenceSearchBlock(**SeedTable::Get(opt.codec), opt, g.w.data());
  for (SimdLevel level : SupportedLevels()) {
    SCOPED_TRACE(SimdLevelName(level));
    auto fast = FastSearcher::Create(opt, level);
    ASSERT_TRUE(fast.ok()) << fast.status();
    const BlockResult r = (*fast)->SearchBlock(g.w.data());
    EXPECT_EQ(r.block.seed, g.seed);
    EXPECT_EQ(r.block.e, g.e);
    std::vector<int> q(r.block.q, r.block.q + opt.codec.P);
    EXPECT_THAT(q, ::testing::ElementsAreArray(g.q));
    EXPECT_NEAR(r.err / g.err, 1.0, 1e-5) << r.err;
    EXPECT_TRUE(SameResult(r, ref));
  }
}

INSTANTIATE_TEST_SUITE_P(Spec, GoldenTest,
                         ::testing::Range(0,
                                          static_cast<int>(Goldens().size())));

TEST(FastSearcherTest, AllZeroBlockWithoutFullScoring) {
  for (const std::string& name : PresetNames()) {
    for (ExponentMode mode :
         {ExponentMode::kSearch, ExponentMode::kFit, ExponentMode::kPaper}) {
      auto fast = *FastSearcher::Create(Options(name, mode));
      std::vector<double> w(fast->options().codec.C, 0.0);
      const BlockResult r = fast->SearchBlock(w.data());
      EXPECT_EQ(r.block.seed, 1u);
      EXPECT_EQ(r.block.e, fast->options().codec.e_lo());
      for (int p = 0; p < kMaxP; ++p) EXPECT_EQ(r.block.q[p], 0);
      EXPECT_EQ(r.err, 0.0);
      EXPECT_EQ(fast->stats().tie_blocks, 1);
      EXPECT_EQ(fast->stats().scored_seeds, 1);
    }
  }
}

// Every generator, every preset and mode: fast == reference bit for bit.
class EquivalenceTest
    : public ::testing::TestWithParam<std::tuple<std::string, ExponentMode>> {};

TEST_P(EquivalenceTest, AllGenerators) {
  const SearchOptions opt =
      Options(std::get<0>(GetParam()), std::get<1>(GetParam()));
  auto fast = *FastSearcher::Create(opt);
  auto ref = *ReferenceSearcher::Create(opt);
  ThreadPool pool(2);
  int64_t total = 0;
  for (BlockKind kind : AllBlockKinds()) {
    auto report = CompareSearchers(*fast, *ref, kind, 12, 1234, &pool);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->mismatches, 0) << FormatMismatches(*report, opt);
    total += report->blocks;
  }
  EXPECT_EQ(total, 12 * static_cast<int64_t>(AllBlockKinds().size()));
}

INSTANTIATE_TEST_SUITE_P(
    PresetsModes, EquivalenceTest,
    ::testing::Combine(::testing::Values("4bit", "3bit", "4bit-i8", "3bit-i8"),
                       ::testing::Values(ExponentMode::kSearch,
                                         ExponentMode::kFit,
                                         ExponentMode::kPaper)),
    [](const auto& info) {
      std::string n = std::get<0>(info.param) + "_" +
                      ExponentModeName(std::get<1>(info.param));
      for (char& ch : n) ch = ch == '-' ? '_' : ch;
      return n;
    });

void ExpectEquivalent(const SearchOptions& opt,
                      const std::vector<BlockKind>& kinds, int n,
                      ThreadPool* pool) {
  auto fast = FastSearcher::Create(opt);
  ASSERT_TRUE(fast.ok()) << fast.status();
  auto ref = *ReferenceSearcher::Create(opt);
  for (BlockKind kind : kinds) {
    auto report = CompareSearchers(**fast, *ref, kind, n, 99, pool);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->mismatches, 0) << BlockKindName(kind) << "\n"
                                     << FormatMismatches(*report, opt);
  }
}

TEST(FastSearcherTest, NonZeroBias) {
  ThreadPool pool(2);
  const std::vector<BlockKind> kinds = {
      BlockKind::kGauss005,   BlockKind::kGauss02,  BlockKind::kDecoded,
      BlockKind::kShiftedTie, BlockKind::kOutliers, BlockKind::kZero};
  ExpectEquivalent(Options("4bit", ExponentMode::kSearch, -3), kinds, 8, &pool);
  ExpectEquivalent(Options("3bit-i8", ExponentMode::kFit, 2), kinds, 8, &pool);
  // Bias so large that most coefficients round to 0 or clamp.
  ExpectEquivalent(Options("4bit-i8", ExponentMode::kSearch, 20),
                   {BlockKind::kGauss02}, 3, &pool);
  ExpectEquivalent(Options("4bit", ExponentMode::kPaper, -40),
                   {BlockKind::kGauss02}, 3, &pool);
}

// Codecs other than the presets: the run-time kernels, small K (windows that
// wrap the sequence; rank-deficient seeds that are always scored), and the
// K > 16 fallback to the reference.
TEST(FastSearcherTest, OtherCodecs) {
  struct Case {
    int C, P, K, Q, E;
    Variant v;
    bool specialised;
  };
  const Case cases[] = {
      {4, 2, 5, 3, 3, Variant::kPaper, true},
      {3, 2, 3, 4, 4, Variant::kPaper, true},
      {16, 5, 10, 4, 4, Variant::kPaper, true},
      {6, 3, 9, 4, 3, Variant::kI8, true},
      {12, 3, 12, 5, 4, Variant::kI8, true},
      {2, 1, 17, 4, 4, Variant::kPaper, false},
  };
  ThreadPool pool(2);
  for (const Case& c : cases) {
    SearchOptions opt;
    opt.codec.C = c.C;
    opt.codec.P = c.P;
    opt.codec.K = c.K;
    opt.codec.Q = c.Q;
    opt.codec.E = c.E;
    opt.codec.variant = c.v;
    SCOPED_TRACE(testing::Message()
                 << "C=" << c.C << " P=" << c.P << " K=" << c.K);
    auto fast = FastSearcher::Create(opt);
    ASSERT_TRUE(fast.ok()) << fast.status();
    EXPECT_EQ((*fast)->specialised(), c.specialised);
    const int n = c.K <= 10 ? 40 : 6;
    ExpectEquivalent(opt, AllBlockKinds(), n, &pool);
  }
}

std::vector<double> MixedBlocks(const SearchOptions& opt, int per_kind) {
  std::vector<double> w;
  for (BlockKind kind : AllBlockKinds()) {
    const std::vector<double> b = GenerateBlocks(opt, kind, per_kind, 5);
    w.insert(w.end(), b.begin(), b.end());
  }
  return w;
}

TEST(FastSearcherTest, ThreadCountAndSimdLevelDoNotChangeResults) {
  for (const char* preset : {"4bit", "3bit-i8"}) {
    const SearchOptions opt = Options(preset, ExponentMode::kSearch);
    const std::vector<double> w = MixedBlocks(opt, 24);
    const size_t n = w.size() / opt.codec.C;
    auto base = *FastSearcher::Create(opt, SimdLevel::kScalar);
    std::vector<BlockResult> expect(n);
    ASSERT_TRUE(base->Search(w, absl::MakeSpan(expect), nullptr, {}).ok());
    ThreadPool pool(2);
    for (SimdLevel level : SupportedLevels()) {
      SCOPED_TRACE(SimdLevelName(level));
      auto fast = *FastSearcher::Create(opt, level);
      EXPECT_EQ(fast->simd_level(), level);
      std::vector<BlockResult> one(n), two(n);
      ASSERT_TRUE(fast->Search(w, absl::MakeSpan(one), nullptr, {}).ok());
      ASSERT_TRUE(fast->Search(w, absl::MakeSpan(two), &pool, {}).ok());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_TRUE(SameResult(one[i], expect[i])) << i;
        ASSERT_TRUE(SameResult(two[i], expect[i])) << i;
      }
    }
  }
}

TEST(FastSearcherTest, ProgressCancellationAndBadInput) {
  const SearchOptions opt = Options("4bit", ExponentMode::kSearch);
  auto fast = *FastSearcher::Create(opt);
  std::vector<double> w = GenerateBlocks(opt, BlockKind::kGauss02, 64, 5);
  std::vector<BlockResult> out(64);
  std::vector<std::pair<int64_t, int64_t>> progress;
  SearchCallbacks cb;
  cb.progress = [&](int64_t d, int64_t t) { progress.push_back({d, t}); };
  ThreadPool pool(2);
  ASSERT_TRUE(fast->Search(w, absl::MakeSpan(out), &pool, cb).ok());
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{64}, int64_t{64}));
  std::atomic<bool> cancel{false};
  SearchCallbacks cc;
  cc.cancel = &cancel;
  cc.progress = [&](int64_t, int64_t) { cancel = true; };
  EXPECT_EQ(fast->Search(w, absl::MakeSpan(out), nullptr, cc).code(),
            absl::StatusCode::kCancelled);
  w[17] = std::nan("");
  EXPECT_EQ(fast->Search(w, absl::MakeSpan(out), nullptr, {}).code(),
            absl::StatusCode::kInvalidArgument);
  w[17] = HUGE_VAL;
  EXPECT_EQ(fast->Search(w, absl::MakeSpan(out), nullptr, {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fast->Search(w, absl::MakeSpan(out).subspan(1), nullptr, {}).code(),
            absl::StatusCode::kInvalidArgument);
  SearchOptions bad = opt;
  bad.exponent_bias = 200;
  EXPECT_EQ(FastSearcher::Create(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (SimdLevel l : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (!SimdLevelSupported(l)) {
      EXPECT_EQ(FastSearcher::Create(opt, l).status().code(),
                absl::StatusCode::kFailedPrecondition);
    }
  }
}

// Magnitudes outside [2^-400, 2^400] go to the reference; blocks with
// err overflowing to inf keep the reference's default result.
TEST(FastSearcherTest, ExtremeMagnitudes) {
  const SearchOptions opt = Options("4bit-i8", ExponentMode::kSearch);
  auto fast = *FastSearcher::Create(opt);
  const SeedTable& table = **SeedTable::Get(opt.codec);
  const std::vector<double> g = GenerateBlocks(opt, BlockKind::kGauss02, 1, 3);
  for (double scale : {1e-300, 1e-120, 1e120, 1e200, 1e300}) {
    std::vector<double> w = g;
    for (double& x : w) x *= scale;
    w[3] = 0.0;  // no saturation shortcut
    SCOPED_TRACE(scale);
    EXPECT_TRUE(SameResult(fast->SearchBlock(w.data()),
                           ReferenceSearchBlock(table, opt, w.data())));
  }
}

TEST(FastSearcherTest, GaussianBlocksScoreFewSeeds) {
  for (const std::string& preset : PresetNames()) {
    // Without a block exponent the tensor's bias sets the scale: start
    // where the compressor's bias search starts for sigma = 0.02.
    const int bias =
        PresetByName(preset)->E == 0 ? InitialExponentBias(0.02) : 0;
    const SearchOptions opt = Options(preset, ExponentMode::kSearch, bias);
    auto fast = *FastSearcher::Create(opt);
    const std::vector<double> w =
        GenerateBlocks(opt, BlockKind::kGauss02, 64, 8);
    std::vector<BlockResult> out(64);
    ASSERT_TRUE(fast->Search(w, absl::MakeSpan(out), nullptr, {}).ok());
    const FastSearchStats s = fast->stats();
    EXPECT_EQ(s.blocks, 64);
    EXPECT_LT(s.scored_seeds, 64 * 40) << preset;
    EXPECT_EQ(s.exhaustive_blocks, 0) << preset;
    EXPECT_LE(s.rescans, 8) << preset;
  }
}

// Blocks far below the exponent range: the bound prunes nothing, but every
// seed whose coefficients all round to 0 ties, so only the others (the badly
// conditioned seeds) and one representative are scored.
// (The i8 variants have no badly conditioned seeds: there such blocks take
// TieShortcut.)
TEST(FastSearcherTest, SmallMagnitudeBlocksScoreFewSeeds) {
  for (const char* preset : {"4bit", "3bit"}) {
    const SearchOptions opt = Options(preset, ExponentMode::kSearch);
    auto fast = *FastSearcher::Create(opt);
    auto ref = *ReferenceSearcher::Create(opt);
    auto report =
        CompareSearchers(*fast, *ref, BlockKind::kSmall, 6, 4, nullptr);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->mismatches, 0) << FormatMismatches(*report, opt);
    const FastSearchStats st = fast->stats();
    EXPECT_GT(st.exhaustive_blocks, 0)
        << preset << " ties " << st.tie_blocks << " rescans " << st.rescans
        << " scored " << st.scored_seeds;
    EXPECT_LT(st.scored_seeds, 6 * 2000) << preset;
  }
}

// Outlier blocks have more seeds within reach of the best error than the
// scan keeps, so some need the second pass: it must be exact too.
TEST(FastSearcherTest, RescannedBlocksAreExact) {
  const SearchOptions opt = Options("4bit", ExponentMode::kSearch);
  auto fast = *FastSearcher::Create(opt);
  auto ref = *ReferenceSearcher::Create(opt);
  ThreadPool pool(2);
  auto report =
      CompareSearchers(*fast, *ref, BlockKind::kOutliers, 32, 21, &pool);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->mismatches, 0) << FormatMismatches(*report, opt);
  EXPECT_GT(fast->stats().rescans, 0);
}

TEST(SearcherFactoryTest, ParseAndCreate) {
  EXPECT_EQ(*ParseSearchAlgorithm("fast"), SearchAlgorithm::kFast);
  EXPECT_EQ(*ParseSearchAlgorithm("reference"), SearchAlgorithm::kReference);
  EXPECT_EQ(ParseSearchAlgorithm("slow").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_STREQ(SearchAlgorithmName(SearchAlgorithm::kFast), "fast");
  const SearchOptions opt = Options("3bit", ExponentMode::kFit);
  auto fast = CreateSearcher(opt, SearchAlgorithm::kFast);
  auto ref = CreateSearcher(opt, SearchAlgorithm::kReference);
  ASSERT_TRUE(fast.ok() && ref.ok());
  EXPECT_NE(dynamic_cast<FastSearcher*>(fast->get()), nullptr);
  EXPECT_NE(dynamic_cast<ReferenceSearcher*>(ref->get()), nullptr);
  SearchOptions bad = opt;
  bad.codec.C = 0;
  EXPECT_FALSE(CreateSearcher(bad, SearchAlgorithm::kFast).ok());
}

}  // namespace
}  // namespace seedlm
