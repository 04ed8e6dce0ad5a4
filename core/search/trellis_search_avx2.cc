// The AVX2 fused trellis step (trellis_search_internal.h). Compiled with
// -mavx2 and called only when the CPU supports AVX2. Eight groups per
// vector, four runs interleaved; separate sub/mul/add (no FMA), compare +
// min + blend for the minimum and its first h.
#include <cstdint>

#include "core/search/trellis_search_internal.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

namespace seedlm {
namespace trellis_search_internal {
namespace {

constexpr uint32_t kLanes = 8;

// The m term of the 8 states s0 .. s0 + 7 (s0 a multiple of 8): one
// broadcast when 2^R >= 8, else m[(s0 >> R) + (lane >> R)].
inline __m256 Cost(const float* code, const float* m, uint32_t s0, int R,
                   __m256 u, __m256i lane_idx, bool broadcast) {
  const __m256 d = _mm256_sub_ps(u, _mm256_loadu_ps(code + s0));
  const __m256 e = _mm256_mul_ps(d, d);
  const __m256 mt = broadcast ? _mm256_set1_ps(m[s0 >> R])
                              : _mm256_permutevar8x32_ps(
                                    _mm256_loadu_ps(m + (s0 >> R)), lane_idx);
  return _mm256_add_ps(mt, e);
}

// The low bytes of 8 int32 lanes (each < 256), stored to p[0, 8).
inline void StoreBytes(uint8_t* p, __m256i v) {
  const __m256i w = _mm256_packus_epi32(v, v);  // per 128-bit half
  const __m256i b = _mm256_packus_epi16(w, w);
  const __m128i lo = _mm256_castsi256_si128(b);
  const __m128i hi = _mm256_extracti128_si256(b, 1);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_unpacklo_epi32(lo, hi));
}

// kRuns runs of 8 groups per iteration. REQUIRES G % (8 * kRuns) == 0.
template <int kRuns, bool kBroadcast>
void StepRuns(const TrellisLayout& l, const float* code, float uj,
              const float* m, float* next, uint8_t* bp) {
  const int R = l.R;
  const int gshift = l.L - l.R;
  const uint32_t G = 1u << gshift;
  const uint32_t H = 1u << R;
  const __m256 u = _mm256_set1_ps(uj);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lane_idx =
      _mm256_srl_epi32(iota, _mm_cvtsi32_si128(R < 3 ? R : 3));
  for (uint32_t g0 = 0; g0 < G; g0 += kLanes * kRuns) {
    __m256 best[kRuns];
    __m256i arg[kRuns];
#pragma GCC unroll 4
    for (int r = 0; r < kRuns; ++r) {
      best[r] = Cost(code, m, g0 + kLanes * r, R, u, lane_idx, kBroadcast);
      arg[r] = _mm256_setzero_si256();
    }
    for (uint32_t h = 1; h < H; ++h) {
      const uint32_t s0 = g0 | (h << gshift);
      const __m256i hv = _mm256_set1_epi32(static_cast<int>(h));
#pragma GCC unroll 4
      for (int r = 0; r < kRuns; ++r) {
        const __m256 c =
            Cost(code, m, s0 + kLanes * r, R, u, lane_idx, kBroadcast);
        const __m256 lt = _mm256_cmp_ps(c, best[r], _CMP_LT_OQ);
        best[r] = _mm256_min_ps(c, best[r]);  // c < best ? c : best
        arg[r] = _mm256_castps_si256(_mm256_blendv_ps(
            _mm256_castsi256_ps(arg[r]), _mm256_castsi256_ps(hv), lt));
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < kRuns; ++r) {
      _mm256_storeu_ps(next + g0 + kLanes * r, best[r]);
      StoreBytes(bp + g0 + kLanes * r, arg[r]);
    }
  }
}

}  // namespace

void TrellisStepAvx2(const TrellisLayout& l, const float* code, float uj,
                     const float* m, float* next, uint8_t* bp) {
  const uint32_t G = 1u << (l.L - l.R);
  const bool broadcast = l.R >= 3;
  if (G % (4 * kLanes) == 0) {
    if (broadcast) {
      StepRuns<4, true>(l, code, uj, m, next, bp);
    } else {
      StepRuns<4, false>(l, code, uj, m, next, bp);
    }
  } else if (broadcast) {
    StepRuns<1, true>(l, code, uj, m, next, bp);
  } else {
    StepRuns<1, false>(l, code, uj, m, next, bp);
  }
}

}  // namespace trellis_search_internal
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
