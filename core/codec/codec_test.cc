// Golden vectors of spec §6 and §8 for the LFSR, seed matrices and decode.
#include "core/codec/codec.h"

#include <cmath>
#include <vector>

#include "core/codec/packed_matrix.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<uint32_t> States(int K, uint32_t seed, int n) {
  std::vector<uint32_t> v(n);
  LfsrStates(K, seed, n, v.data());
  return v;
}

std::vector<int32_t> Matrix(const CodecConfig& c, uint32_t seed) {
  std::vector<int32_t> m(c.C * c.P);
  SeedMatrix(c, seed, m.data());
  return m;
}

TEST(LfsrTest, StatesAfterSeedOne) {
  EXPECT_THAT(States(16, 1, 12),
              ElementsAre(32768, 16384, 8192, 4096, 34816, 17408, 8704, 4352,
                          34944, 17472, 8736, 4368));
}

TEST(LfsrTest, MatrixOfAce1) {
  EXPECT_THAT(
      States(16, 0xACE1, 24),
      ElementsAre(54896, 60216, 62876, 31438, 48487, 57011, 61273, 30636, 15318,
                  7659, 3829, 34682, 17341, 8670, 4335, 2167, 1083, 33309,
                  16654, 8327, 4163, 34849, 50192, 25096));
}

TEST(LfsrTest, MatrixOfFfff) {
  EXPECT_THAT(States(16, 0xFFFF, 6),
              ElementsAre(32767, 16383, 8191, 4095, 34815, 50175));
}

TEST(LfsrTest, PaperWorkedExampleK3) {
  // K=3, taps {0,1}, seed 4, C=4, P=2: V = [[2,5],[6,7],[3,1],[4,2]].
  EXPECT_THAT(States(3, 4, 8), ElementsAre(2, 5, 6, 7, 3, 1, 4, 2));
}

// Every tap set of spec §2 is maximal-length: period exactly 2^K - 1.
TEST(LfsrTest, EveryKIsMaximalLength) {
  for (int K = kMinK; K <= 20; ++K) {
    const uint32_t period = (1u << K) - 1;
    uint32_t s = 1;
    uint32_t n = 0;
    do {
      s = LfsrStep(s, K);
      ++n;
      ASSERT_NE(s, 0u) << "K=" << K;
      ASSERT_LT(s, 1u << K) << "K=" << K;
    } while (s != 1 && n <= period);
    EXPECT_EQ(n, period) << "K=" << K;
  }
}

TEST(SeedMatrixTest, PaperEntriesAreCentredStates) {
  const CodecConfig c = *PresetByName("4bit");
  const std::vector<uint32_t> v = States(16, 0xACE1, 24);
  const std::vector<int32_t> m = Matrix(c, 0xACE1);
  for (int j = 0; j < 24; ++j)
    EXPECT_EQ(m[j], static_cast<int32_t>(v[j]) - 32768);
}

TEST(SeedMatrixTest, I8GoldenRows) {
  const CodecConfig c = *PresetByName("4bit-i8");
  std::vector<int32_t> m = Matrix(c, 1);
  EXPECT_THAT(std::vector<int32_t>(m.begin(), m.begin() + 6),
              ElementsAre(-111, 49, 48, 52, -91, -6));
  m = Matrix(c, 0xACE1);
  EXPECT_THAT(std::vector<int32_t>(m.begin(), m.begin() + 6),
              ElementsAre(-9, -120, -30, 123, 48, 50));
}

// Spec §9: the state n steps after s is the XOR of the states after the two
// halves of s, so the matrix is T_lo[s & 0xFF] ^ T_hi[s >> 8] (uncentred).
TEST(SeedMatrixTest, LinearityOverGf2) {
  for (uint32_t s : {0x0001u, 0x1234u, 0xACE1u, 0xFFFFu, 0x8000u}) {
    const std::vector<uint32_t> lo = States(16, s & 0xFF, 40);
    const std::vector<uint32_t> all = States(16, s, 40);
    if ((s >> 8) == 0) {
      EXPECT_EQ(lo, all);
      continue;
    }
    const std::vector<uint32_t> hi = States(16, s & 0xFF00, 40);
    for (int j = 0; j < 40; ++j) {
      const uint32_t l = (s & 0xFF) ? lo[j] : 0;
      EXPECT_EQ(all[j], l ^ hi[j]) << s << " " << j;
    }
  }
}

TEST(DecodeTest, GoldenDecodedBlock) {
  const CodecConfig c = *PresetByName("4bit");
  Block b;
  b.seed = 36390;
  b.e = -8;
  b.q[0] = -3;
  b.q[1] = -6;
  b.q[2] = 0;
  float out[8];
  DecodeBlock(c, 0, b, out);
  const double want[8] = {-0.00129501, 0.00716279,  -0.00349914, -0.01655045,
                          -0.00939302, -0.01728719, 0.00223417,  0.02811291};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(out[i], want[i], 6e-9) << i;
}

// docs/FORMAT.md's 4bit-p4 golden block (bias -8): exact, the scale is a
// power of two.
TEST(DecodeTest, Golden4bitP4Block) {
  const CodecConfig c = *PresetByName("4bit-p4");
  EXPECT_EQ(c.bits_per_block(), 32);
  Block b;
  b.seed = 53833;
  b.e = 0;
  const int8_t q[4] = {-3, 1, -1, -4};
  for (int p = 0; p < 4; ++p) b.q[p] = q[p];
  float out[8];
  DecodeBlock(c, -8, b, out);
  const float want[8] = {-0.00088500977f, 0.0048217773f,  -0.0028991699f,
                         -0.016937256f,   -0.0085449219f, -0.02053833f,
                         0.00082397461f,  0.027374268f};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(out[i], want[i]) << i;
}

// The normative rule: (float)sum * (float)(2^(e+b) / denom), bit for bit.
TEST(DecodeTest, NormativeRuleAndBias) {
  for (const std::string& name : PresetNames()) {
    const CodecConfig c = *PresetByName(name);
    Block b;
    b.seed = 4242;
    b.e = 3;
    for (int p = 0; p < c.P; ++p) b.q[p] = static_cast<int8_t>(p * 3 - 7);
    std::vector<int32_t> m = Matrix(c, b.seed);
    for (int bias : {0, -5, 4}) {
      std::vector<float> out(c.C);
      DecodeBlock(c, bias, b, out.data());
      const float scale = static_cast<float>(
          std::ldexp(1.0, b.e + bias) / static_cast<double>(c.denominator()));
      for (int i = 0; i < c.C; ++i) {
        int64_t sum = 0;
        for (int p = 0; p < c.P; ++p) sum += int64_t{m[i * c.P + p]} * b.q[p];
        EXPECT_EQ(out[i], static_cast<float>(sum) * scale) << name;
      }
    }
  }
}

TEST(CodecConfigTest, PresetsAndValidation) {
  const CodecConfig c4 = *PresetByName("4bit");
  EXPECT_EQ(c4.bits_per_block(), 32);
  EXPECT_EQ(c4.C, 8);
  const CodecConfig c3 = *PresetByName("3bit-i8");
  EXPECT_EQ(c3.bits_per_block(), 36);
  EXPECT_EQ(c3.variant, Variant::kI8);
  EXPECT_EQ(PresetName(c3), "3bit-i8");
  EXPECT_EQ(PresetByName("5bit").status().code(), absl::StatusCode::kNotFound);
  for (const std::string& n : PresetNames())
    EXPECT_TRUE(PresetByName(n)->Validate().ok());

  CodecConfig bad = c4;
  bad.K = 25;
  EXPECT_EQ(bad.Validate().code(), absl::StatusCode::kInvalidArgument);
  bad = c4;
  bad.K = 24;
  bad.Q = 2;
  bad.P = 1;  // 23 + 1 + 0 = 24: allowed
  EXPECT_TRUE(bad.Validate().ok());
  bad.P = 2;  // 23 + 1 + 1 = 25: rejected
  EXPECT_EQ(bad.Validate().code(), absl::StatusCode::kInvalidArgument);
  bad = c4;
  bad.variant = Variant::kI8;
  bad.K = 7;
  EXPECT_EQ(bad.Validate().code(), absl::StatusCode::kInvalidArgument);
  bad = c4;
  bad.C = 0;
  EXPECT_FALSE(bad.Validate().ok());
  bad = c4;
  bad.E = 9;
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(SeedZeroTest, OneCheckWithCodesByOrigin) {
  const CodecConfig c = *PresetByName("4bit");
  const BlockLayout l = c.layout();
  const PackedGeometry g = MakeGeometry(c, 3, 20);  // 3 blocks per row
  std::vector<uint8_t> payload(g.payload_bytes(), 0);
  for (uint64_t i = 0; i < static_cast<uint64_t>(g.num_blocks()); ++i) {
    Block b;
    b.seed = i == 7 ? 0 : 1 + i;
    PackBlock(l, b, payload.data(), i);
  }
  const uint64_t n = static_cast<uint64_t>(g.num_blocks());
  absl::Status s = CheckNoSeedZero(l, payload, n, PayloadOrigin::kStored);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.message(), "block 7 has seed 0");
  s = CheckNoSeedZero(l, payload, n, PayloadOrigin::kCallerInput,
                      g.blocks_per_row(), "tensor 'w'");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "tensor 'w': block 1 of row 2 has seed 0");
  // Only the first 7 blocks: none has seed 0.
  EXPECT_TRUE(CheckNoSeedZero(l, payload, 7, PayloadOrigin::kStored).ok());
  // The decode reports the same block.
  std::vector<float> out(3 * 20);
  s = DecodePackedRows(c, 0, g, payload, 0, 3, absl::MakeSpan(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "block 1 of row 2 has seed 0");
}

}  // namespace
}  // namespace seedlm
