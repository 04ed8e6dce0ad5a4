// The scalar reference of the fused i8 kernel (kernels.h) and what it shares
// with the SIMD versions. The SIMD versions live in kernels_fused_impl.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/codec/block_format.h"
#include "core/runtime/kernels.h"
#include "core/runtime/kernels_fused_common.h"

namespace seedlm {
namespace kernels {

bool FusedSupports(const CodecConfig& c) {
  return c.Validate().ok() && c.variant == Variant::kI8 && c.K == 16 &&
         c.C == 8 && c.Q == 4 && (c.E == 0 || c.E == 4) &&
         c.bits_per_block() == 32;
}

void FusedRowsReference(const PackedView& m, const float* x, int64_t batch,
                        int64_t row_begin, int64_t row_end, float* y,
                        int64_t ldy) {
  const CodecConfig& c = m.codec;
  const int64_t bpr = m.blocks_per_row;
  const int64_t groups = (bpr + fused::kGroup - 1) / fused::kGroup;
  const bool e0 = c.E == 0;
  const uint32_t e_mask = (1u << c.E) - 1u;
  std::vector<float> xp, sx;
  fused::PadActivations(x, m.cols, batch, bpr, &xp, &sx);
  int32_t mat[kMaxC * kMaxP];
  const int64_t nblocks = groups * fused::kGroup;
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = xp.data() + b * nblocks * 8;
      const float* sb = sx.data() + b * nblocks;
      float acc[16] = {};
      float corr[fused::kGroup] = {};
      for (int64_t k = 0; k < nblocks; ++k) {
        float* lanes = acc + 8 * (k % 2);
        float* cl = &corr[k % fused::kGroup];
        if (k >= bpr) {  // padding to a whole group: zero blocks, zero x
          for (int cc = 0; cc < 8; ++cc) {
            lanes[cc] = std::fma(0.0f, 0.0f, lanes[cc]);
          }
          *cl = std::fma(0.0f, 0.0f, *cl);
          continue;
        }
        uint32_t w;
        std::memcpy(&w, m.data + 4 * (r * bpr + k), 4);
        const uint32_t seed = w & 0xFFFF;
        const float s = m.field_scale[(w >> 16) & e_mask];
        int32_t q[4] = {0, 0, 0, 0};
        int32_t sq = 0;
        for (int p = 0; p < c.P; ++p) {
          q[p] = SignExtend((w >> (16 + c.E + 4 * p)) & 0xF, 4);
          sq += q[p];
        }
        if (seed != 0) m.expander->Expand(seed, mat);
        for (int cc = 0; cc < 8; ++cc) {
          int32_t n1 = 0;  // sum_p (M + 128) q_p; seed 0 has raw entries 0
          for (int p = 0; p < c.P; ++p) {
            n1 += (seed == 0 ? 0 : mat[cc * c.P + p] + 128) * q[p];
          }
          const float wv =
              e0 ? static_cast<float>(n1) : static_cast<float>(n1) * s;
          lanes[cc] = std::fma(wv, xb[8 * k + cc], lanes[cc]);
        }
        const float cq =
            e0 ? static_cast<float>(sq) : static_cast<float>(sq) * s;
        *cl = std::fma(cq, sb[k], *cl);
      }
      y[b * ldy + (r - row_begin)] =
          fused::Finish(acc, corr, e0, m.field_scale[0]);
    }
  }
}

}  // namespace kernels
}  // namespace seedlm
