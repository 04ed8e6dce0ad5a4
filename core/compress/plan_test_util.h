// Test-only helpers of the plan / unit / assembly tests: a small safetensors
// model of awkward shapes and a codec whose blocks are not whole bytes.
#ifndef SEEDLM_CORE_COMPRESS_PLAN_TEST_UTIL_H_
#define SEEDLM_CORE_COMPRESS_PLAN_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/codec/codec.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/dtype.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace testing_util {

// 23 bits per block (K 12, E 2, P 3, Q 3) with a small seed table: rows of
// blocks end in the middle of bytes, so only the 8-row rule aligns units.
inline CodecConfig OddCodec() {
  CodecConfig c;
  c.C = 8;
  c.P = 3;
  c.K = 12;
  c.Q = 3;
  c.E = 2;
  return c;
}

// Writes a model of default-selected tensors with awkward shapes: 19 x 13
// (rows not a multiple of 8, cols not a multiple of C), a 3-D 2 x 3 x 5, a
// 1 x 1, a 40 x 9 bf16, plus a kept 1-D norm. Weights ~ N(0, 0.02), seeded.
inline std::string WriteOddModel(const ScratchDir& dir,
                                 const std::string& name = "odd") {
  std::mt19937 rng(7);
  std::normal_distribution<double> g(0.0, 0.02);
  auto f32 = [&](int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = static_cast<float>(g(rng));
    return std::string(reinterpret_cast<const char*>(v.data()), n * 4);
  };
  std::string bf16;
  for (int i = 0; i < 40 * 9; ++i) {
    const uint16_t b = FloatToBFloat16(static_cast<float>(g(rng)));
    bf16.append(reinterpret_cast<const char*>(&b), 2);
  }
  const std::string wq = f32(19 * 13), wk = f32(30), wv = f32(1), norm = f32(7);
  auto span = [](const std::string& s) {
    return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                     s.size());
  };
  const std::string path = dir.File(name + ".safetensors");
  EXPECT_TRUE(
      WriteSafetensors(
          path,
          {{TensorInfo{"layers.0.attention.wq.weight", {19, 13}, DType::kF32},
            span(wq)},
           {TensorInfo{"norm.weight", {7}, DType::kF32}, span(norm)},
           {TensorInfo{"layers.0.attention.wk.weight", {2, 3, 5}, DType::kF32},
            span(wk)},
           {TensorInfo{"layers.0.attention.wv.weight", {1, 1}, DType::kF32},
            span(wv)},
           {TensorInfo{
                "layers.0.feed_forward.w1.weight", {40, 9}, DType::kBF16},
            span(bf16)}},
          {})
          .ok());
  return path;
}

}  // namespace testing_util
}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_PLAN_TEST_UTIL_H_
