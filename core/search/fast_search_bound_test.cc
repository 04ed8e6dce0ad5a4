// The lower bound behind the fast search (fast_search_bound.h): measured, for
// every seed of every preset and many blocks (including blocks that lie in
// the column space of the worst-conditioned seeds), at every SIMD level:
//   - Z(s) is an upper bound on the block's projection ‖P_S w_f‖² (checked
//     against an independent float64 computation) and not a loose one;
//   - with its margin, ErrLowerBound(Z) never exceeds the err the reference
//     computes for any candidate of the seed (max violation <= 0), while the
//     raw float32 value without margin may.
#include "core/search/fast_search_bound.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/search/equivalence.h"
#include "core/search/fast_search_kernels.h"
#include "core/search/quantizer.h"
#include "core/search/seed_bound_table.h"
#include "core/search/seed_score.h"
#include "core/util/cpu_features.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace fast_search_internal {
namespace {

std::vector<SimdLevel> SupportedLevels() {
  std::vector<SimdLevel> out;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (SimdLevelSupported(l)) out.push_back(l);
  }
  return out;
}

// Z of every position (−inf where not computed) for one block, scanned as
// `copies` blocks in one pass (the SIMD levels group blocks).
std::vector<float> AllZ(const SeedBoundTable& t, const BoundKernels& k,
                        const NormalizedBlock& nb, int copies) {
  std::vector<float> z(t.num_positions(), -INFINITY);
  std::vector<std::vector<float>> zo(copies, std::vector<float>(kTile + 32));
  std::vector<std::vector<uint32_t>> po(copies,
                                        std::vector<uint32_t>(kTile + 32));
  std::vector<ScanTarget> st;
  for (int c = 0; c < copies; ++c) {
    st.push_back({nb.w, nb.n_hi, -FLT_MAX, zo[c].data(), po[c].data(), 0});
  }
  for (int i = 0; i < t.num_tiles(); ++i) {
    for (ScanTarget& s : st) s.count = 0;
    k.scan_tile(t.tile(i), st.data(), copies);
    for (int j = 0; j < st[0].count; ++j) {
      z[po[0][j]] = zo[0][j];
      for (int c = 1; c < copies; ++c) {  // every copy computes the same
        EXPECT_EQ(st[c].count, st[0].count);
        EXPECT_EQ(zo[c][j], zo[0][j]);
      }
    }
  }
  const ListView lv = t.list();
  for (int b = 0; b < lv.n_pad; b += kTile) {
    st[0].count = 0;
    k.scan_list(lv, b, std::min(lv.n_pad, b + kTile), &st[0]);
    for (int j = 0; j < st[0].count; ++j) z[po[0][j]] = zo[0][j];
  }
  return z;
}

// Blocks that stress the bound: ordinary, outlier and sparse blocks, exact
// reconstructions (err ~ 0), and reconstructions by the listed (badly
// conditioned) seeds.
std::vector<std::vector<double>> StressBlocks(const SearchOptions& opt,
                                              const SeedBoundTable& t) {
  std::vector<std::vector<double>> out;
  const int C = opt.codec.C;
  for (BlockKind kind :
       {BlockKind::kGauss02, BlockKind::kDecoded, BlockKind::kShiftedTie,
        BlockKind::kOutliers, BlockKind::kPadded, BlockKind::kSparse,
        BlockKind::kStudentT3}) {
    const std::vector<double> w = GenerateBlocks(opt, kind, 2, 77);
    for (int b = 0; b < 2; ++b)
      out.emplace_back(w.begin() + b * C, w.begin() + (b + 1) * C);
  }
  std::mt19937 rng(5);
  const ListView lv = t.list();
  for (int i = 0; i < std::min(4, t.list_size()); ++i) {
    Block blk;
    blk.seed = t.seed_at(lv.pos[(i * 37) % t.list_size()]);
    blk.e = -8;
    for (int p = 0; p < opt.codec.P; ++p)
      blk.q[p] = static_cast<int8_t>(rng() % 15) - 7;
    float d[kMaxC];
    DecodeBlock(opt.codec, 0, blk, d);
    out.emplace_back(d, d + C);
  }
  return out;
}

// ‖U pinv w_f‖² in float64: the projection, independently of the kernels.
double Projection(const SeedTable& seeds, uint32_t s, const float* w) {
  const CodecConfig& c = seeds.codec();
  const double inv_d = 1.0 / static_cast<double>(c.denominator());
  const double* pinv = seeds.pinv(s);
  const int32_t* m = seeds.matrix(s);
  double t[kMaxP];
  for (int p = 0; p < c.P; ++p) {
    t[p] = 0.0;
    for (int k = 0; k < c.C; ++k) t[p] += pinv[p * c.C + k] * w[k];
  }
  double proj = 0.0;
  for (int r = 0; r < c.C; ++r) {
    double y = 0.0;
    for (int p = 0; p < c.P; ++p) y += m[r * c.P + p] * inv_d * t[p];
    proj += y * y;
  }
  return proj;
}

struct Worst {
  double margin = -INFINITY;  // max (bound - err) / ‖w‖², margin applied
  double raw = -INFINITY;     // the same without the margin
  double slack = 0.0;         // max (Z - projection) / N
};

// Checks one seed's Z (one per level and grouping) against its projection
// and against the err of every candidate the reference scores.
void CheckSeed(const SeedTable& seeds, const SeedBoundTable& table,
               const Quantizer& quant, const std::vector<double>& w,
               const NormalizedBlock& nb, uint32_t pos,
               const std::vector<std::vector<float>>& zs, Worst* worst) {
  const uint32_t s = table.seed_at(pos);
  const double mu = table.margin_of(s);
  if (std::isinf(mu)) return;  // always scored
  const double proj = Projection(seeds, s, nb.w);
  BlockResult r;
  r.err = INFINITY;
  ScoreSeedCandidates(seeds, quant, s, w.data(), &r);
  double norm2 = 0.0;
  for (double x : w) norm2 += x * x;
  for (const std::vector<float>& z : zs) {
    ASSERT_GT(z[pos], -INFINITY) << "seed " << s;
    // Valid (the float64 projection itself has ~1e-9 relative error for the
    // worst conditioned seeds) and tight up to the margin.
    ASSERT_LE(proj, z[pos] * (1.0 + 1e-9) + 1e-9 * nb.n_hi) << "seed " << s;
    worst->slack = std::max(worst->slack, (z[pos] - proj) / nb.n_hi);
    ASSERT_LE(z[pos] - proj, 2.0 * mu * nb.n_hi + 1e-5 * nb.n_hi)
        << "seed " << s;
    const double lb = ErrLowerBound(nb, z[pos]);
    worst->margin = std::max(worst->margin, (lb - r.err) / norm2);
    ASSERT_LE(lb, r.err) << "seed " << s;
    const double raw = std::ldexp(nb.n_lo - (z[pos] - mu * nb.n_hi), -2 * nb.k);
    worst->raw = std::max(worst->raw, (raw - r.err) / norm2);
  }
}

class BoundTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BoundTest, ZBoundsProjectionAndErrLowerBoundHolds) {
  SearchOptions opt;
  opt.codec = *PresetByName(GetParam());
  const SeedTable& seeds = **SeedTable::Get(opt.codec);
  const SeedBoundTable& table = **SeedBoundTable::Get(opt.codec);
  const Quantizer quant(opt.codec, opt.mode, 0);
  Worst worst;
  for (const std::vector<double>& w : StressBlocks(opt, table)) {
    NormalizedBlock nb;
    ASSERT_TRUE(NormalizeBlock(w.data(), opt.codec.C, &nb));
    std::vector<std::vector<float>> zs;
    for (SimdLevel l : SupportedLevels()) {
      zs.push_back(AllZ(table, KernelsFor(l), nb, 1));
      zs.push_back(AllZ(table, KernelsFor(l), nb, 2));
    }
    for (uint32_t pos = 0; pos < table.num_positions(); ++pos) {
      CheckSeed(seeds, table, quant, w, nb, pos, zs, &worst);
      if (HasFatalFailure()) return;
    }
  }
  std::printf(
      "%s: max (bound - err)/|w|^2 with margin %.3g, without %.3g; "
      "max (Z - proj)/N %.3g\n",
      GetParam().c_str(), worst.margin, worst.raw, worst.slack);
  EXPECT_LE(worst.margin, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Presets, BoundTest,
                         ::testing::Values("4bit", "3bit", "4bit-i8",
                                           "3bit-i8"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) ch = ch == '-' ? '_' : ch;
                           return n;
                         });

TEST(SeedBoundTableTest, PresetTables) {
  for (const std::string& name : PresetNames()) {
    const CodecConfig c = *PresetByName(name);
    const SeedBoundTable& t = **SeedBoundTable::Get(c);
    EXPECT_EQ(t.num_positions(), 65535u);
    EXPECT_TRUE(t.always_scored().empty()) << name;
    EXPECT_EQ(t.tile_seed_count() + t.list_size(), 65535) << name;
    double worst = 0.0;
    for (uint32_t s = 1; s <= 65535; ++s) {
      EXPECT_EQ(t.seed_at(t.position_of(s)), s);
      worst = std::max(worst, t.margin_of(s));
    }
    // The margin never makes a seed's bound useless.
    EXPECT_LT(worst, 1e-3) << name;
    std::printf("%s: %d tile seeds, %d listed, max margin mu %.3g\n",
                name.c_str(), t.tile_seed_count(), t.list_size(), worst);
  }
}

TEST(SeedBoundTableTest, LargeKUnsupported) {
  CodecConfig c;
  c.K = 17;
  EXPECT_FALSE(SeedBoundTable::Supports(c));
  EXPECT_EQ(SeedBoundTable::Get(c).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(BoundMathTest, NormalizeAndThreshold) {
  NormalizedBlock nb;
  const double w[4] = {3e-30, -1e-31, 0.0, 2.5e-30};
  ASSERT_TRUE(NormalizeBlock(w, 4, &nb));
  EXPECT_GE(std::fabs(nb.w[0]), 1.0f);
  EXPECT_LT(std::fabs(nb.w[0]), 2.0f);
  EXPECT_LE(nb.n_lo, nb.n_hi);
  EXPECT_GT(nb.slack, 0.0);
  const double zero[4] = {0, 0, 0, 0};
  EXPECT_FALSE(NormalizeBlock(zero, 4, &nb));
  const double huge[2] = {1e200, 1.0};
  EXPECT_FALSE(NormalizeBlock(huge, 2, &nb));
  ASSERT_TRUE(NormalizeBlock(w, 4, &nb));
  EXPECT_EQ(PruneThreshold(nb, INFINITY), -FLT_MAX);
  EXPECT_EQ(PruneThreshold(nb, 1.0), -FLT_MAX);  // T >> ‖w‖²: prune nothing
  const float a0 = PruneThreshold(nb, 0.0);
  const float a1 = PruneThreshold(nb, 1e-61);
  EXPECT_GT(a0, a1);  // a smaller best error prunes more
  EXPECT_LE(a0, nb.n_lo);
  EXPECT_EQ(RoundUpToFloat(0.1) >= 0.1, true);
  EXPECT_EQ(RoundDownToFloat(0.1) <= 0.1, true);
}

}  // namespace
}  // namespace fast_search_internal
}  // namespace seedlm
