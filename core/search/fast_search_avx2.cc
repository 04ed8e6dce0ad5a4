// The AVX2+FMA bound kernels (fast_search_kernels.h). Compiled with
// -mavx2 -mfma and called only when the CPU supports both. Eight seeds per
// vector; the presets' shapes are unrolled at compile time, other shapes take
// the run-time loops.
#include <cstdint>

#include "core/search/fast_search_kernels.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

namespace seedlm {
namespace fast_search_internal {
namespace {

constexpr int kLanes = 8;

// Appends the lanes of z selected by the 8-bit mask m (positions
// pos0 + lane) to t.
inline void Emit(int m, __m256 z, uint32_t pos0, ScanTarget* t) {
  alignas(32) float zs[kLanes];
  _mm256_store_ps(zs, z);
  int n = t->count;
  while (m != 0) {
    const int lane = __builtin_ctz(m);
    m &= m - 1;
    t->z[n] = zs[lane];
    t->pos[n] = pos0 + static_cast<uint32_t>(lane);
    ++n;
  }
  t->count = n;
}

inline void Correlate(const float* seq, int cs, const float* w, int C, int nv,
                      float* f) {
  for (int j = 0; j < nv; ++j) {
    const float* x = seq + kLanes * j;
    __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(w[0]));
    for (int c = 1; c < C; ++c) {
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + c * cs), _mm256_set1_ps(w[c]),
                            acc);
    }
    _mm256_store_ps(f + kLanes * j, acc);
  }
}

template <int C>
inline void CorrelateFixed(const float* seq, int cs, const float* w, int nv,
                           float* f) {
  __m256 wc[C];
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) wc[c] = _mm256_set1_ps(w[c]);
  for (int j = 0; j < nv; ++j) {
    const float* x = seq + kLanes * j;
    __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(x), wc[0]);
#pragma GCC unroll 16
    for (int c = 1; c < C; ++c) {
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + c * cs), wc[c], acc);
    }
    _mm256_store_ps(f + kLanes * j, acc);
  }
}

template <int P>
inline __m256 ZValue(const float* a, const float* f, int st, __m256 n_hi) {
  __m256 b[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) b[p] = _mm256_loadu_ps(f + st * p);
  __m256 s = _mm256_setzero_ps();
  int k = 0;
#pragma GCC unroll 8
  for (int r = 0; r < P; ++r) {
    __m256 y = _mm256_mul_ps(_mm256_load_ps(a + k * kTile), b[0]);
    ++k;
#pragma GCC unroll 8
    for (int j = 1; j <= r; ++j, ++k) {
      y = _mm256_fmadd_ps(_mm256_load_ps(a + k * kTile), b[j], y);
    }
    s = r == 0 ? _mm256_mul_ps(y, y) : _mm256_fmadd_ps(y, y, s);
  }
  return _mm256_fmadd_ps(_mm256_load_ps(a + k * kTile), n_hi, s);
}

inline __m256 ZValueRuntime(const float* a, const float* f, int st, int P,
                            __m256 n_hi) {
  __m256 s = _mm256_setzero_ps();
  int k = 0;
  for (int r = 0; r < P; ++r) {
    __m256 y = _mm256_setzero_ps();
    for (int j = 0; j <= r; ++j, ++k) {
      y = _mm256_fmadd_ps(_mm256_load_ps(a + k * kTile),
                          _mm256_loadu_ps(f + st * j), y);
    }
    s = _mm256_fmadd_ps(y, y, s);
  }
  return _mm256_fmadd_ps(_mm256_load_ps(a + k * kTile), n_hi, s);
}

template <int C, int P, int ST>
void ScanTileFixed(const TileView& v, ScanTarget* t) {
  const float* w = t->w;
  constexpr int kNv = (kTile + ST * (P - 1) + kLanes - 1) / kLanes;
  alignas(32) float f[kNv * kLanes];
  CorrelateFixed<C>(v.seq, P * ST, w, kNv, f);
  const __m256 nv = _mm256_set1_ps(t->n_hi);
  const __m256 tv = _mm256_set1_ps(t->thr);
  const float* const coef = v.coef;
  const uint32_t pos0 = v.pos0;
  for (int i = 0; i < kTile; i += kLanes) {
    const __m256 z = ZValue<P>(coef + i, f + i, ST, nv);
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(z, tv, _CMP_GE_OQ));
    if (m != 0) Emit(m, z, pos0 + i, t);
  }
}

void ScanTileRuntime(const TileView& v, ScanTarget* t) {
  const float* w = t->w;
  const int st = v.stride;
  const int nvec = (kTile + st * (v.P - 1) + kLanes - 1) / kLanes;
  alignas(32) float f[(kTile + 8 * kMaxP + kLanes) / kLanes * kLanes];
  Correlate(v.seq, v.P * st, w, v.C, nvec, f);
  const __m256 nv = _mm256_set1_ps(t->n_hi);
  const __m256 tv = _mm256_set1_ps(t->thr);
  for (int i = 0; i < kTile; i += kLanes) {
    const __m256 z = ZValueRuntime(v.coef + i, f + i, st, v.P, nv);
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(z, tv, _CMP_GE_OQ));
    if (m != 0) Emit(m, z, v.pos0 + i, t);
  }
}

}  // namespace

void ScanTileAvx2(const TileView& v, ScanTarget* t, int n) {
  for (int b = 0; b < n; ++b) {
    if (v.C == 8 && v.P == 3 && v.stride == 1) {
      ScanTileFixed<8, 3, 1>(v, &t[b]);
    } else if (v.C == 12 && v.P == 4 && v.stride == 1) {
      ScanTileFixed<12, 4, 1>(v, &t[b]);
    } else if (v.C == 8 && v.P == 3 && v.stride == 8) {
      ScanTileFixed<8, 3, 8>(v, &t[b]);
    } else if (v.C == 12 && v.P == 4 && v.stride == 8) {
      ScanTileFixed<12, 4, 8>(v, &t[b]);
    } else if (v.C == 8 && v.P == 4 && v.stride == 1) {  // 4bit-p4
      ScanTileFixed<8, 4, 1>(v, &t[b]);
    } else if (v.C == 8 && v.P == 4 && v.stride == 8) {
      ScanTileFixed<8, 4, 8>(v, &t[b]);
    } else {
      ScanTileRuntime(v, &t[b]);
    }
  }
}

void ScanListAvx2(const ListView& v, int begin, int end, ScanTarget* t) {
  const __m256 nv = _mm256_set1_ps(t->n_hi);
  const __m256 tv = _mm256_set1_ps(t->thr);
  for (int i = begin; i < end; i += kLanes) {
    __m256 s = _mm256_setzero_ps();
    for (int p = 0; p < v.P; ++p) {
      __m256 y = _mm256_setzero_ps();
      for (int c = 0; c < v.C; ++c) {
        y = _mm256_fmadd_ps(_mm256_load_ps(v.q + (c * v.P + p) * v.n_pad + i),
                            _mm256_set1_ps(t->w[c]), y);
      }
      s = _mm256_fmadd_ps(y, y, s);
    }
    const __m256 z = _mm256_fmadd_ps(_mm256_load_ps(v.mu + i), nv, s);
    int m = _mm256_movemask_ps(_mm256_cmp_ps(z, tv, _CMP_GE_OQ));
    if (m != 0) {
      alignas(32) float zs[kLanes];
      _mm256_store_ps(zs, z);
      int n = t->count;
      while (m != 0) {
        const int lane = __builtin_ctz(m);
        m &= m - 1;
        t->z[n] = zs[lane];
        t->pos[n] = v.pos[i + lane];
        ++n;
      }
      t->count = n;
    }
  }
}

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
