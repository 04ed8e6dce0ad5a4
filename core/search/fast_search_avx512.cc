// The AVX-512F bound kernels (fast_search_kernels.h). Compiled with
// -mavx512f -mfma and called only when the CPU supports AVX-512F. Sixteen
// seeds per vector. The presets' shapes are unrolled at compile time and
// scan two blocks per pass, so that the tile's sequence and coefficient
// loads (the bottleneck) are shared; other shapes take run-time loops.
#include <cstdint>

#include "core/search/fast_search_kernels.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

namespace seedlm {
namespace fast_search_internal {
namespace {

constexpr int kLanes = 16;

// A load the compiler must keep in a register instead of re-reading memory
// for every use (it otherwise folds the same load into each FMA, and loads
// are this kernel's bottleneck).
inline __m512 Keep(__m512 v) {
  asm("" : "+v"(v));
  return v;
}

// Appends the lanes of z selected by m (positions pos0 + lane) to t.
inline void Emit(__mmask16 m, __m512 z, int pos0, ScanTarget* t) {
  const __m512i iota =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i pos = _mm512_add_epi32(iota, _mm512_set1_epi32(pos0));
  _mm512_storeu_ps(t->z + t->count, _mm512_maskz_compress_ps(m, z));
  _mm512_storeu_si512(t->pos + t->count, _mm512_maskz_compress_epi32(m, pos));
  t->count += __builtin_popcount(m);
}

// F_b[j] = Σ_c seq[j + c·cs]·w_b[c] for B blocks, nv vectors each.
template <int C, int B>
inline void Correlate(const float* seq, int cs, const ScanTarget* t, int nv,
                      float (*f)[kLanes * 40]) {
  __m512 wc[B][C];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) wc[b][c] = _mm512_set1_ps(t[b].w[c]);
  }
  for (int j = 0; j < nv; ++j) {
    const float* x = seq + kLanes * j;
    __m512 acc[B];
    const __m512 x0 = Keep(_mm512_loadu_ps(x));
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b] = _mm512_mul_ps(x0, wc[b][0]);
#pragma GCC unroll 16
    for (int c = 1; c < C; ++c) {
      const __m512 xc = Keep(_mm512_loadu_ps(x + c * cs));
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b)
        acc[b] = _mm512_fmadd_ps(xc, wc[b][c], acc[b]);
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) _mm512_store_ps(f[b] + kLanes * j, acc[b]);
  }
}

// Z = μ·N + Σ_r (Σ_{j<=r} a_rj b_j)² for B blocks sharing the loads of a.
template <int P, int ST, int B>
inline void ZValues(const float* a, float (*f)[kLanes * 40], int i,
                    const __m512* n_hi, __m512* z) {
  __m512 bv[B][P];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
      bv[b][p] = Keep(_mm512_loadu_ps(f[b] + i + ST * p));
  }
  __m512 s[B];
  int k = 0;
#pragma GCC unroll 8
  for (int r = 0; r < P; ++r) {
    __m512 y[B];
    const __m512 a0 = Keep(_mm512_load_ps(a + k * kTile));
    ++k;
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) y[b] = _mm512_mul_ps(a0, bv[b][0]);
#pragma GCC unroll 8
    for (int j = 1; j <= r; ++j, ++k) {
      const __m512 aj = Keep(_mm512_load_ps(a + k * kTile));
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) y[b] = _mm512_fmadd_ps(aj, bv[b][j], y[b]);
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      s[b] = r == 0 ? _mm512_mul_ps(y[b], y[b])
                    : _mm512_fmadd_ps(y[b], y[b], s[b]);
    }
  }
  const __m512 mu = Keep(_mm512_load_ps(a + k * kTile));
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) z[b] = _mm512_fmadd_ps(mu, n_hi[b], s[b]);
}

template <int C, int P, int ST, int B>
void ScanTileFixed(const TileView& v, ScanTarget* t) {
  constexpr int kNv = (kTile + ST * (P - 1) + kLanes - 1) / kLanes;
  static_assert(kNv <= 40, "F buffer");
  alignas(64) float f[B][kLanes * 40];
  Correlate<C, B>(v.seq, P * ST, t, kNv, f);
  __m512 nv[B], tv[B];
#pragma GCC unroll 4
  for (int b = 0; b < B; ++b) {
    nv[b] = _mm512_set1_ps(t[b].n_hi);
    tv[b] = _mm512_set1_ps(t[b].thr);
  }
  const float* const coef = v.coef;
  const int pos0 = static_cast<int>(v.pos0);
  for (int i = 0; i < kTile; i += kLanes) {
    __m512 z[B];
    ZValues<P, ST, B>(coef + i, f, i, nv, z);
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      const __mmask16 m = _mm512_cmp_ps_mask(z[b], tv[b], _CMP_GE_OQ);
      if (m != 0) Emit(m, z[b], pos0 + i, &t[b]);
    }
  }
}

// Pairs of blocks (three gain nothing measurable: the FMAs then dominate).
template <int C, int P, int ST>
void ScanTileGroups(const TileView& v, ScanTarget* t, int n) {
  constexpr int kB = 2;
  int b = 0;
  for (; b + kB <= n; b += kB) ScanTileFixed<C, P, ST, kB>(v, t + b);
  if (n - b == 2) ScanTileFixed<C, P, ST, 2>(v, t + b);
  if (n - b == 1) ScanTileFixed<C, P, ST, 1>(v, t + b);
}

void ScanTileRuntime(const TileView& v, ScanTarget* t) {
  const int st = v.stride, P = v.P;
  const int nvec = (kTile + st * (P - 1) + kLanes - 1) / kLanes;
  alignas(64) float f[(kTile + 8 * kMaxP + kLanes) / kLanes * kLanes];
  for (int j = 0; j < nvec; ++j) {
    const float* x = v.seq + kLanes * j;
    __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(x), _mm512_set1_ps(t->w[0]));
    for (int c = 1; c < v.C; ++c) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + c * P * st),
                            _mm512_set1_ps(t->w[c]), acc);
    }
    _mm512_store_ps(f + kLanes * j, acc);
  }
  const __m512 nv = _mm512_set1_ps(t->n_hi);
  const __m512 tv = _mm512_set1_ps(t->thr);
  for (int i = 0; i < kTile; i += kLanes) {
    const float* a = v.coef + i;
    __m512 s = _mm512_setzero_ps();
    int k = 0;
    for (int r = 0; r < P; ++r) {
      __m512 y = _mm512_setzero_ps();
      for (int j = 0; j <= r; ++j, ++k) {
        y = _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile),
                            _mm512_loadu_ps(f + i + st * j), y);
      }
      s = _mm512_fmadd_ps(y, y, s);
    }
    const __m512 z = _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile), nv, s);
    const __mmask16 m = _mm512_cmp_ps_mask(z, tv, _CMP_GE_OQ);
    if (m != 0) Emit(m, z, static_cast<int>(v.pos0) + i, t);
  }
}

}  // namespace

void ScanTileAvx512(const TileView& v, ScanTarget* t, int n) {
  if (v.C == 8 && v.P == 3 && v.stride == 1)
    return ScanTileGroups<8, 3, 1>(v, t, n);
  if (v.C == 12 && v.P == 4 && v.stride == 1)
    return ScanTileGroups<12, 4, 1>(v, t, n);
  if (v.C == 8 && v.P == 3 && v.stride == 8)
    return ScanTileGroups<8, 3, 8>(v, t, n);
  if (v.C == 12 && v.P == 4 && v.stride == 8)
    return ScanTileGroups<12, 4, 8>(v, t, n);
  if (v.C == 8 && v.P == 4 && v.stride == 1)  // 4bit-p4
    return ScanTileGroups<8, 4, 1>(v, t, n);
  if (v.C == 8 && v.P == 4 && v.stride == 8)
    return ScanTileGroups<8, 4, 8>(v, t, n);
  for (int b = 0; b < n; ++b) ScanTileRuntime(v, &t[b]);
}

void ScanListAvx512(const ListView& v, int begin, int end, ScanTarget* t) {
  const __m512 nv = _mm512_set1_ps(t->n_hi);
  const __m512 tv = _mm512_set1_ps(t->thr);
  for (int i = begin; i < end; i += kLanes) {
    __m512 s = _mm512_setzero_ps();
    for (int p = 0; p < v.P; ++p) {
      __m512 y = _mm512_setzero_ps();
      for (int c = 0; c < v.C; ++c) {
        y = _mm512_fmadd_ps(_mm512_load_ps(v.q + (c * v.P + p) * v.n_pad + i),
                            _mm512_set1_ps(t->w[c]), y);
      }
      s = _mm512_fmadd_ps(y, y, s);
    }
    const __m512 z = _mm512_fmadd_ps(_mm512_load_ps(v.mu + i), nv, s);
    const __mmask16 m = _mm512_cmp_ps_mask(z, tv, _CMP_GE_OQ);
    if (m != 0) {
      const __m512i pos = _mm512_loadu_si512(v.pos + i);
      _mm512_storeu_ps(t->z + t->count, _mm512_maskz_compress_ps(m, z));
      _mm512_storeu_si512(t->pos + t->count,
                          _mm512_maskz_compress_epi32(m, pos));
      t->count += __builtin_popcount(m);
    }
  }
}

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
