// Unit tests of the round-to-nearest baselines (rtn.h): hand-computed groups,
// storage rounding of the scale, matrix/group layout, bits per weight, and the
// error falling as bits grow.
#include "bench/rtn.h"

#include <cmath>
#include <random>
#include <vector>

#include "core/util/dtype.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;

RtnConfig Config(int bits, int group, RtnScheme scheme,
                 RtnScaleType scale = RtnScaleType::kF16) {
  return RtnConfig{"test", bits, group, scheme, scale};
}

std::vector<float> Quantize(const RtnConfig& c, std::vector<float> x) {
  std::vector<float> out(x.size());
  RtnQuantizeGroup(c, x.data(), static_cast<int64_t>(x.size()), out.data());
  return out;
}

TEST(RtnGroupTest, AsymmetricExactGrid) {
  // lo = 0, hi = 3, s = 3 / (2^2 - 1) = 1, z = 0: the grid itself.
  const RtnConfig c = Config(2, 4, RtnScheme::kAsymmetric);
  EXPECT_THAT(Quantize(c, {0, 1, 2, 3}), ElementsAre(0, 1, 2, 3));
}

TEST(RtnGroupTest, AsymmetricRoundsHalfAwayFromZero) {
  const RtnConfig c = Config(2, 4, RtnScheme::kAsymmetric);
  EXPECT_THAT(Quantize(c, {0, 0.4f, 0.6f, 3}), ElementsAre(0, 0, 1, 3));
  EXPECT_THAT(Quantize(c, {0, 0.5f, 1.5f, 3}), ElementsAre(0, 1, 2, 3));
}

TEST(RtnGroupTest, AsymmetricWithOffset) {
  // lo = -1, hi = 2: s = 1, z = -1; x = 0.2 -> q = round(1.2) = 1 -> 0.
  const RtnConfig c = Config(2, 4, RtnScheme::kAsymmetric);
  EXPECT_THAT(Quantize(c, {-1, 0.2f, 1.7f, 2}), ElementsAre(-1, 0, 2, 2));
}

TEST(RtnGroupTest, ScaleIsRoundedToHalfBeforeUse) {
  // s = 0.1 / 15 = 0.0066666.. -> fp16 1.70703125 * 2^-8 = 0.0066680908203125;
  // x = 0.1 -> q = 15 -> 15 * s_h = 0.1000213623046875, not 0.1.
  const RtnConfig c = Config(4, 2, RtnScheme::kAsymmetric);
  EXPECT_THAT(Quantize(c, {0.0f, 0.1f}),
              ElementsAre(0.0f, FloatEq(0.1000213623046875f)));
  // Kept as float32, the same group reconstructs to 0.1 (within 1 ulp).
  const RtnConfig f32 =
      Config(4, 2, RtnScheme::kAsymmetric, RtnScaleType::kF32);
  EXPECT_THAT(Quantize(f32, {0.0f, 0.1f}), ElementsAre(0.0f, FloatEq(0.1f)));
}

TEST(RtnGroupTest, AsymmetricConstantGroup) {
  const RtnConfig c = Config(4, 3, RtnScheme::kAsymmetric);
  const float z = HalfToFloat(FloatToHalf(0.3f));
  EXPECT_THAT(Quantize(c, {0.3f, 0.3f, 0.3f}), ElementsAre(z, z, z));
  EXPECT_THAT(Quantize(c, {0, 0, 0}), ElementsAre(0, 0, 0));
}

TEST(RtnGroupTest, SymmetricSignedMapsExtremeToMinLevel) {
  // m = -8, d = -8 / -8 = 1: the 16 levels -8..7 are exact.
  const RtnConfig c = Config(4, 4, RtnScheme::kSymmetricSigned);
  EXPECT_THAT(Quantize(c, {-8, 4, 1, 7}), ElementsAre(-8, 4, 1, 7));
  // m = +8, d = -1: q = {-8, 4, round(-2.4) = -2, 0} -> {8, -4, 2, 0}.
  EXPECT_THAT(Quantize(c, {8, -4, 2.4f, 0}), ElementsAre(8, -4, 2, 0));
  // Ties on |x| keep the first: m = 8, d = -1, and -8 / d = 8 clamps to 7.
  EXPECT_THAT(Quantize(c, {8, -8}), ElementsAre(8, -7));
  EXPECT_THAT(Quantize(c, {0, 0}), ElementsAre(0, 0));
}

TEST(RtnGroupTest, AbsmaxClipsThePositiveExtreme) {
  // d = 8 / 8 = 1: 8 clips to level 7, -8 is exact, 4.4 -> 4.
  const RtnConfig c = Config(4, 4, RtnScheme::kAbsmax);
  EXPECT_THAT(Quantize(c, {8, -8, 4.4f, 0}), ElementsAre(7, -8, 4, 0));
  // d = 16 / 8 = 2: 16 -> q 8 -> 7 -> 14; -7 / 2 = -3.5 -> -4 (half away
  // from zero) -> -8; 5 / 2 = 2.5 -> 3 -> 6.
  EXPECT_THAT(Quantize(c, {16, -7, 5}), ElementsAre(14, -8, 6));
  EXPECT_THAT(Quantize(c, {0, 0}), ElementsAre(0, 0));
}

TEST(RtnMatrixTest, GroupsRunAlongRowsWithPartialLastGroup) {
  // 2 x 5, groups of 2: per row [0,2) [2,4) [4,5).
  const std::vector<float> w = {0.1f, -0.3f, 0.7f,  0.2f,  -0.9f,
                                1.5f, 0.4f,  -0.6f, 0.05f, 0.8f};
  const RtnConfig c = Config(3, 2, RtnScheme::kAsymmetric);
  std::vector<float> out(w.size());
  ASSERT_TRUE(RtnQuantizeMatrix(c, w, 2, 5, absl::MakeSpan(out)).ok());
  std::vector<float> expect(w.size());
  for (int r = 0; r < 2; ++r) {
    for (int c0 = 0; c0 < 5; c0 += 2) {
      const int n = std::min(2, 5 - c0);
      RtnQuantizeGroup(c, &w[r * 5 + c0], n, &expect[r * 5 + c0]);
    }
  }
  EXPECT_EQ(out, expect);
  // A one-weight group (column 4) is reconstructed exactly up to fp16.
  EXPECT_FLOAT_EQ(out[4], HalfToFloat(FloatToHalf(-0.9f)));
}

TEST(RtnMatrixTest, WholeRowGroup) {
  const std::vector<float> w = {1, -2, 3, 16, 0, -1};  // 2 x 3
  const RtnConfig c = Config(4, 0, RtnScheme::kSymmetricSigned);
  std::vector<float> out(w.size());
  ASSERT_TRUE(RtnQuantizeMatrix(c, w, 2, 3, absl::MakeSpan(out)).ok());
  // Row 0: m = 3, d = -0.375: 1 -> q -3 (1/-0.375 = -2.67) -> 1.125;
  // -2 -> q 5 (5.33) -> -1.875; 3 -> q -8 -> 3. Row 1: d = -2: 16, 0, -0 ->
  // -1/-2 = 0.5 rounds to 1 -> -2.
  EXPECT_THAT(out, ElementsAre(1.125f, -1.875f, 3, 16, 0, -2));
}

TEST(RtnMatrixTest, RejectsBadShapes) {
  const std::vector<float> w(6);
  std::vector<float> out(6);
  const RtnConfig c = Config(4, 2, RtnScheme::kAsymmetric);
  EXPECT_FALSE(RtnQuantizeMatrix(c, w, 2, 4, absl::MakeSpan(out)).ok());
  EXPECT_FALSE(RtnQuantizeMatrix(Config(1, 2, RtnScheme::kAsymmetric), w, 2, 3,
                                 absl::MakeSpan(out))
                   .ok());
  std::vector<float> short_out(5);
  EXPECT_FALSE(RtnQuantizeMatrix(c, w, 2, 3, absl::MakeSpan(short_out)).ok());
}

TEST(RtnBitsTest, BitsPerWeightFormula) {
  EXPECT_DOUBLE_EQ(Config(4, 64, RtnScheme::kAsymmetric).BitsPerWeight(4096),
                   4.5);
  EXPECT_DOUBLE_EQ(
      Config(4, 32, RtnScheme::kSymmetricSigned).BitsPerWeight(4096), 4.5);
  EXPECT_DOUBLE_EQ(
      Config(4, 0, RtnScheme::kSymmetricSigned).BitsPerWeight(4096),
      4.0 + 16.0 / 4096);
  EXPECT_DOUBLE_EQ(
      Config(4, 0, RtnScheme::kAbsmax, RtnScaleType::kF32).BitsPerWeight(64),
      4.5);
  EXPECT_DOUBLE_EQ(Config(3, 64, RtnScheme::kAsymmetric).BitsPerWeight(4096),
                   3.5);
  EXPECT_DOUBLE_EQ(Config(4, 128, RtnScheme::kAbsmax).BitsPerWeight(4096),
                   4.125);
  // 172 columns in groups of 64: 3 groups (64, 64, 44), 32 bits each.
  EXPECT_DOUBLE_EQ(Config(4, 64, RtnScheme::kAsymmetric).BitsPerWeight(172),
                   (172.0 * 4 + 3 * 32) / 172);
  EXPECT_EQ(Config(4, 64, RtnScheme::kAsymmetric).GroupsPerRow(172), 3);
}

TEST(RtnBitsTest, BaselinesAreTheDocumentedOnes) {
  const std::vector<RtnConfig>& b = RtnBaselines();
  ASSERT_EQ(b.size(), 7u);
  EXPECT_EQ(b[0].name, "rtn-int4-asym-g64");
  EXPECT_DOUBLE_EQ(b[0].BitsPerWeight(4096), 4.5);
  EXPECT_EQ(b[1].name, "rtn-int4-absmax-g32");
  EXPECT_DOUBLE_EQ(b[1].BitsPerWeight(4096), 4.5);
  EXPECT_DOUBLE_EQ(b[2].BitsPerWeight(4096), 4.5);
  EXPECT_DOUBLE_EQ(b[3].BitsPerWeight(4096), 4.0 + 16.0 / 4096);
  EXPECT_DOUBLE_EQ(b[4].BitsPerWeight(4096), 3.5);
  EXPECT_DOUBLE_EQ(b[5].BitsPerWeight(4096), 4.125);
  EXPECT_DOUBLE_EQ(b[6].BitsPerWeight(4096), 4.125);
}

double RelError(const RtnConfig& c, const std::vector<float>& w, int64_t rows,
                int64_t cols) {
  std::vector<float> out(w.size());
  EXPECT_TRUE(RtnQuantizeMatrix(c, w, rows, cols, absl::MakeSpan(out)).ok());
  double e = 0, n = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    e += (static_cast<double>(w[i]) - out[i]) * (w[i] - out[i]);
    n += static_cast<double>(w[i]) * w[i];
  }
  return std::sqrt(e / n);
}

TEST(RtnErrorTest, ErrorFallsWithMoreBitsAndSmallerGroups) {
  constexpr int64_t kRows = 32, kCols = 512;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 0.02);
  std::vector<float> w(kRows * kCols);
  for (float& x : w) x = static_cast<float>(normal(rng));
  for (RtnScheme s : {RtnScheme::kAsymmetric, RtnScheme::kSymmetricSigned,
                      RtnScheme::kAbsmax}) {
    double prev = 1e9;
    for (int bits = 2; bits <= 8; ++bits) {
      const double e = RelError(Config(bits, 64, s), w, kRows, kCols);
      EXPECT_LT(e, prev) << "bits " << bits;
      EXPECT_LT(e, 1.0);
      prev = e;
    }
    EXPECT_LT(prev, 0.01);  // 8 bits
  }
  EXPECT_LT(
      RelError(Config(4, 32, RtnScheme::kSymmetricSigned), w, kRows, kCols),
      RelError(Config(4, 0, RtnScheme::kSymmetricSigned), w, kRows, kCols));
}

}  // namespace
}  // namespace seedlm
