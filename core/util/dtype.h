// Element types of stored (uncompressed) tensors and conversions to float32.
//
// The numeric values of DType are part of the .seedlm format (they are the
// storage kinds of uncompressed tensors) and never change.
#ifndef SEEDLM_CORE_UTIL_DTYPE_H_
#define SEEDLM_CORE_UTIL_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace seedlm {

enum class DType : uint8_t {
  kF32 = 0,   // IEEE binary32, little-endian
  kF16 = 1,   // IEEE binary16, little-endian
  kBF16 = 2,  // bfloat16 (top half of binary32), little-endian
};

// Bytes per element.
size_t DTypeSize(DType t);
// "f32", "f16", "bf16".
const char* DTypeName(DType t);
absl::StatusOr<DType> ParseDType(absl::string_view name);

// Exact conversions (f16/bf16 -> f32 are exact; f32 -> f16/bf16 round to
// nearest even, f16 overflow to inf, NaN stays NaN).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);

// Converts `raw` (little-endian elements of type t) to float32.
// INVALID_ARGUMENT if raw.size() is not n * DTypeSize(t).
absl::Status ConvertToFloat32(DType t, absl::Span<const uint8_t> raw,
                              absl::Span<float> out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_DTYPE_H_
