// The portable bound kernels (fast_search_kernels.h) and the level dispatch.
// Plain float32 C++ without fused multiply-adds (-ffp-contract=off); the
// margin of fast_search_bound.h covers this evaluation as well as the FMA
// ones of the SIMD levels.
#include <cstdint>

#include "core/search/fast_search_kernels.h"
#include "core/util/cpu_features.h"

namespace seedlm {
namespace fast_search_internal {
namespace {

// Written array-at-a-time (positions innermost) so that compilers can
// vectorize it with the baseline instruction set; every value is computed
// with the same operations in the same order either way.
void ScanTileOne(const TileView& v, ScanTarget* t) {
  const int P = v.P, st = v.stride, cs = P * st;
  // Every position the stride-st windows of P columns can reach (a constant
  // trip count lets compilers vectorize; the sequence is padded for it).
  constexpr int nf = kTile + 8 * kMaxP;
  float f[nf];
  for (int j = 0; j < nf; ++j) f[j] = 0.0f;
  for (int c = 0; c < v.C; ++c) {
    const float wc = t->w[c];
    const float* x = v.seq + c * cs;
    for (int j = 0; j < nf; ++j) f[j] += x[j] * wc;
  }
  float s[kTile], y[kTile];
  for (int i = 0; i < kTile; ++i) s[i] = 0.0f;
  int k = 0;
  for (int r = 0; r < P; ++r) {
    for (int i = 0; i < kTile; ++i) y[i] = 0.0f;
    for (int j = 0; j <= r; ++j, ++k) {
      const float* a = v.coef + k * kTile;
      const float* b = f + st * j;
      for (int i = 0; i < kTile; ++i) y[i] += a[i] * b[i];
    }
    for (int i = 0; i < kTile; ++i) s[i] += y[i] * y[i];
  }
  const float* mu = v.coef + k * kTile;
  const float n_hi = t->n_hi;
  for (int i = 0; i < kTile; ++i) s[i] = mu[i] * n_hi + s[i];  // Z
  int n = t->count;
  for (int i = 0; i < kTile; ++i) {
    const float z = s[i];
    if (z >= t->thr) {
      t->z[n] = z;
      t->pos[n] = v.pos0 + static_cast<uint32_t>(i);
      ++n;
    }
  }
  t->count = n;
}

}  // namespace

void ScanTileScalar(const TileView& v, ScanTarget* targets, int n) {
  for (int b = 0; b < n; ++b) ScanTileOne(v, &targets[b]);
}

void ScanListScalar(const ListView& v, int begin, int end, ScanTarget* t) {
  int n = t->count;
  for (int i = begin; i < end; ++i) {
    float s = 0.0f;
    for (int p = 0; p < v.P; ++p) {
      float y = 0.0f;
      for (int c = 0; c < v.C; ++c) {
        y += v.q[(c * v.P + p) * v.n_pad + i] * t->w[c];
      }
      s += y * y;
    }
    const float z = v.mu[i] * t->n_hi + s;
    if (z >= t->thr) {
      t->z[n] = z;
      t->pos[n] = v.pos[i];
      ++n;
    }
  }
  t->count = n;
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
