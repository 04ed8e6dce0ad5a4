// Seed-trellis weight matrices (docs/SPEC.md §13) as a LinearWeight, served
// straight from their stored bytes by the fused kernels of
// trellis_kernels.h (no row is ever expanded beyond an L1 tile).
//
// Numerics (the contract every trellis kernel is tested against): a trellis
// matrix W (rows x cols) with rotated-domain rows wrot_r (the values of
// TrellisDecodeRowRotated: scale * (float)TrellisCode(state), float32) is
// served as
//   y[r] = DotF32(wrot_r, Rot(x))
// where Rot = TrellisRotate (the identity when !trellis.rotate) is applied
// once per call to each activation vector, and DotF32's fixed order is that
// of linear.h. Every SIMD level gives these bits exactly, for any thread
// count and batch size (y[b] of MatMul equals MatVec of x_b). GetRow(r)
// returns the normative weights, TrellisDecodeRow (rotated values, then
// TrellisUnrotate). Since Rot is orthonormal, y[r] differs from
// DotF32(GetRow(r), x) only by float32 rounding (of the two rotations and
// the two dot products; trellis_linear_test bounds it by
// (2 (cols / 8 + 3) + 4 (log2 b + 2)) * 2^-24 * |w_r|_2 * |x|_2, b the
// rotation block).
//
// Thread-safety: immutable after construction; all methods are const and may
// run concurrently.
#ifndef SEEDLM_CORE_RUNTIME_TRELLIS_LINEAR_H_
#define SEEDLM_CORE_RUNTIME_TRELLIS_LINEAR_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/runtime/linear.h"
#include "core/runtime/trellis_kernels.h"

namespace seedlm {

class TrellisLinear final : public LinearWeight {
 public:
  // INVALID_ARGUMENT if the codec is invalid or not a trellis codec, the
  // shape is bad (rows < 0, cols <= 0) or the payload is not rows *
  // TrellisRowBytes(cols) bytes; DATA_LOSS if a row's scale is not finite or
  // negative (CheckTrellisScales, kStored: every row is checked once here so
  // that no kernel meets one). `owner` (may be null) keeps the payload's
  // memory alive; null: the payload is borrowed and must outlive the object.
  static absl::StatusOr<std::unique_ptr<TrellisLinear>> Create(
      const CodecConfig& codec, int64_t rows, int64_t cols,
      absl::Span<const uint8_t> payload,
      std::shared_ptr<const void> owner = nullptr);
  TrellisLinear(const TrellisLinear&) = delete;
  TrellisLinear& operator=(const TrellisLinear&) = delete;

  void GetRow(int64_t r, float* out) const override;
  void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                  float* y) const override;
  void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                  int64_t row_end, float* y) const override;
  uint64_t StorageBytes() const override { return payload_.size(); }
  const CodecConfig& codec() const { return codec_; }
  const kernels::TrellisView& view() const { return view_; }
  // Every stored bit per weight, the row scales included.
  double bits_per_weight() const { return geometry_.bits_per_weight(); }

 private:
  TrellisLinear(const CodecConfig& codec, PackedGeometry g,
                absl::Span<const uint8_t> payload,
                std::shared_ptr<const void> owner);
  // x (batch x cols) rotated per row into a new buffer (a copy if !rotate).
  std::unique_ptr<float[]> Rotated(const float* x, int64_t batch) const;

  CodecConfig codec_;
  PackedGeometry geometry_;
  absl::Span<const uint8_t> payload_;
  std::shared_ptr<const void> owner_;  // null when borrowed
  kernels::TrellisView view_;
};

// The LinearWeight of a stored compressed matrix of either codec family:
// TrellisLinear for a trellis codec (bias ignored), else PackedLinear.
// Errors as their Create.
absl::StatusOr<std::unique_ptr<LinearWeight>> CreateCompressedLinear(
    const CodecConfig& codec, int bias, int64_t rows, int64_t cols,
    absl::Span<const uint8_t> payload,
    std::shared_ptr<const void> owner = nullptr);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_TRELLIS_LINEAR_H_
