// TrellisLinear (trellis_linear.h) on matrices encoded by the trellis search:
// its MatVec / MatMul are DotF32 of the rotated-domain rows against Rot(x)
// bit for bit (any thread count, any batch), GetRow is the normative decode,
// y stays within the documented rounding bound of DotF32(GetRow(r), x), and
// Create rejects bad inputs with the documented codes.
#include "core/runtime/trellis_linear.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/codec/trellis.h"
#include "core/search/trellis_search.h"
#include "core/util/thread_pool.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

struct Encoded {
  CodecConfig codec;
  int64_t rows, cols;
  std::vector<uint8_t> payload;
};

// rows x cols Gaussian weights (sigma 0.02) encoded row by row.
Encoded Encode(const std::string& preset, int64_t rows, int64_t cols,
               bool rotate, uint32_t seed) {
  Encoded e{*PresetByName(preset), rows, cols, {}};
  e.codec.trellis.rotate = rotate;
  const uint64_t rb = MakeGeometry(e.codec, rows, cols).trellis_row_bytes();
  e.payload.resize(rows * rb);
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> w(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : w) v = nd(rng);
    EXPECT_TRUE(TrellisEncodeRow(e.codec.trellis, w,
                                 absl::MakeSpan(&e.payload[r * rb], rb))
                    .ok());
  }
  return e;
}

std::vector<float> RandomX(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = nd(rng);
  return x;
}

bool SameBits(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, n * sizeof(float)) == 0;
}

void CheckMatrix(const Encoded& e) {
  SCOPED_TRACE(PresetName(e.codec) + " cols " + std::to_string(e.cols) +
               (e.codec.trellis.rotate ? "" : " unrotated"));
  auto w = TrellisLinear::Create(e.codec, e.rows, e.cols, e.payload);
  ASSERT_TRUE(w.ok()) << w.status();
  const int64_t rows = e.rows, cols = e.cols, batch = 3;
  const std::vector<float> x = RandomX(batch * cols, 5);
  std::vector<float> xr(x.begin(), x.end());
  if (e.codec.trellis.rotate) {
    for (int64_t b = 0; b < batch; ++b) TrellisRotate(cols, &xr[b * cols]);
  }
  std::vector<float> y(batch * rows), y1(rows), yp(batch * rows);
  MatMul(**w, x.data(), batch, y.data(), nullptr);
  ThreadPool pool(3);
  MatMul(**w, x.data(), batch, yp.data(), &pool);
  EXPECT_TRUE(SameBits(y.data(), yp.data(), batch * rows));
  const TrellisLayout l = MakeTrellisLayout(e.codec.trellis);
  const uint64_t rb = TrellisRowBytes(l, cols);
  std::vector<float> rot(cols), row(cols);
  for (int64_t b = 0; b < batch; ++b) {
    MatVec(**w, &x[b * cols], y1.data(), &pool);
    EXPECT_TRUE(SameBits(y1.data(), &y[b * rows], rows)) << "batch " << b;
    for (int64_t r = 0; r < rows; ++r) {
      TrellisDecodeRowRotated(l, cols, &e.payload[r * rb], rot.data());
      const float want = DotF32(rot.data(), &xr[b * cols], cols);
      EXPECT_TRUE(SameBits(&y[b * rows + r], &want, 1)) << "row " << r;
      (*w)->GetRow(r, row.data());
      std::vector<float> normative(cols);
      TrellisDecodeRow(e.codec.trellis, cols, &e.payload[r * rb],
                       normative.data());
      ASSERT_TRUE(SameBits(row.data(), normative.data(), cols));
      // The documented bound against the unrotated weights.
      double wn = 0, xn = 0;
      for (int64_t c = 0; c < cols; ++c) {
        wn += double{row[c]} * row[c];
        xn += double{x[b * cols + c]} * x[b * cols + c];
      }
      const double lb = std::log2(double(TrellisRotationBlock(cols)));
      const double bound = (2.0 * (cols / 8 + 3) + 4.0 * (lb + 2)) *
                           std::ldexp(1.0, -24) * std::sqrt(wn * xn);
      const float unrot = DotF32(row.data(), &x[b * cols], cols);
      EXPECT_LE(std::fabs(double{y[b * rows + r]} - unrot), bound)
          << "row " << r;
    }
  }
  EXPECT_EQ((*w)->StorageBytes(), e.payload.size());
}

TEST(TrellisLinearTest, ServesEncodedMatrices) {
  CheckMatrix(Encode("4bit-t", 9, 172, true, 1));
  CheckMatrix(Encode("3bit-t", 6, 256, true, 2));
  CheckMatrix(Encode("2bit-t", 5, 384, true, 3));
  CheckMatrix(Encode("4bit-t", 5, 64, false, 4));
}

TEST(TrellisLinearTest, BitsPerWeightCountsScales) {
  const Encoded e = Encode("4bit-t", 2, 256, true, 6);
  auto w = TrellisLinear::Create(e.codec, 2, 256, e.payload);
  ASSERT_TRUE(w.ok());
  EXPECT_DOUBLE_EQ((*w)->bits_per_weight(), (4.0 * 256 + 32) / 256);
}

TEST(TrellisLinearTest, CreateRejectsBadInput) {
  Encoded e = Encode("3bit-t", 3, 100, true, 7);
  auto bad_size = TrellisLinear::Create(
      e.codec, 3, 100, absl::MakeConstSpan(e.payload).subspan(1));
  EXPECT_EQ(bad_size.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TrellisLinear::Create(e.codec, 3, 0, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TrellisLinear::Create(*PresetByName("4bit-p4"), 3, 100, e.payload)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  CodecConfig bad_codec = e.codec;
  bad_codec.trellis.R = 0;
  EXPECT_EQ(TrellisLinear::Create(bad_codec, 3, 100, e.payload).status().code(),
            absl::StatusCode::kInvalidArgument);
  const uint64_t rb = TrellisRowBytes(MakeTrellisLayout(e.codec.trellis), 100);
  for (float s : {-1.0f, NAN, INFINITY}) {
    std::vector<uint8_t> p = e.payload;
    std::memcpy(&p[2 * rb], &s, 4);
    EXPECT_EQ(TrellisLinear::Create(e.codec, 3, 100, p).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(TrellisLinearTest, CreateCompressedLinearPicksTheFamily) {
  const Encoded e = Encode("4bit-t", 2, 64, true, 8);
  auto t = CreateCompressedLinear(e.codec, 0, 2, 64, e.payload);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(dynamic_cast<const TrellisLinear*>(t->get()), nullptr);
  const CodecConfig p4 = *PresetByName("4bit-p4");
  std::vector<uint8_t> packed(MakeGeometry(p4, 2, 64).payload_bytes(), 0x11);
  auto p = CreateCompressedLinear(p4, -8, 2, 64, packed);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NE(dynamic_cast<const PackedLinear*>(p->get()), nullptr);
}

}  // namespace
}  // namespace seedlm
