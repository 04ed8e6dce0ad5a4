#include "core/search/quantizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(FitExponentTest, LeastExponentCovering) {
  const CodecConfig c = *PresetByName("4bit");  // L = 7.5, e in [-8, 7]
  EXPECT_EQ(FitExponent(c, 0.0), -8);
  EXPECT_EQ(FitExponent(c, 7.5), 0);  // m == L * 2^0
  EXPECT_EQ(FitExponent(c, std::nextafter(7.5, 8)), 1);
  EXPECT_EQ(FitExponent(c, 3.75), -1);
  EXPECT_EQ(FitExponent(c, 1e-9), -8);  // clamped low
  EXPECT_EQ(FitExponent(c, 1e9), 7);    // clamped high
  for (int e = -8; e <= 7; ++e) {
    const double edge = std::ldexp(7.5, e);
    EXPECT_EQ(FitExponent(c, edge), e);
    if (e < 7) {
      EXPECT_EQ(FitExponent(c, std::nextafter(edge, 1e9)), e + 1);
    }
  }
}

int Cand(const CodecConfig& c, ExponentMode mode, int bias, double m,
         int out[3]) {
  return Quantizer(c, mode, bias).Candidates(m, out);
}

// The threshold scan in Candidates agrees with FitExponent everywhere.
TEST(ExponentCandidatesTest, FitScanMatchesFitExponent) {
  const CodecConfig c = *PresetByName("3bit");
  const Quantizer q(c, ExponentMode::kFit, 0);
  for (int e = -12; e <= 12; ++e) {
    for (double f : {0.5, 0.9375, 0.93750001, 1.0, 1.7}) {
      const double m = std::ldexp(f * 7.5, e);
      int out[3];
      q.Candidates(m, out);
      EXPECT_EQ(out[0], FitExponent(c, m)) << m;
    }
  }
}

TEST(ExponentCandidatesTest, Modes) {
  const CodecConfig c = *PresetByName("4bit");
  int out[3];
  ASSERT_EQ(Cand(c, ExponentMode::kSearch, 0, 3.0, out), 3);
  EXPECT_EQ(out[0], -2);
  EXPECT_EQ(out[1], -1);
  EXPECT_EQ(out[2], 0);
  ASSERT_EQ(Cand(c, ExponentMode::kSearch, 0, 0.0, out), 2);
  EXPECT_EQ(out[0], -8);
  EXPECT_EQ(out[1], -7);
  ASSERT_EQ(Cand(c, ExponentMode::kFit, 0, 3.0, out), 1);
  EXPECT_EQ(out[0], -1);
  // paper: floor(log2 m): 3.0 -> 1; 4.0 -> 2; 0.01 -> -7; 0 -> -8.
  Cand(c, ExponentMode::kPaper, 0, 3.0, out);
  EXPECT_EQ(out[0], 1);
  Cand(c, ExponentMode::kPaper, 0, 4.0, out);
  EXPECT_EQ(out[0], 2);
  Cand(c, ExponentMode::kPaper, 0, 0.01, out);
  EXPECT_EQ(out[0], -7);
  Cand(c, ExponentMode::kPaper, 0, 0.0, out);
  EXPECT_EQ(out[0], -8);
  // The bias shifts the range: m = 3 / 2^-4 = 48 -> e0 = 3.
  Cand(c, ExponentMode::kFit, -4, 3.0, out);
  EXPECT_EQ(out[0], 3);
  // E = 0: the only exponent is 0.
  CodecConfig c0 = c;
  c0.E = 0;
  ASSERT_EQ(Cand(c0, ExponentMode::kSearch, 0, 3.0, out), 1);
  EXPECT_EQ(out[0], 0);
}

TEST(QuantizeTest, RoundsHalfAwayAndClamps) {
  const CodecConfig c = *PresetByName("4bit");
  const Quantizer quant(c, ExponentMode::kSearch, 0);
  const double t[3] = {2.5 * 0.25, -2.5 * 0.25, 100.0};
  int8_t q[3];
  quant.Quantize(t, -2, q);
  EXPECT_EQ(q[0], 3);
  EXPECT_EQ(q[1], -3);
  EXPECT_EQ(q[2], 7);
  const double u[3] = {-100.0, 0.0, -0.49};
  quant.Quantize(u, 0, q);
  EXPECT_EQ(q[0], -8);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2], 0);
}

}  // namespace
}  // namespace seedlm

namespace seedlm {
namespace {

// Quantize's rounding equals clamp(std::round(.)) on hard cases.
TEST(QuantizeTest, MatchesStdRound) {
  const CodecConfig c = *PresetByName("4bit");
  const Quantizer quant(c, ExponentMode::kSearch, 0);
  std::vector<double> xs = {0.5,
                            -0.5,
                            1.5,
                            -1.5,
                            6.5,
                            7.5,
                            -8.5,
                            7.49999,
                            std::nextafter(0.5, 0.0),
                            std::nextafter(-0.5, 0.0),
                            std::nextafter(6.5, 7.0),
                            1e300,
                            -1e300,
                            0.0,
                            -0.0};
  for (int i = 0; i < 2000; ++i) xs.push_back((i - 1000) / 97.0);
  for (double x : xs) {
    const double t[3] = {x, -x, x / 3};
    int8_t q[3];
    quant.Quantize(t, 0, q);
    for (int p = 0; p < 3; ++p) {
      EXPECT_EQ(q[p], std::clamp(std::round(t[p]), -8.0, 7.0)) << t[p];
    }
  }
}

}  // namespace
}  // namespace seedlm
