// Internal: the per-instruction-set entry points of kernels.h. Each namespace
// is implemented by one file compiled with its own flags (kernels_avx2.cc:
// -mavx2 -mfma -mbmi2; kernels_avx512.cc: adds AVX-512 F/BW/VL/VNNI) and is
// called by kernels.cc only on CPUs that have the instructions. Arguments and
// results as the kernels.h functions of the same names.
#ifndef SEEDLM_CORE_RUNTIME_KERNELS_ISA_H_
#define SEEDLM_CORE_RUNTIME_KERNELS_ISA_H_

#include <cstdint>

#include "core/runtime/kernels.h"

namespace seedlm {
namespace kernels {

#define SEEDLM_KERNELS_DECLARE_ISA(ns)                                        \
  namespace ns {                                                              \
  void DenseF32Rows(const float* w, int64_t cols, const float* x,             \
                    int64_t batch, int64_t row_begin, int64_t row_end,        \
                    float* y, int64_t ldy);                                   \
  void DenseBf16Rows(const uint16_t* w, int64_t cols, const float* x,         \
                     int64_t batch, int64_t row_begin, int64_t row_end,       \
                     float* y, int64_t ldy);                                  \
  void PackedRows(const PackedView& m, const float* x, int64_t batch,         \
                  int64_t row_begin, int64_t row_end, float* y, int64_t ldy); \
  void FusedRows(const PackedView& m, const float* x, int64_t batch,          \
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy);  \
  }

SEEDLM_KERNELS_DECLARE_ISA(avx2)
SEEDLM_KERNELS_DECLARE_ISA(avx512)

#undef SEEDLM_KERNELS_DECLARE_ISA

}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_KERNELS_ISA_H_
