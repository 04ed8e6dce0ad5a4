#include "core/runtime/linear.h"

#include <cmath>
#include <random>
#include <vector>

#include "core/codec/block_format.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/packed_testing.h"
#include "core/runtime/kernels_testing.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

float NaiveDot(const std::vector<float>& a, const float* b) {
  // The documented order: lane i % 8, then a fixed pairwise combine.
  float s[8] = {};
  for (size_t i = 0; i < a.size(); ++i) s[i % 8] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

TEST(DotF32, MatchesDocumentedOrderForEveryLength) {
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0, 1);
  for (int len = 0; len < 70; ++len) {
    std::vector<float> a(len), b(len);
    for (int i = 0; i < len; ++i) a[i] = n(rng), b[i] = n(rng);
    EXPECT_EQ(DotF32(a.data(), b.data(), len), NaiveDot(a, b.data())) << len;
  }
}

// The packed kernel must equal the scalar reference decode (DecodePackedRows)
// followed by the dense kernel, bit for bit, for every preset and for
// column counts that are not multiples of C (the fused i8 codecs: both within
// the fused kernel's float32 rounding bound of the float64 dot product).
TEST(PackedLinear, MatchesReferenceDecodeThenDense) {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  for (const std::string& preset : PresetNames()) {
    const CodecConfig c = *PresetByName(preset);
    if (c.is_trellis()) continue;  // TrellisLinear: trellis_linear_test
    for (int64_t cols : {1, 7, 8, 12, 13, 64, 100}) {
      const int64_t rows = 1 + static_cast<int64_t>(rng() % 9);
      const int bias = static_cast<int>(rng() % 9) - 12;
      const auto payload = RandomPackedPayload(c, rows, cols, &rng);
      std::vector<float> dense(rows * cols);
      ASSERT_TRUE(DecodePackedRows(c, bias, MakeGeometry(c, rows, cols),
                                   payload, 0, rows, absl::MakeSpan(dense))
                      .ok());
      auto packed = PackedLinear::Create(c, bias, rows, cols, payload);
      ASSERT_TRUE(packed.ok()) << packed.status();
      DenseLinear ref(rows, cols, dense);
      std::vector<float> x(cols), y(rows), y_ref(rows), row(cols);
      for (auto& v : x) v = n(rng);
      (*packed)->MatVecRows(x.data(), 0, rows, y.data());
      ref.MatVecRows(x.data(), 0, rows, y_ref.data());
      if (kernels::FusedSupports(c)) {  // its own numerics, within a bound
        for (int64_t r = 0; r < rows; ++r) {
          const kernels::ExactDot e =
              kernels::FusedExactDot((*packed)->view(), r, x.data());
          EXPECT_LE(std::fabs(y[r] - e.value), e.bound) << preset << " " << r;
          EXPECT_LE(std::fabs(y_ref[r] - e.value), e.bound);
        }
      } else {
        EXPECT_EQ(y, y_ref) << preset << " cols " << cols;
      }
      for (int64_t r = 0; r < rows; ++r) {
        (*packed)->GetRow(r, row.data());
        EXPECT_TRUE(std::equal(row.begin(), row.end(), &dense[r * cols]))
            << preset << " row " << r;
      }
    }
  }
}

TEST(PackedLinear, RejectsBadGeometry) {
  const CodecConfig c = *PresetByName("4bit");
  std::vector<uint8_t> payload(10);
  EXPECT_EQ(PackedLinear::Create(c, 0, 2, 16, payload).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PackedLinear::Create(c, 300, 1, 8, payload).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A block with seed 0 (only a corrupt payload has one).
  std::vector<uint8_t> zero_seed(8, 0xFF);
  zero_seed[4] = zero_seed[5] = 0;  // block 1's seed: bits 32..47
  EXPECT_EQ(PackedLinear::Create(c, 0, 1, 16, zero_seed).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(
      PackedLinear::Create(c, 0, 1, 16, std::vector<uint8_t>(8, 0xFF)).ok());
  CodecConfig bad = c;
  bad.C = 0;
  EXPECT_EQ(PackedLinear::Create(bad, 0, 1, 8, payload).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MatVec, IdenticalForAnyThreadCount) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0, 1);
  const CodecConfig c = *PresetByName("3bit");
  const int64_t rows = 3001, cols = 100;
  const auto payload = RandomPackedPayload(c, rows, cols, &rng);
  auto packed = *PackedLinear::Create(c, -8, rows, cols, payload);
  std::vector<float> dense_values(rows * cols);
  for (auto& v : dense_values) v = n(rng);
  DenseLinear dense(rows, cols, dense_values);
  std::vector<float> x(cols);
  for (auto& v : x) v = n(rng);
  for (const LinearWeight* w : {static_cast<const LinearWeight*>(packed.get()),
                                static_cast<const LinearWeight*>(&dense)}) {
    std::vector<float> y1(rows), y2(rows), y3(rows);
    MatVec(*w, x.data(), y1.data(), nullptr);
    ThreadPool two(2), three(3);
    MatVec(*w, x.data(), y2.data(), &two);
    MatVec(*w, x.data(), y3.data(), &three);
    EXPECT_EQ(y1, y2);
    EXPECT_EQ(y1, y3);
  }
}

}  // namespace
}  // namespace seedlm
