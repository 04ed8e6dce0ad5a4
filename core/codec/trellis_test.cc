// Unit tests of the seed trellis' codec parts (docs/SPEC.md §13): layout,
// states, code, rotation, scale rule and the normative decode. The search is
// tested in core/search/trellis_search_test.cc; the golden vectors in
// spec_doc_test.cc.
#include "core/codec/trellis.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis_format.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

CodecConfig Trellis(int L, int R, int T, bool rotate) {
  CodecConfig c;
  c.family = CodecFamily::kTrellis;
  c.trellis = TrellisParams{L, R, T, rotate};
  return c;
}

void PutScale(uint8_t* row, float s) { std::memcpy(row, &s, 4); }

TEST(TrellisLayoutTest, RingsAndRowBytes) {
  const TrellisLayout l{16, 3, 256};
  EXPECT_EQ(l.min_ring(), 6);
  EXPECT_EQ(TrellisRingsPerRow(l, 0), 0);
  EXPECT_EQ(TrellisRowBytes(l, 0), 4u);
  EXPECT_EQ(TrellisRingsPerRow(l, 256), 1);
  EXPECT_EQ(TrellisRingsPerRow(l, 257), 2);
  EXPECT_EQ(TrellisRingLength(l, 257, 1), 6);  // 1 weight padded to 6
  EXPECT_EQ(TrellisStoredWeights(l, 257), 262);
  EXPECT_EQ(TrellisRowBytes(l, 257), 4u + (262 * 3 + 7) / 8);
  EXPECT_EQ(TrellisStoredWeights(l, 384), 384);  // 256 + 128
  const PackedGeometry g = MakeGeometry(Trellis(16, 4, 256, true), 3, 4096);
  EXPECT_EQ(g.blocks_per_row(), 16);
  EXPECT_EQ(g.num_blocks(), 48);
  EXPECT_EQ(g.payload_bytes(), 3u * 2052u);
  EXPECT_NEAR(g.bits_per_weight(), 4.0078125, 1e-12);
}

TEST(TrellisLayoutTest, RotationBlock) {
  EXPECT_EQ(TrellisRotationBlock(0), 0);
  EXPECT_EQ(TrellisRotationBlock(7), 1);
  EXPECT_EQ(TrellisRotationBlock(172), 4);
  EXPECT_EQ(TrellisRotationBlock(384), 128);
  EXPECT_EQ(TrellisRotationBlock(11008), 256);
  EXPECT_EQ(TrellisRotationBlock(16384), 4096);
}

TEST(TrellisStateTest, CircularWindowEqualsShiftRecurrence) {
  std::mt19937 rng(7);
  for (const TrellisLayout l :
       {TrellisLayout{16, 4, 256}, TrellisLayout{16, 3, 256},
        TrellisLayout{16, 2, 256}, TrellisLayout{12, 5, 16},
        TrellisLayout{8, 1, 16}}) {
    for (int64_t n : {int64_t{l.min_ring()}, int64_t{l.min_ring() + 1},
                      int64_t{37}, int64_t{256}}) {
      std::vector<uint8_t> buf(2 + (n * l.R + 7) / 8);
      for (auto& b : buf) b = static_cast<uint8_t>(rng());
      const uint64_t pos = 3;  // not byte aligned on purpose
      const uint32_t mask = (1u << l.L) - 1u;
      uint32_t s = TrellisRingState(l, buf.data(), pos, n, 0);
      EXPECT_EQ(s & ((1u << l.R) - 1u), ReadBitsMsb(buf.data(), pos, l.R));
      for (int64_t i = 1; i < n; ++i) {
        const uint32_t k = ReadBitsMsb(buf.data(), pos + i * l.R, l.R);
        s = ((s << l.R) | k) & mask;
        ASSERT_EQ(s, TrellisRingState(l, buf.data(), pos, n, i))
            << "L=" << l.L << " R=" << l.R << " n=" << n << " i=" << i;
      }
      // Tail-biting: the state after the last weight, shifted once more by
      // the first chunk, is the first state again.
      EXPECT_EQ(((s << l.R) | ReadBitsMsb(buf.data(), pos, l.R)) & mask,
                TrellisRingState(l, buf.data(), pos, n, 0));
    }
  }
}

TEST(TrellisBitsTest, MsbFirstRoundTrip) {
  std::vector<uint8_t> buf(16, 0xA5);
  WriteBitsMsb(buf.data(), 5, 11, 0x5B3);
  EXPECT_EQ(ReadBitsMsb(buf.data(), 5, 11), 0x5B3u);
  EXPECT_EQ(ReadBitsMsb(buf.data(), 0, 5), 0xA5u >> 3);  // untouched
  EXPECT_EQ(buf[0] >> 3, 0xA5 >> 3);
  WriteBitsMsb(buf.data(), 0, 8, 0x80);
  EXPECT_EQ(buf[0], 0x80);  // the first bit is the byte's top bit
}

TEST(TrellisCodeTest, DistributionIsCentredAndBounded) {
  double sum = 0, sq = 0;
  int lo = 0, hi = 0;
  for (uint32_t s = 0; s < 65536; ++s) {
    const int v = TrellisCode(s);
    sum += v;
    sq += double(v) * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GE(lo, -510);
  EXPECT_LE(hi, 510);
  EXPECT_NEAR(sum / 65536, 0.0, 3.0);
  EXPECT_NEAR(std::sqrt(sq / 65536), 147.8, 3.0);
  const float* table = TrellisCodeTable(16);
  for (uint32_t s = 0; s < 65536; s += 97) {
    EXPECT_EQ(table[s], static_cast<float>(TrellisCode(s)));
  }
}

TEST(TrellisRotationTest, InverseAndNorm) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int64_t cols : {1, 3, 8, 64, 172, 384, 4096, 11008}) {
    std::vector<float> v(cols), w;
    for (auto& x : v) x = nd(rng);
    w = v;
    TrellisRotate(cols, w.data());
    double n0 = 0, n1 = 0;
    for (int64_t c = 0; c < cols; ++c) {
      n0 += double(v[c]) * v[c];
      n1 += double(w[c]) * w[c];
    }
    EXPECT_NEAR(n1 / n0, 1.0, 1e-5) << cols;
    TrellisUnrotate(cols, w.data());
    for (int64_t c = 0; c < cols; ++c) ASSERT_NEAR(w[c], v[c], 1e-5) << cols;
  }
  // The signs are not constant over a run of columns.
  int flips = 0;
  for (int c = 1; c < 64; ++c) {
    flips += TrellisColumnSign(c) != TrellisColumnSign(c - 1);
  }
  EXPECT_GT(flips, 16);
}

TEST(TrellisPrepareTest, ScaleTargetsAndErrors) {
  const TrellisParams t{16, 4, 256, false};
  std::vector<float> w = {3.0f, -4.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  std::vector<float> u(6);
  float scale = -1;
  ASSERT_TRUE(TrellisPrepareRow(t, w, &scale, absl::MakeSpan(u)).ok());
  // rms = sqrt(25 / 6); divisor 135 at R = 4.
  EXPECT_EQ(scale, static_cast<float>(std::sqrt(25.0 / 6) / 135.0));
  EXPECT_EQ(u[0], static_cast<float>(3.0 / static_cast<double>(scale)));
  std::vector<float> zeros(6, 0.0f);
  ASSERT_TRUE(TrellisPrepareRow(t, zeros, &scale, absl::MakeSpan(u)).ok());
  EXPECT_EQ(scale, 0.0f);
  w[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(TrellisPrepareRow(t, w, &scale, absl::MakeSpan(u)).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> small(3);
  EXPECT_EQ(TrellisPrepareRow(t, zeros, &scale, absl::MakeSpan(small)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TrellisDecodeTest, RowsMatchPerRowDecodeAndRejectBadScales) {
  const CodecConfig c = Trellis(16, 3, 256, true);
  const PackedGeometry g = MakeGeometry(c, 3, 300);
  std::vector<uint8_t> payload(g.payload_bytes());
  std::mt19937 rng(5);
  for (auto& b : payload) b = static_cast<uint8_t>(rng());
  for (int r = 0; r < 3; ++r) {
    PutScale(&payload[r * g.trellis_row_bytes()], 0.001f * (r + 1));
  }
  std::vector<float> all(3 * 300), one(300);
  ASSERT_TRUE(
      DecodePackedRows(c, 0, g, payload, 0, 3, absl::MakeSpan(all)).ok());
  for (int r = 0; r < 3; ++r) {
    TrellisDecodeRow(c.trellis, 300, &payload[r * g.trellis_row_bytes()],
                     one.data());
    for (int i = 0; i < 300; ++i) ASSERT_EQ(all[r * 300 + i], one[i]);
  }
  EXPECT_TRUE(CheckTrellisScales(g, payload, PayloadOrigin::kStored).ok());
  for (float bad : {-1.0f, -0.0f, std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN()}) {
    std::vector<uint8_t> p = payload;
    PutScale(&p[g.trellis_row_bytes()], bad);
    EXPECT_EQ(CheckTrellisScales(g, p, PayloadOrigin::kStored).code(),
              absl::StatusCode::kDataLoss);
    EXPECT_EQ(CheckTrellisScales(g, p, PayloadOrigin::kCallerInput).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(DecodeTrellisRows(c, g, p, 0, 3, absl::MakeSpan(all)).code(),
              absl::StatusCode::kInvalidArgument);
  }
  payload.pop_back();
  EXPECT_EQ(DecodeTrellisRows(c, g, payload, 0, 3, absl::MakeSpan(all)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TrellisConfigTest, PresetsAndValidation) {
  for (const char* name : {"4bit-t", "3bit-t", "2bit-t"}) {
    absl::StatusOr<CodecConfig> c = PresetByName(name);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->is_trellis());
    EXPECT_TRUE(c->Validate().ok());
    EXPECT_EQ(PresetName(*c), name);
    EXPECT_EQ(c->trellis.R, name[0] - '0');
  }
  CodecConfig block = *PresetByName("4bit");
  CodecConfig t = *PresetByName("4bit-t");
  EXPECT_NE(block, t);
  for (const TrellisParams& bad :
       {TrellisParams{7, 4, 256, true}, TrellisParams{17, 4, 256, true},
        TrellisParams{16, 0, 256, true}, TrellisParams{8, 8, 256, true},
        TrellisParams{16, 4, 100, true}, TrellisParams{16, 4, 8, true},
        TrellisParams{16, 4, 8192, true}}) {
    t.trellis = bad;
    EXPECT_EQ(t.Validate().code(), absl::StatusCode::kInvalidArgument)
        << bad.L << " " << bad.R << " " << bad.T;
  }
}

}  // namespace
}  // namespace seedlm
