// The trellis kernels (trellis_kernels.h) at every SIMD level this machine
// supports against their scalar reference, bit for bit, on random valid
// payloads (random streams, finite non-negative scales) for R in {2, 3, 4}
// and other layouts, many row lengths (one ring, padded last rings, several
// rings), batch 1 and 8 and odd row ranges; and the reference's fast decode
// against the normative TrellisDecodeRowRotated, value by value.
#include "core/runtime/trellis_kernels.h"

#include <cstring>
#include <random>
#include <vector>

#include "core/codec/trellis.h"
#include "core/runtime/linear.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace kernels {
namespace {

std::vector<SimdLevel> Levels() {
  std::vector<SimdLevel> out;
  for (SimdLevel l :
       {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (SimdLevelSupported(l)) {
      out.push_back(l);
    } else {
      std::printf("note: SIMD level %s not supported here, not tested\n",
                  SimdLevelName(l));
    }
  }
  return out;
}

// A random valid payload: random stream bytes, row scales uniform in
// [0, 0.05) (row 1, if any, has scale 0).
std::vector<uint8_t> RandomPayload(const TrellisLayout& l, int64_t rows,
                                   int64_t cols, std::mt19937* rng) {
  const uint64_t rb = TrellisRowBytes(l, cols);
  std::vector<uint8_t> p(rows * rb);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.0f, 0.05f);
  for (uint8_t& b : p) b = static_cast<uint8_t>(byte(*rng));
  for (int64_t r = 0; r < rows; ++r) {
    const float s = r == 1 ? 0.0f : scale(*rng);
    std::memcpy(&p[r * rb], &s, 4);
  }
  return p;
}

TrellisView View(const TrellisLayout& l, int64_t rows, int64_t cols,
                 const std::vector<uint8_t>& p) {
  TrellisView m;
  m.layout = l;
  m.rows = rows;
  m.cols = cols;
  m.row_bytes = TrellisRowBytes(l, cols);
  m.data = p.data();
  return m;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Every level vs the reference on rows [begin, end) for batch 1 and 8.
void CheckLevels(const TrellisView& m, int64_t begin, int64_t end,
                 std::mt19937* rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int64_t batch : {1, 8}) {
    std::vector<float> x(batch * m.cols);
    for (float& v : x) v = nd(*rng);
    const int64_t n = end - begin;
    std::vector<float> want(batch * n);
    TrellisRowsReference(m, x.data(), batch, begin, end, want.data(), n);
    for (SimdLevel level : Levels()) {
      std::vector<float> got(batch * n, -1.0f);
      TrellisRows(level, m, x.data(), batch, begin, end, got.data(), n);
      EXPECT_TRUE(SameBits(got, want))
          << SimdLevelName(level) << " L" << m.layout.L << " R" << m.layout.R
          << " T" << m.layout.T << " cols " << m.cols << " batch " << batch
          << " rows [" << begin << ", " << end << ")";
    }
  }
}

TEST(TrellisKernelsTest, EveryLevelMatchesReference) {
  std::mt19937 rng(17);
  for (int R : {2, 3, 4}) {
    for (int64_t cols : {4, 64, 172, 256, 384, 1000, 4096}) {
      const TrellisLayout l{16, R, 256};
      const int64_t rows = cols >= 4096 ? 6 : 11;
      const std::vector<uint8_t> p = RandomPayload(l, rows, cols, &rng);
      const TrellisView m = View(l, rows, cols, p);
      CheckLevels(m, 0, rows, &rng);
      CheckLevels(m, 1, rows - 2, &rng);  // odd range, partial tiles
      CheckLevels(m, 3, 4, &rng);         // one row
    }
  }
}

TEST(TrellisKernelsTest, OtherLayoutsMatchReference) {
  std::mt19937 rng(18);
  // R 1, 5, 6 and short rings take the SIMD path; L != 16 the scalar one.
  for (const TrellisLayout& l :
       {TrellisLayout{16, 1, 64}, TrellisLayout{16, 5, 16},
        TrellisLayout{16, 6, 32}, TrellisLayout{16, 4, 16},
        TrellisLayout{12, 3, 64}, TrellisLayout{16, 7, 64}}) {
    for (int64_t cols : {3, 17, 100, 130}) {
      const std::vector<uint8_t> p = RandomPayload(l, 9, cols, &rng);
      CheckLevels(View(l, 9, cols, p), 0, 9, &rng);
    }
  }
}

TEST(TrellisKernelsTest, ReferenceDecodeIsNormative) {
  std::mt19937 rng(19);
  for (const TrellisLayout& l :
       {TrellisLayout{16, 2, 256}, TrellisLayout{16, 3, 256},
        TrellisLayout{16, 4, 256}, TrellisLayout{12, 3, 64},
        TrellisLayout{16, 5, 16}}) {
    for (int64_t cols : {4, 6, 64, 172, 258, 1000}) {
      const std::vector<uint8_t> p = RandomPayload(l, 3, cols, &rng);
      const TrellisView m = View(l, 3, cols, p);
      for (int64_t r = 0; r < 3; ++r) {
        std::vector<float> want(cols), got(cols);
        TrellisDecodeRowRotated(l, cols, p.data() + r * m.row_bytes,
                                want.data());
        TrellisDecodeRowFast(m, r, got.data());
        ASSERT_TRUE(SameBits(got, want))
            << "R" << l.R << " L" << l.L << " cols " << cols << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace kernels
}  // namespace seedlm
