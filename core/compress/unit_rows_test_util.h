// Test-only: a small safetensors model with one compressed tensor per stored
// dtype (f32, f16, bf16), for the tests of unit rows and of the worker, which
// must reproduce CompressUnit / ChooseUnitBias from the stored bytes.
#ifndef SEEDLM_CORE_COMPRESS_UNIT_ROWS_TEST_UTIL_H_
#define SEEDLM_CORE_COMPRESS_UNIT_ROWS_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/dtype.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace testing_util {

// Writes `name`.safetensors in `dir`: default-selected tensors
//   layers.0.attention.wq.weight      f32  19 x 13   (rows, cols unaligned)
//   layers.0.attention.wk.weight      f16  2 x 50 x 9 (3-D: 100 rows)
//   layers.0.feed_forward.w1.weight   bf16 130 x 17  (more rows than the
//                                                     bias sample)
// plus a stored 1-D norm.weight. Weights ~ N(0, scale), seeded by `seed`.
inline std::string WriteDTypeModel(const ScratchDir& dir,
                                   const std::string& name = "dtypes",
                                   uint32_t seed = 11, double scale = 0.02) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, scale);
  auto make = [&](int64_t n, DType t) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) {
      const float x = static_cast<float>(g(rng));
      if (t == DType::kF32) {
        out.append(reinterpret_cast<const char*>(&x), 4);
      } else {
        const uint16_t h =
            t == DType::kF16 ? FloatToHalf(x) : FloatToBFloat16(x);
        out.append(reinterpret_cast<const char*>(&h), 2);
      }
    }
    return out;
  };
  const std::string wq = make(19 * 13, DType::kF32);
  const std::string norm = make(7, DType::kF32);
  const std::string wk = make(2 * 50 * 9, DType::kF16);
  const std::string w1 = make(130 * 17, DType::kBF16);
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
           {TensorInfo{"layers.0.attention.wk.weight", {2, 50, 9}, DType::kF16},
            span(wk)},
           {TensorInfo{
                "layers.0.feed_forward.w1.weight", {130, 17}, DType::kBF16},
            span(w1)}},
          {})
          .ok());
  return path;
}

}  // namespace testing_util
}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_UNIT_ROWS_TEST_UTIL_H_
