// Every Verilated engine against the runtime's kernel (kernels::PackedRows at
// the scalar level: the fused i8 reference or DotF32 of the normative
// decode), bit for bit, on random packed matrices, activations, biases,
// shapes, row ranges, lane counts and port widths.
#include "fpga/sim/engine.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/codec.h"
#include "core/codec/packed_testing.h"
#include "core/runtime/kernels.h"
#include "core/runtime/linear.h"
#include "gtest/gtest.h"

namespace seedlm::fpga {
namespace {

struct Matrix {
  std::vector<uint8_t> payload;
  std::unique_ptr<PackedLinear> linear;
};

// A rows x cols matrix of random valid blocks (packed_testing.h).
Matrix RandomMatrix(const CodecConfig& c, int64_t rows, int64_t cols, int bias,
                    std::mt19937_64& rng) {
  Matrix m;
  m.payload = RandomPackedPayload(c, rows, cols, &rng);
  auto linear = PackedLinear::Create(c, bias, rows, cols, m.payload);
  EXPECT_TRUE(linear.ok()) << linear.status();
  m.linear = std::move(*linear);
  return m;
}

std::vector<float> RandomX(int64_t n, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) {
    const uint64_t r = rng() % 16;
    v = r == 0 ? 0.0f : r == 1 ? -0.0f : normal(rng) * (r == 2 ? 1e-30f : 1.0f);
  }
  return x;
}

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Runs rows [begin, end) on `engine` and the kernel; reports mismatches.
void Compare(PackedEngine& engine, const Matrix& m, const std::vector<float>& x,
             int64_t begin, int64_t end, const std::string& what) {
  const kernels::PackedView& view = m.linear->view();
  std::vector<float> want(static_cast<size_t>(end - begin));
  std::vector<float> got(want.size(), 12345.0f);
  kernels::PackedRows(SimdLevel::kScalar, view, x.data(), 1, begin, end,
                      want.data(), 0);
  absl::StatusOr<MatVecStats> s =
      engine.MatVec(view, x.data(), begin, end, got.data());
  ASSERT_TRUE(s.ok()) << what << ": " << s.status();
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    ASSERT_EQ(Bits(want[i]), Bits(got[i]))
        << what << " row " << begin + static_cast<int64_t>(i) << ": want "
        << want[i] << " got " << got[i];
  }
  // The port moved every byte of the rows at most bpc per cycle.
  EXPECT_GE(s->cycles * 64 * 2, s->bytes_read) << what;
  EXPECT_GT(s->bytes_read, 0u) << what;
}

class EngineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineTest, MatchesKernelReference) {
  absl::StatusOr<CodecConfig> c = PresetByName(GetParam());
  ASSERT_TRUE(c.ok());
  const uint64_t seed = 0x5eed0000 + std::hash<std::string>()(GetParam()) % 997;
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(absl::StrCat("rng seed ", seed));
  auto engine = CreatePackedEngine(*c);
  ASSERT_TRUE(engine.ok()) << engine.status();
  const int64_t shapes[][2] = {{1, 8},    {5, 13},  {17, 64}, {33, 100},
                               {40, 172}, {3, 300}, {64, 64}, {9, 4}};
  for (const auto& shape : shapes) {
    const int bias = static_cast<int>(rng() % 24) - 16;
    Matrix m = RandomMatrix(*c, shape[0], shape[1], bias, rng);
    const std::vector<float> x = RandomX(shape[1], rng);
    Compare(**engine, m, x, 0, shape[0],
            absl::StrCat(shape[0], "x", shape[1], " bias ", bias));
    if (shape[0] > 4) {  // a row range starting inside the payload
      Compare(**engine, m, x, 3, shape[0] - 1,
              absl::StrCat(shape[0], "x", shape[1], " rows 3.."));
    }
  }
}

TEST_P(EngineTest, OtherLaneCountsAndPortWidths) {
  absl::StatusOr<CodecConfig> c = PresetByName(GetParam());
  ASSERT_TRUE(c.ok());
  std::mt19937_64 rng(77);
  Matrix m = RandomMatrix(*c, 29, 150, -9, rng);
  const std::vector<float> x = RandomX(150, rng);
  for (const EngineOptions& o :
       {EngineOptions{4 * c->C, 1}, EngineOptions{4 * c->C + 4, 3},
        EngineOptions{64, 0}}) {
    auto engine = CreatePackedEngine(*c, o);
    ASSERT_TRUE(engine.ok()) << engine.status();
    Compare(**engine, m, x, 0, 29,
            absl::StrCat("bpc ", o.bytes_per_cycle, " lanes ", o.lanes));
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, EngineTest,
                         ::testing::Values("4bit-p4", "4bit-i8", "4bit",
                                           "3bit"));

// The baseline engine against kernels::DenseBf16Rows.
TEST(Bf16EngineTest, MatchesKernelReference) {
  std::mt19937_64 rng(11);
  for (const EngineOptions& o :
       {EngineOptions{64, 0}, EngineOptions{32, 2}, EngineOptions{48, 3}}) {
    auto engine = CreateBf16Engine(o);
    ASSERT_TRUE(engine.ok()) << engine.status();
    for (const auto& shape :
         {std::pair<int64_t, int64_t>{13, 172}, {8, 64}, {5, 7}, {21, 100}}) {
      const auto [rows, cols] = shape;
      std::vector<uint16_t> w(static_cast<size_t>(rows * cols));
      for (uint16_t& v : w) {
        // Mostly ordinary magnitudes, some zeros and tiny values.
        const uint32_t r = static_cast<uint32_t>(rng());
        v = static_cast<uint16_t>(
            (r & 0x80FF) |
            (((r >> 16) % 16 == 0) ? 0 : (0x3A00 + (r >> 20) % 0x800)));
      }
      const std::vector<float> x = RandomX(cols, rng);
      std::vector<float> want(static_cast<size_t>(rows)), got(want.size());
      kernels::DenseBf16Rows(SimdLevel::kScalar, w.data(), cols, x.data(), 1, 0,
                             rows, want.data(), 0);
      auto s = (*engine)->MatVec(w.data(), rows, cols, x.data(), 0, rows,
                                 got.data());
      ASSERT_TRUE(s.ok()) << s.status();
      for (int64_t r = 0; r < rows; ++r) {
        ASSERT_EQ(Bits(want[r]), Bits(got[r]))
            << (*engine)->description() << " " << rows << "x" << cols << " row "
            << r << ": want " << want[r] << " got " << got[r];
      }
      // 8 weights of 16 bits per lane per cycle: at least the bytes / port.
      EXPECT_GE(s->cycles * o.bytes_per_cycle,
                static_cast<uint64_t>(rows * ((cols + 7) / 8) * 16));
    }
  }
}

TEST(EngineFactoryTest, RefusesWhatItLacks) {
  absl::StatusOr<CodecConfig> t = PresetByName("4bit-t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(CreatePackedEngine(*t).status().code(),
            absl::StatusCode::kUnimplemented);
  absl::StatusOr<CodecConfig> p4 = PresetByName("4bit-p4");
  EXPECT_EQ(CreatePackedEngine(*p4, {256, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreatePackedEngine(*p4, {64, 33}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EngineFactoryTest, RefusesAWrongMatrix) {
  absl::StatusOr<CodecConfig> p4 = PresetByName("4bit-p4");
  absl::StatusOr<CodecConfig> b4 = PresetByName("4bit");
  std::mt19937_64 rng(3);
  Matrix m = RandomMatrix(*b4, 4, 16, 0, rng);
  auto engine = CreatePackedEngine(*p4);
  ASSERT_TRUE(engine.ok());
  std::vector<float> x(16, 1.0f), y(4);
  EXPECT_EQ((*engine)
                ->MatVec(m.linear->view(), x.data(), 0, 4, y.data())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto b4e = CreatePackedEngine(*b4);
  ASSERT_TRUE(b4e.ok());
  EXPECT_EQ((*b4e)
                ->MatVec(m.linear->view(), x.data(), 2, 5, y.data())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm::fpga
