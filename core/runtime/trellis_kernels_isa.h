// Internal: the per-instruction-set entry points of trellis_kernels.h, one
// file each (trellis_kernels_avx2.cc: -mavx2 -mfma -mbmi2;
// trellis_kernels_avx512.cc: adds AVX-512 F/BW/VL/VNNI), called by
// trellis_kernels.cc only on CPUs that have the instructions and only for
// layouts with TrellisFusedSupports. Arguments as TrellisRows.
#ifndef SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_ISA_H_
#define SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_ISA_H_

#include <cstdint>

#include "core/runtime/trellis_kernels.h"

namespace seedlm {
namespace kernels {

namespace avx2 {
void TrellisRows(const TrellisView& m, const float* x, int64_t batch,
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy);
}  // namespace avx2

namespace avx512 {
void TrellisRows(const TrellisView& m, const float* x, int64_t batch,
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy);
}  // namespace avx512

}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_TRELLIS_KERNELS_ISA_H_
