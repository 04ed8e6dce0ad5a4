// The AVX-512F bound kernels (fast_search_kernels.h). Compiled with
// -mavx512f -mfma and called only when the CPU supports AVX-512F. Sixteen
// seeds per vector; the presets' shapes are unrolled at compile time, other
// shapes take the run-time loops.
#include <cstdint>

#include "core/search/fast_search_kernels.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

namespace seedlm {
namespace fast_search_internal {
namespace {

constexpr int kLanes = 16;

// Appends the lanes of z (and their positions pos0 + lane) selected by m.
inline int Emit(__mmask16 m, __m512 z, __m512i pos, float* z_out,
                uint32_t* pos_out, int n) {
  if (m == 0) return n;
  _mm512_storeu_ps(z_out + n, _mm512_maskz_compress_ps(m, z));
  _mm512_storeu_si512(pos_out + n, _mm512_maskz_compress_epi32(m, pos));
  return n + __builtin_popcount(m);
}

// The correlation F[j] = Σ_c seq[j + c·cs]·w_c for nv vectors.
template <int C>
inline void Correlate(const float* seq, int cs, const float* w, int nv,
                      float* f) {
  __m512 wc[C];
  for (int c = 0; c < C; ++c) wc[c] = _mm512_set1_ps(w[c]);
  for (int j = 0; j < nv; ++j) {
    const float* x = seq + kLanes * j;
    __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(x), wc[0]);
    for (int c = 1; c < C; ++c) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + c * cs), wc[c], acc);
    }
    _mm512_store_ps(f + kLanes * j, acc);
  }
}

inline void CorrelateRuntime(const float* seq, int cs, const float* w, int C,
                             int nv, float* f) {
  for (int j = 0; j < nv; ++j) {
    const float* x = seq + kLanes * j;
    __m512 acc = _mm512_mul_ps(_mm512_loadu_ps(x), _mm512_set1_ps(w[0]));
    for (int c = 1; c < C; ++c) {
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(x + c * cs), _mm512_set1_ps(w[c]),
                            acc);
    }
    _mm512_store_ps(f + kLanes * j, acc);
  }
}

// Ŝ = Σ_r (Σ_{j<=r} a_rj b_j)², then Z = μ·N + Ŝ, for P known at compile time.
template <int P>
inline __m512 ZValue(const float* a, const float* f, int st, __m512 n_hi) {
  __m512 b[P];
  for (int p = 0; p < P; ++p) b[p] = _mm512_loadu_ps(f + st * p);
  __m512 s = _mm512_setzero_ps();
  int k = 0;
  for (int r = 0; r < P; ++r) {
    __m512 y = _mm512_mul_ps(_mm512_load_ps(a + k * kTile), b[0]);
    ++k;
    for (int j = 1; j <= r; ++j, ++k) {
      y = _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile), b[j], y);
    }
    s = r == 0 ? _mm512_mul_ps(y, y) : _mm512_fmadd_ps(y, y, s);
  }
  return _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile), n_hi, s);
}

inline __m512 ZValueRuntime(const float* a, const float* f, int st, int P,
                            __m512 n_hi) {
  __m512 s = _mm512_setzero_ps();
  int k = 0;
  for (int r = 0; r < P; ++r) {
    __m512 y = _mm512_setzero_ps();
    for (int j = 0; j <= r; ++j, ++k) {
      y = _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile),
                          _mm512_loadu_ps(f + st * j), y);
    }
    s = _mm512_fmadd_ps(y, y, s);
  }
  return _mm512_fmadd_ps(_mm512_load_ps(a + k * kTile), n_hi, s);
}

template <int C, int P, int ST>
int ScanTileFixed(const TileView& v, const float* w, float n_hi, float thr,
                  float* z_out, uint32_t* pos_out) {
  constexpr int kNv = (kTile + ST * (P - 1) + kLanes - 1) / kLanes;
  alignas(64) float f[kNv * kLanes];
  Correlate<C>(v.seq, P * ST, w, kNv, f);
  const __m512 nv = _mm512_set1_ps(n_hi);
  const __m512 tv = _mm512_set1_ps(thr);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                         11, 12, 13, 14, 15);
  int n = 0;
  for (int i = 0; i < kTile; i += kLanes) {
    const __m512 z = ZValue<P>(v.coef + i, f + i, ST, nv);
    const __mmask16 m = _mm512_cmp_ps_mask(z, tv, _CMP_GE_OQ);
    if (m != 0) {
      const __m512i pos = _mm512_add_epi32(
          iota, _mm512_set1_epi32(static_cast<int>(v.pos0) + i));
      n = Emit(m, z, pos, z_out, pos_out, n);
    }
  }
  return n;
}

int ScanTileRuntime(const TileView& v, const float* w, float n_hi, float thr,
                    float* z_out, uint32_t* pos_out) {
  const int st = v.stride;
  const int nvec = (kTile + st * (v.P - 1) + kLanes - 1) / kLanes;
  alignas(64) float f[(kTile + 8 * kMaxP + kLanes) / kLanes * kLanes];
  CorrelateRuntime(v.seq, v.P * st, w, v.C, nvec, f);
  const __m512 nv = _mm512_set1_ps(n_hi);
  const __m512 tv = _mm512_set1_ps(thr);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                         11, 12, 13, 14, 15);
  int n = 0;
  for (int i = 0; i < kTile; i += kLanes) {
    const __m512 z = ZValueRuntime(v.coef + i, f + i, st, v.P, nv);
    const __mmask16 m = _mm512_cmp_ps_mask(z, tv, _CMP_GE_OQ);
    if (m != 0) {
      const __m512i pos = _mm512_add_epi32(
          iota, _mm512_set1_epi32(static_cast<int>(v.pos0) + i));
      n = Emit(m, z, pos, z_out, pos_out, n);
    }
  }
  return n;
}

}  // namespace

int ScanTileAvx512(const TileView& v, const float* w, float n_hi, float thr,
                   float* z_out, uint32_t* pos_out) {
  if (v.C == 8 && v.P == 3 && v.stride == 1) {
    return ScanTileFixed<8, 3, 1>(v, w, n_hi, thr, z_out, pos_out);
  }
  if (v.C == 12 && v.P == 4 && v.stride == 1) {
    return ScanTileFixed<12, 4, 1>(v, w, n_hi, thr, z_out, pos_out);
  }
  if (v.C == 8 && v.P == 3 && v.stride == 8) {
    return ScanTileFixed<8, 3, 8>(v, w, n_hi, thr, z_out, pos_out);
  }
  if (v.C == 12 && v.P == 4 && v.stride == 8) {
    return ScanTileFixed<12, 4, 8>(v, w, n_hi, thr, z_out, pos_out);
  }
  return ScanTileRuntime(v, w, n_hi, thr, z_out, pos_out);
}

int ScanListAvx512(const ListView& v, int begin, int end, const float* w,
                   float n_hi, float thr, float* z_out, uint32_t* pos_out) {
  const __m512 nv = _mm512_set1_ps(n_hi);
  const __m512 tv = _mm512_set1_ps(thr);
  int n = 0;
  for (int i = begin; i < end; i += kLanes) {
    __m512 s = _mm512_setzero_ps();
    for (int p = 0; p < v.P; ++p) {
      __m512 y = _mm512_setzero_ps();
      for (int c = 0; c < v.C; ++c) {
        y = _mm512_fmadd_ps(_mm512_load_ps(v.q + (c * v.P + p) * v.n_pad + i),
                            _mm512_set1_ps(w[c]), y);
      }
      s = _mm512_fmadd_ps(y, y, s);
    }
    const __m512 z = _mm512_fmadd_ps(_mm512_load_ps(v.mu + i), nv, s);
    const __mmask16 m = _mm512_cmp_ps_mask(z, tv, _CMP_GE_OQ);
    if (m != 0) {
      const __m512i pos = _mm512_loadu_si512(v.pos + i);
      n = Emit(m, z, pos, z_out, pos_out, n);
    }
  }
  return n;
}

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
