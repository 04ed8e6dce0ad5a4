// Every kernel of kernels.h at every SIMD level this machine supports against
// its scalar reference (decode the row by the normative rule, then DotF32;
// FusedRowsReference for the fused i8 codecs), bit for bit, on random shapes,
// biases, exponents and coefficients; the fused reference against float64
// within its proven bound.
#include "core/runtime/kernels.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/block_format.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/packed_testing.h"
#include "core/runtime/kernels_testing.h"
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

// y[b][r] = DotF32(row r, x_b) from the given float32 rows.
std::vector<float> Reference(const std::vector<float>& w, int64_t rows,
                             int64_t cols, const std::vector<float>& x,
                             int64_t batch) {
  std::vector<float> y(static_cast<size_t>(batch * rows));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t r = 0; r < rows; ++r) {
      y[b * rows + r] = DotF32(&w[r * cols], &x[b * cols], cols);
    }
  }
  return y;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A block-family codec (CodecConfig's first fields are the family's).
CodecConfig Block(int C, int P, int K, int Q, int E, Variant v) {
  CodecConfig c;
  c.C = C, c.P = P, c.K = K, c.Q = Q, c.E = E, c.variant = v;
  return c;
}

// The block-family codecs (trellis_kernels_test covers the trellis ones).
std::vector<CodecConfig> Codecs() {
  std::vector<CodecConfig> out;
  for (const std::string& name : PresetNames()) {
    const CodecConfig c = *PresetByName(name);
    if (!c.is_trellis()) out.push_back(c);
  }
  // Other shapes the SIMD kernels take (C <= 16, P <= 4, Q <= 7, K = 16) and
  // one they leave to the reference (K = 12).
  CodecConfig a = Block(5, 2, 16, 3, 2, Variant::kPaper);
  CodecConfig b = Block(16, 4, 16, 7, 5, Variant::kI8);
  CodecConfig c = Block(3, 1, 16, 5, 0, Variant::kI8);
  CodecConfig d = Block(10, 4, 16, 4, 6, Variant::kPaper);  // E = 8 overflows
  CodecConfig e = Block(8, 3, 12, 4, 4, Variant::kPaper);
  CodecConfig f = Block(8, 4, 16, 4, 0, Variant::kI8);  // fused, E = 0
  CodecConfig g =
      Block(8, 2, 16, 4, 4, Variant::kI8);  // 28-bit blocks: not fused
  for (const CodecConfig& x : {a, b, c, d, e, f, g}) {
    if (x.Validate().ok()) out.push_back(x);
  }
  return out;
}

TEST(PackedTables, ReproduceSeedMatrixForEverySeed) {
  for (const CodecConfig& c : Codecs()) {
    auto t = PackedTables::Get(c);
    if (t == nullptr) continue;
    const bool i8 = c.variant == Variant::kI8;
    int32_t m[kMaxC * kMaxP];
    for (uint32_t s = 1; s <= c.num_seeds(); s += (c.C == 8 ? 1 : 7)) {
      SeedMatrix(c, s, m);
      const uint32_t* lo = t->lo() + (s & 0xFF) * t->row_words();
      const uint32_t* hi = t->hi() + (s >> 8) * t->row_words();
      for (int cc = 0; cc < c.C; ++cc) {
        for (int p = 0; p < c.P; ++p) {
          int32_t got;
          if (i8) {
            got = static_cast<int8_t>(((lo[cc] ^ hi[cc]) >> (8 * p)) & 0xFF);
          } else {
            const int w = (p / 2) * t->cpad() + cc;
            got = static_cast<int16_t>(((lo[w] ^ hi[w]) >> (16 * (p % 2))) &
                                       0xFFFF);
          }
          ASSERT_EQ(got, m[cc * c.P + p])
              << "seed " << s << " c " << cc << " p " << p << " C " << c.C;
        }
      }
    }
  }
}

TEST(PackedTables, RawTablesHoldMPlus128ForEverySeed) {
  for (const CodecConfig& c : Codecs()) {
    auto t = PackedTables::GetRaw(c);
    if (t == nullptr) continue;
    int32_t m[kMaxC * kMaxP];
    for (uint32_t s = 1; s <= c.num_seeds(); ++s) {
      SeedMatrix(c, s, m);
      const uint32_t* lo = t->lo() + (s & 0xFF) * t->row_words();
      const uint32_t* hi = t->hi() + (s >> 8) * t->row_words();
      for (int cc = 0; cc < 8; ++cc) {
        for (int p = 0; p < 4; ++p) {
          const int got =
              static_cast<int>(((lo[cc] ^ hi[cc]) >> (8 * p)) & 0xFF);
          ASSERT_EQ(got, p < c.P ? m[cc * c.P + p] + 128 : 0)
              << "seed " << s << " c " << cc << " p " << p;
        }
      }
    }
  }
}

TEST(PackedRows, EveryLevelMatchesReferenceBitForBit) {
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0, 1);
  const std::vector<SimdLevel> levels = Levels();
  for (const CodecConfig& c : Codecs()) {
    for (int64_t cols :
         {int64_t{1}, int64_t{7}, int64_t{c.C - 1 > 0 ? c.C - 1 : 1},
          int64_t{c.C + 3}, int64_t{100}, int64_t{517}, int64_t{1031},
          int64_t{2 * 4096 + 13}}) {
      const int64_t rows = 1 + static_cast<int64_t>(rng() % 13);
      const int64_t batch = 1 + static_cast<int64_t>(rng() % 9);
      const int bias = static_cast<int>(rng() % 17) - 12;
      const auto payload = RandomPackedPayload(c, rows, cols, &rng);
      std::vector<float> w(static_cast<size_t>(rows * cols));
      ASSERT_TRUE(DecodePackedRows(c, bias, MakeGeometry(c, rows, cols),
                                   payload, 0, rows, absl::MakeSpan(w))
                      .ok());
      std::vector<float> x(static_cast<size_t>(batch * cols));
      for (auto& v : x) v = n(rng);
      std::vector<float> want = Reference(w, rows, cols, x, batch);
      auto packed = PackedLinear::Create(c, bias, rows, cols, payload);
      ASSERT_TRUE(packed.ok()) << packed.status();
      PackedView view;
      view.codec = c;
      view.rows = rows;
      view.cols = cols;
      view.blocks_per_row = MakeGeometry(c, rows, cols).blocks_per_row();
      view.data = payload.data();
      view.size = payload.size();
      std::vector<float> scales;
      for (uint32_t f = 0; f < (1u << c.E); ++f) {
        scales.push_back(BlockScale(c, SignExtend(f, c.E), bias));
      }
      view.field_scale = scales.data();
      auto expander = SeedExpander::Get(c);
      auto tables = PackedTables::Get(c);
      auto raw_tables = PackedTables::GetRaw(c);
      view.expander = expander.get();
      view.tables = tables.get();
      view.raw_tables = raw_tables.get();
      ASSERT_EQ(raw_tables != nullptr, FusedSupports(c));
      if (FusedSupports(c)) {
        FusedRowsReference(view, x.data(), batch, 0, rows, want.data(), rows);
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t r = 0; r < rows; ++r) {
            const ExactDot e = FusedExactDot(view, r, &x[b * cols]);
            ASSERT_LE(std::fabs(want[b * rows + r] - e.value), e.bound)
                << "fused reference, row " << r << " cols " << cols;
          }
        }
      }
      const std::string what =
          absl::StrCat("C", c.C, " P", c.P, " K", c.K, " Q", c.Q, " E", c.E,
                       " ", VariantName(c.variant), " ", rows, "x", cols,
                       " batch ", batch, " bias ", bias);
      for (SimdLevel level : levels) {
        std::vector<float> y(want.size(), -1.0f);
        PackedRows(level, view, x.data(), batch, 0, rows, y.data(), rows);
        EXPECT_TRUE(SameBits(y, want)) << what << " " << SimdLevelName(level);
        // A sub-range of rows lands at its offset and leaves the rest alone.
        if (rows >= 3) {
          std::vector<float> part(want.size(), -1.0f);
          PackedRows(level, view, x.data(), batch, 1, rows - 1, part.data() + 1,
                     rows);
          for (int64_t b = 0; b < batch; ++b) {
            for (int64_t r = 0; r < rows; ++r) {
              const bool inside = r >= 1 && r < rows - 1;
              EXPECT_EQ(part[b * rows + r], inside ? want[b * rows + r] : -1.0f)
                  << what << " sub-range r " << r;
            }
          }
        }
      }
      // The LinearWeight entry points (default level).
      std::vector<float> y(want.size());
      MatMul(**packed, x.data(), batch, y.data(), nullptr);
      EXPECT_TRUE(SameBits(y, want)) << what << " MatMul";
      std::vector<float> y1(static_cast<size_t>(rows));
      MatVec(**packed, x.data(), y1.data(), nullptr);
      EXPECT_TRUE(std::equal(y1.begin(), y1.end(), want.begin())) << what;
    }
  }
}

TEST(DenseRows, EveryLevelMatchesReferenceBitForBit) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0, 1);
  const std::vector<SimdLevel> levels = Levels();
  for (int64_t cols : {1, 3, 8, 9, 100, 511, 512, 513, 1100}) {
    const int64_t rows = 1 + static_cast<int64_t>(rng() % 11);
    const int64_t batch = 1 + static_cast<int64_t>(rng() % 9);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (auto& v : w) v = n(rng);
    std::vector<float> x(static_cast<size_t>(batch * cols));
    for (auto& v : x) v = n(rng);
    auto bf = DenseBf16Linear::FromF32(rows, cols, w);
    std::vector<float> wb(w.size());
    for (int64_t r = 0; r < rows; ++r) bf->GetRow(r, &wb[r * cols]);
    const std::vector<float> want = Reference(w, rows, cols, x, batch);
    const std::vector<float> want_bf = Reference(wb, rows, cols, x, batch);
    for (SimdLevel level : levels) {
      std::vector<float> y(want.size()), yb(want.size());
      DenseF32Rows(level, w.data(), cols, x.data(), batch, 0, rows, y.data(),
                   rows);
      DenseBf16Rows(level, bf->data().data(), cols, x.data(), batch, 0, rows,
                    yb.data(), rows);
      EXPECT_TRUE(SameBits(y, want)) << cols << " " << SimdLevelName(level);
      EXPECT_TRUE(SameBits(yb, want_bf)) << cols << " " << SimdLevelName(level);
    }
    DenseLinear dense(rows, cols, w);
    std::vector<float> y(want.size());
    MatMul(dense, x.data(), batch, y.data(), nullptr);
    EXPECT_TRUE(SameBits(y, want)) << cols;
    MatMul(*bf, x.data(), batch, y.data(), nullptr);
    EXPECT_TRUE(SameBits(y, want_bf)) << cols;
  }
}

TEST(DenseBf16Linear, RoundsToNearestEven) {
  const float in[] = {1.0f, 1.00390625f /* tie: 1 + 2^-8 -> even (1) */,
                      1.01171875f /* tie: 1 + 3 * 2^-8 -> 1 + 2^-6 */, -2.5f,
                      1e-40f};
  auto bf = DenseBf16Linear::FromF32(1, 5, in);
  EXPECT_EQ(bf->data()[0], 0x3F80);
  EXPECT_EQ(bf->data()[1], 0x3F80);
  EXPECT_EQ(bf->data()[2], 0x3F82);
  EXPECT_EQ(bf->data()[3], 0xC020);
  float row[5];
  bf->GetRow(0, row);
  EXPECT_EQ(row[3], -2.5f);
}

TEST(MatMul, IdenticalForAnyThreadCountAndEqualToMatVec) {
  std::mt19937 rng(9);
  std::normal_distribution<float> n(0, 1);
  for (const std::string& preset : PresetNames()) {
    const CodecConfig c = *PresetByName(preset);
    if (c.is_trellis()) continue;  // TrellisLinear: trellis_linear_test
    const int64_t rows = 1003, cols = 301, batch = 5;
    const auto payload = RandomPackedPayload(c, rows, cols, &rng);
    auto packed = *PackedLinear::Create(c, -7, rows, cols, payload);
    std::vector<float> x(batch * cols);
    for (auto& v : x) v = n(rng);
    std::vector<float> y1(batch * rows), y2(batch * rows), y3(batch * rows);
    MatMul(*packed, x.data(), batch, y1.data(), nullptr);
    ThreadPool two(2), three(3);
    MatMul(*packed, x.data(), batch, y2.data(), &two);
    MatMul(*packed, x.data(), batch, y3.data(), &three);
    EXPECT_TRUE(SameBits(y1, y2)) << preset;
    EXPECT_TRUE(SameBits(y1, y3)) << preset;
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<float> yv(rows);
      MatVec(*packed, &x[b * cols], yv.data(), &three);
      EXPECT_TRUE(std::equal(yv.begin(), yv.end(), &y1[b * rows])) << preset;
    }
  }
}

}  // namespace
}  // namespace kernels
}  // namespace seedlm
