// The runtime kernels (kernels.h) for AVX-512 F/BW/VL/VNNI (vpdpbusd for the i8
// entries). Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx2
// -mfma -mbmi2 and called only on CPUs that have them; the code is
// kernels_simd_impl.h.
#include "core/runtime/kernels_isa.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/codec/block_format.h"
#include "core/runtime/kernels.h"
#include "core/runtime/kernels_fused_common.h"

// GCC 12 reports the 512-bit intrinsics' internal _mm512_undefined_*()
// operands as maybe-uninitialized (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace seedlm {
namespace kernels {
namespace avx512 {
namespace {
#include "core/runtime/kernels_simd_impl.h"  // NOLINT(build/include)

// After kernels_simd_impl.h: uses its DotBytes.
#include "core/runtime/kernels_fused_impl.h"  // NOLINT(build/include)
}  // namespace

void DenseF32Rows(const float* w, int64_t cols, const float* x, int64_t batch,
                  int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  DenseRows(w, cols, x, batch, row_begin, row_end, y, ldy);
}

void DenseBf16Rows(const uint16_t* w, int64_t cols, const float* x,
                   int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                   int64_t ldy) {
  DenseRows(w, cols, x, batch, row_begin, row_end, y, ldy);
}

void PackedRows(const PackedView& m, const float* x, int64_t batch,
                int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  PackedRowsDispatch(m, x, batch, row_begin, row_end, y, ldy);
}

void FusedRows(const PackedView& m, const float* x, int64_t batch,
               int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  FusedRowsDispatch(m, x, batch, row_begin, row_end, y, ldy);
}

}  // namespace avx512
}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
