// Internal: the pieces of the fused i8 kernel (kernels.h) that its scalar
// reference (kernels_fused.cc) and its SIMD versions (kernels_fused_impl.h)
// share, so that both compute Sx, the padding and the final combine the same
// way.
#ifndef SEEDLM_CORE_RUNTIME_KERNELS_FUSED_COMMON_H_
#define SEEDLM_CORE_RUNTIME_KERNELS_FUSED_COMMON_H_

#include <cstdint>
#include <cstring>
#include <vector>

namespace seedlm {
namespace kernels {
namespace fused {

// Blocks per correction group (the corr lanes).
inline constexpr int kGroup = 16;

// ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)).
inline float Combine8(const float* s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// xp: each of the batch vectors zero-padded to whole groups of blocks
// (ceil(blocks_per_row / kGroup) * kGroup * 8 floats per vector); sx: per
// vector, Combine8 of each block of xp (kGroup floats per group).
inline void PadActivations(const float* x, int64_t cols, int64_t batch,
                           int64_t blocks_per_row, std::vector<float>* xp,
                           std::vector<float>* sx) {
  const int64_t nblocks = (blocks_per_row + kGroup - 1) / kGroup * kGroup;
  xp->assign(static_cast<size_t>(batch * nblocks * 8), 0.0f);
  sx->assign(static_cast<size_t>(batch * nblocks), 0.0f);
  for (int64_t b = 0; b < batch; ++b) {
    float* dst = xp->data() + b * nblocks * 8;
    std::memcpy(dst, x + b * cols, static_cast<size_t>(cols) * sizeof(float));
    float* s = sx->data() + b * nblocks;
    for (int64_t k = 0; k < blocks_per_row; ++k) s[k] = Combine8(dst + 8 * k);
  }
}

// y from the 16 accumulator lanes (even blocks 0..7, odd blocks 8..15) and
// the 16 correction lanes: Combine8(acc[i] + acc[i + 8]) - 128 *
// Combine8(corr[i] + corr[i + 8]), times scale0 if e0.
inline float Finish(const float* acc, const float* corr, bool e0,
                    float scale0) {
  float a8[8], c8[8];
  for (int i = 0; i < 8; ++i) {
    a8[i] = acc[i] + acc[i + 8];
    c8[i] = corr[i] + corr[i + 8];
  }
  const float v = Combine8(a8) - 128.0f * Combine8(c8);
  return e0 ? v * scale0 : v;
}

}  // namespace fused
}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_KERNELS_FUSED_COMMON_H_
