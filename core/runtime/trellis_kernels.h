// The CPU matrix kernels for seed-trellis weights (docs/SPEC.md §13,
// core/codec/trellis_format.h): y = Wrot x' for one activation vector or a
// small batch, with a scalar reference and run-time dispatched AVX2 and
// AVX-512 versions that compute each weight's state straight from the bit
// stream (no decoded row is ever written to memory beyond an L1 tile).
//
// Numerics (every level, bit for bit): the kernels work in the rotated
// domain. For row r with stored scale s_r and states s_{r,c} (spec §13.1),
//   w_{r,c} = s_r * (float)TrellisCode(s_{r,c})       (one float32 product)
//   y[b][r] = DotF32(w_r, x_b)                        (linear.h)
// i.e. exactly DotF32 of TrellisDecodeRowRotated's values against x_b, where
// x_b is whatever the caller passes (TrellisLinear passes TrellisRotate of
// the activation vector; see trellis_linear.h). DotF32's order (lane c % 8
// takes term c, one rounded multiply and one rounded add per term, a fixed
// pairwise combine of the 8 lanes) is reproduced by the SIMD versions, which
// decode states with exact integer arithmetic: a 32-bit big-endian window of
// the ring's bytes per lane (a byte shuffle), a per-lane variable shift, the
// code's multiply-add hash (vpmulld, vpaddd) and byte sum (vpdpbusd on
// AVX-512 VNNI, vpmaddubsw + vpmaddwd on AVX2). Tail-biting (the first
// ceil(L/R) - 1 weights of a ring read bits from the ring's end) and the
// padded last ring are handled in registers: the 16 bytes a step reads are
// loaded in place, the first step's two leading bytes replaced by the
// ring's last 16 bits. Results never depend on the batch size or on how rows
// are split between calls or threads.
//
// The SIMD versions handle L = 16 and 2 <= R <= 6 (TrellisFusedSupports); other
// layouts run the scalar reference at every level.
//
// Row ranges: rows [row_begin, row_end) are computed and written to
//   y[b * ldy + (r - row_begin)]  for b < batch,
// x is batch x cols row-major (ldx = cols).
//
// Thread-safety: all functions are thread-safe (scratch is per call).
#ifndef SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_H_
#define SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_H_

#include <cstdint>

#include "core/codec/trellis_format.h"
#include "core/util/cpu_features.h"

namespace seedlm {
namespace kernels {

// A trellis matrix as the kernels see it (borrowed bytes): rows x cols, each
// row TrellisRowBytes(layout, cols) bytes (scale, then stream).
struct TrellisView {
  TrellisLayout layout{16, 4, 256};
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_bytes = 0;
  const uint8_t* data = nullptr;  // rows * row_bytes bytes
};

// Whether the SIMD kernels handle `l` (L = 16, 2 <= R <= 6; T is a power of
// two >= 16 by CodecConfig::Validate).
bool TrellisFusedSupports(const TrellisLayout& l);

// The rotated-domain values of row r (cols floats), bit-identical to
// TrellisDecodeRowRotated but stepping the state register instead of
// reading each state bit by bit.
void TrellisDecodeRowFast(const TrellisView& m, int64_t r, float* out);

// The scalar reference that defines the kernels: TrellisDecodeRowFast, then
// DotF32 against each batch element. Arguments as above.
void TrellisRowsReference(const TrellisView& m, const float* x, int64_t batch,
                          int64_t row_begin, int64_t row_end, float* y,
                          int64_t ldy);

// The kernel at `level` (kAuto: the process default, see kernels.h; a level
// the CPU lacks is lowered). REQUIRES: x holds batch * m.cols floats; m.data
// holds m.rows rows; every row's scale finite (TrellisLinear checks).
void TrellisRows(SimdLevel level, const TrellisView& m, const float* x,
                 int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                 int64_t ldy);

}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_H_
