// Tests of the quality bench's data sets and block selection
// (quality_data.h).
#include "bench/quality_data.h"

#include <cmath>
#include <set>
#include <tuple>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

DataSet Shapes(const std::vector<std::pair<int64_t, int64_t>>& shapes) {
  DataSet d;
  d.name = "model";
  for (const auto& [rows, cols] : shapes) {
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    m.w.assign(static_cast<size_t>(rows * cols), 1.0f);
    d.matrices.push_back(std::move(m));
  }
  return d;
}

TEST(GaussianTest, DeterministicScaledAndRoughlyNormal) {
  const DataSet a = MakeGaussian(0.02, 4, 1000, 1);
  const DataSet b = MakeGaussian(0.02, 4, 1000, 1);
  const DataSet c = MakeGaussian(0.01, 4, 1000, 1);
  const DataSet other = MakeGaussian(0.02, 4, 1000, 2);
  EXPECT_EQ(a.name, "gaussian-0.02");
  EXPECT_EQ(MakeGaussian(0.005, 1, 1, 1).name, "gaussian-0.005");
  ASSERT_EQ(a.matrices.size(), 1u);
  EXPECT_EQ(a.matrices[0].w, b.matrices[0].w);
  EXPECT_NE(a.matrices[0].w, other.matrices[0].w);
  double sum2 = 0;
  for (size_t i = 0; i < a.matrices[0].w.size(); ++i) {
    // Same engine seed: sigma 0.01 is sigma 0.02 halved (before rounding).
    EXPECT_NEAR(c.matrices[0].w[i], a.matrices[0].w[i] / 2, 1e-9);
    sum2 += static_cast<double>(a.matrices[0].w[i]) * a.matrices[0].w[i];
  }
  EXPECT_NEAR(std::sqrt(sum2 / 4000), 0.02, 0.001);
}

TEST(BlocksTest, CountsWithPadding) {
  const DataSet d = Shapes({{64, 64}, {64, 172}});
  EXPECT_EQ(d.NumBlocks(8), 64 * 8 + 64 * 22);
  EXPECT_EQ(d.NumBlocks(12), 64 * 6 + 64 * 15);
  EXPECT_EQ(d.NumWeights(), 64 * 64 + 64 * 172);
}

TEST(BlocksTest, LeadingRows) {
  const DataSet d = Shapes({{3, 20}});
  const std::vector<BlockRef> b = LeadingRowBlocks(d, 8, 2);
  ASSERT_EQ(b.size(), 6u);  // 2 rows x 3 blocks (8, 8, 4 + padding)
  EXPECT_EQ(b[2].row, 0);
  EXPECT_EQ(b[2].col0, 16);
  EXPECT_EQ(b[3].row, 1);
  EXPECT_EQ(b[3].col0, 0);
}

TEST(BlocksTest, SampleIsProportionalDistinctAndSpread) {
  const DataSet d = Shapes({{64, 64}, {32, 64}, {172, 64}, {64, 172}});
  const int64_t total = d.NumBlocks(8);  // 512 + 256 + 1376 + 1408 = 3552
  ASSERT_EQ(total, 3552);
  const std::vector<BlockRef> s = SampleBlocks(d, 8, 444);  // 1/8 of all
  ASSERT_EQ(s.size(), 444u);
  std::set<std::tuple<int, int64_t, int64_t>> seen;
  std::vector<int> per_matrix(4);
  for (const BlockRef& b : s) {
    const Matrix& m = d.matrices[b.matrix];
    EXPECT_LT(b.row, m.rows);
    EXPECT_LT(b.col0, m.cols);
    EXPECT_EQ(b.col0 % 8, 0);
    EXPECT_TRUE(seen.insert({b.matrix, b.row, b.col0}).second);
    ++per_matrix[b.matrix];
  }
  EXPECT_EQ(per_matrix, (std::vector<int>{64, 32, 172, 176}));
  // Evenly spread: matrix 0 takes every 8th block starting at block 4.
  EXPECT_EQ(s[0].row, 0);
  EXPECT_EQ(s[0].col0, 32);
  EXPECT_EQ(s[1].row, 1);
  EXPECT_EQ(s[1].col0, 32);
}

TEST(BlocksTest, SampleRemainderGoesToLargestFraction) {
  const DataSet d = Shapes({{1, 80}, {1, 16}, {1, 24}});  // 10, 2, 3 blocks
  // n = 4 of 15: quotas 2.67, 0.53, 0.8 -> floors 2, 0, 0, then the largest
  // fractions: matrix 2 (0.8) and matrix 0 (0.67).
  const std::vector<BlockRef> s = SampleBlocks(d, 8, 4);
  std::vector<int> per_matrix(3);
  for (const BlockRef& b : s) ++per_matrix[b.matrix];
  EXPECT_EQ(per_matrix, (std::vector<int>{3, 0, 1}));
}

TEST(BlocksTest, SampleOfAllOrZeroIsEverything) {
  const DataSet d = Shapes({{2, 20}, {1, 8}});
  EXPECT_EQ(SampleBlocks(d, 8, 0).size(), 7u);
  EXPECT_EQ(SampleBlocks(d, 8, 7).size(), 7u);
  EXPECT_EQ(SampleBlocks(d, 8, 100).size(), 7u);
  EXPECT_EQ(SampleBlocks(d, 8, 6).size(), 6u);
}

}  // namespace
}  // namespace seedlm
