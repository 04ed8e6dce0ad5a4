// The portable bound kernels (fast_search_kernels.h) and the level dispatch.
// Plain float32 C++ without fused multiply-adds (-ffp-contract=off); the
// margin of seed_bound_table.h covers this evaluation as well as the FMA
// ones of the SIMD levels.
#include <cstdint>

#include "core/search/fast_search_kernels.h"

namespace seedlm {
namespace fast_search_internal {

int ScanTileScalar(const TileView& v, const float* w, float n_hi, float thr,
                   float* z_out, uint32_t* pos_out) {
  const int C = v.C, P = v.P, st = v.stride, cs = P * st;
  float f[kTile + 8 * kMaxP + 16];
  const int nf = kTile + st * (P - 1);
  for (int j = 0; j < nf; ++j) {
    float acc = 0.0f;
    for (int c = 0; c < C; ++c) acc += v.seq[j + c * cs] * w[c];
    f[j] = acc;
  }
  int n = 0;
  for (int i = 0; i < kTile; ++i) {
    const float* a = v.coef + i;
    float s = 0.0f;
    int k = 0;
    for (int r = 0; r < P; ++r) {
      float y = 0.0f;
      for (int j = 0; j <= r; ++j, ++k) y += a[k * kTile] * f[i + st * j];
      s += y * y;
    }
    const float z = a[k * kTile] * n_hi + s;
    if (z >= thr) {
      z_out[n] = z;
      pos_out[n] = v.pos0 + static_cast<uint32_t>(i);
      ++n;
    }
  }
  return n;
}

int ScanListScalar(const ListView& v, int begin, int end, const float* w,
                   float n_hi, float thr, float* z_out, uint32_t* pos_out) {
  int n = 0;
  for (int i = begin; i < end; ++i) {
    float s = 0.0f;
    for (int p = 0; p < v.P; ++p) {
      float y = 0.0f;
      for (int c = 0; c < v.C; ++c) {
        y += v.q[(c * v.P + p) * v.n_pad + i] * w[c];
      }
      s += y * y;
    }
    const float z = v.mu[i] * n_hi + s;
    if (z >= thr) {
      z_out[n] = z;
      pos_out[n] = v.pos[i];
      ++n;
    }
  }
  return n;
}

BoundKernels KernelsFor(SimdLevel level) {
  switch (ResolveSimdLevel(level)) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx512:
      return {&ScanTileAvx512, &ScanListAvx512};
    case SimdLevel::kAvx2:
      return {&ScanTileAvx2, &ScanListAvx2};
#endif
    default:
      return {&ScanTileScalar, &ScanListScalar};
  }
}

}  // namespace fast_search_internal
}  // namespace seedlm
