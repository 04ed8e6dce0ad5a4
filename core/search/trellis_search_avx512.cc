// The AVX-512F fused trellis step (trellis_search_internal.h). Compiled with
// -mavx512f and called only when the CPU supports AVX-512. Sixteen groups
// per vector, four runs interleaved so that the running minima's dependency
// chains overlap; separate sub/mul/add (no FMA), compare + min + masked
// move for the minimum and its first h.
#include <cstdint>

#include "core/search/trellis_search_internal.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

// GCC 12 reports the 512-bit intrinsics' internal _mm512_undefined_*()
// operands as (maybe-)uninitialized (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace seedlm {
namespace trellis_search_internal {
namespace {

constexpr uint32_t kLanes = 16;

// The m term of the 16 states s0 .. s0 + 15 (s0 a multiple of 16): one
// broadcast when 2^R >= 16, else m[(s0 >> R) + (lane >> R)].
template <bool kBroadcast>
inline __m512 MTerm(const float* m, uint32_t s0, int R, __m512i lane_idx) {
  if (kBroadcast) return _mm512_set1_ps(m[s0 >> R]);
  return _mm512_permutexvar_ps(lane_idx, _mm512_loadu_ps(m + (s0 >> R)));
}

inline __m512 Cost(const float* code, const float* m, uint32_t s0, int R,
                   __m512 u, __m512i lane_idx, bool broadcast) {
  const __m512 d = _mm512_sub_ps(u, _mm512_loadu_ps(code + s0));
  const __m512 e = _mm512_mul_ps(d, d);
  const __m512 mt = broadcast ? MTerm<true>(m, s0, R, lane_idx)
                              : MTerm<false>(m, s0, R, lane_idx);
  return _mm512_add_ps(mt, e);
}

// kRuns runs of 16 groups per iteration. REQUIRES G % (16 * kRuns) == 0.
template <int kRuns, bool kBroadcast>
void StepRuns(const TrellisLayout& l, const float* code, float uj,
              const float* m, float* next, uint8_t* bp) {
  const int R = l.R;
  const int gshift = l.L - l.R;
  const uint32_t G = 1u << gshift;
  const uint32_t H = 1u << R;
  const __m512 u = _mm512_set1_ps(uj);
  const __m512i iota =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i lane_idx =
      _mm512_srl_epi32(iota, _mm_cvtsi32_si128(R < 4 ? R : 4));
  for (uint32_t g0 = 0; g0 < G; g0 += kLanes * kRuns) {
    __m512 best[kRuns];
    __m512i arg[kRuns];
#pragma GCC unroll 4
    for (int r = 0; r < kRuns; ++r) {
      best[r] = Cost(code, m, g0 + kLanes * r, R, u, lane_idx, kBroadcast);
      arg[r] = _mm512_setzero_si512();
    }
    for (uint32_t h = 1; h < H; ++h) {
      const uint32_t s0 = g0 | (h << gshift);
      const __m512i hv = _mm512_set1_epi32(static_cast<int>(h));
#pragma GCC unroll 4
      for (int r = 0; r < kRuns; ++r) {
        const __m512 c =
            Cost(code, m, s0 + kLanes * r, R, u, lane_idx, kBroadcast);
        const __mmask16 lt = _mm512_cmp_ps_mask(c, best[r], _CMP_LT_OQ);
        best[r] = _mm512_min_ps(c, best[r]);  // c < best ? c : best
        arg[r] = _mm512_mask_mov_epi32(arg[r], lt, hv);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < kRuns; ++r) {
      _mm512_storeu_ps(next + g0 + kLanes * r, best[r]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(bp + g0 + kLanes * r),
                       _mm512_cvtepi32_epi8(arg[r]));
    }
  }
}

}  // namespace

void TrellisStepAvx512(const TrellisLayout& l, const float* code, float uj,
                       const float* m, float* next, uint8_t* bp) {
  const uint32_t G = 1u << (l.L - l.R);
  const bool broadcast = l.R >= 4;
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
