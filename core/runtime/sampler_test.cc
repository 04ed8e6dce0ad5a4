#include "core/runtime/sampler.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

std::vector<float> Logits(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

std::vector<int> Histogram(const SamplerOptions& o,
                           const std::vector<float>& logits, int n) {
  Sampler s(o);
  std::vector<int> h(logits.size());
  for (int i = 0; i < n; ++i) ++h[s.Sample(logits)];
  return h;
}

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  Sampler s(SamplerOptions{});
  EXPECT_EQ(s.Sample(std::vector<float>{1, 3, 2}), 1);
  EXPECT_EQ(s.Sample(std::vector<float>{5, 1, 5}), 0);
}

TEST(Sampler, FollowsTheDistribution) {
  const auto logits = Logits({0.5, 0.3, 0.2});
  SamplerOptions o;
  o.temperature = 1;
  o.seed = 42;
  const auto h = Histogram(o, logits, 40000);
  EXPECT_NEAR(h[0] / 40000.0, 0.5, 0.01);
  EXPECT_NEAR(h[1] / 40000.0, 0.3, 0.01);
  EXPECT_NEAR(h[2] / 40000.0, 0.2, 0.01);
}

TEST(Sampler, TemperatureSharpens) {
  const auto logits = Logits({0.5, 0.3, 0.2});
  SamplerOptions o;
  o.temperature = 0.5;  // p ∝ p^2: 25:9:4
  const auto h = Histogram(o, logits, 40000);
  EXPECT_NEAR(h[0] / 40000.0, 25.0 / 38, 0.01);
  EXPECT_NEAR(h[2] / 40000.0, 4.0 / 38, 0.01);
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
  const auto logits = Logits({0.2, 0.5, 0.3});
  SamplerOptions o;
  o.temperature = 1;
  o.top_p = 0.5;  // token 1 alone reaches 0.5
  EXPECT_EQ(Histogram(o, logits, 2000), (std::vector<int>{0, 2000, 0}));
  o.top_p = 0.7;  // tokens 1 and 2, renormalised 5:3
  const auto h = Histogram(o, logits, 40000);
  EXPECT_EQ(h[0], 0);
  EXPECT_NEAR(h[1] / 40000.0, 5.0 / 8, 0.01);
}

TEST(Sampler, SeedDeterminesTheStream) {
  const auto logits = Logits({0.25, 0.25, 0.25, 0.25});
  SamplerOptions o;
  o.temperature = 1;
  o.seed = 7;
  Sampler a(o), b(o);
  o.seed = 8;
  Sampler c(o);
  int same = 0;
  for (int i = 0; i < 200; ++i) {
    const int32_t x = a.Sample(logits);
    EXPECT_EQ(x, b.Sample(logits));
    same += x == c.Sample(logits);
  }
  EXPECT_LT(same, 120);  // independent streams agree ~1/4 of the time
}

TEST(Sampler, ValidatesOptions) {
  SamplerOptions o;
  EXPECT_TRUE(ValidateSamplerOptions(o).ok());
  o.temperature = -1;
  EXPECT_FALSE(ValidateSamplerOptions(o).ok());
  o.temperature = NAN;
  EXPECT_FALSE(ValidateSamplerOptions(o).ok());
  o.temperature = 1;
  o.top_p = 0;
  EXPECT_FALSE(ValidateSamplerOptions(o).ok());
  o.top_p = 1.5;
  EXPECT_FALSE(ValidateSamplerOptions(o).ok());
}

}  // namespace
}  // namespace seedlm
