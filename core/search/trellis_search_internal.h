// Internal to the trellis search (trellis_search.h): the fused Viterbi step
// that the fast implementations (portable, AVX2, AVX-512) share, and the
// pass built on it.
//
// The reference materialises cost_j(s) = m_j(s >> R) + e(u_j, s) for all
// 2^L states and then reduces it to m_{j+1}(g) = min_h cost_j(g | h << (L-R)).
// The fused step computes the same float32 values (d = u - code[s], e = d*d,
// c = m + e, in that order) and reduces them on the fly, h ascending with a
// strict <, so it records the same minima and the same backpointers without
// a 2^L array. With G = 2^(L-R), for a run of V consecutive g aligned to V
// (V = 16 or 8 lanes) the states g | h << (L-R) are V consecutive states (one
// vector of code values) and their m indices are (s0 >> R) + (lane >> R): one
// broadcast value when 2^R >= V, else a small permutation of m.
//
// The first step uses m_0(g) = 0 (or +inf for g != overlap in a constrained
// pass): 0 + d*d == d*d and +inf + e == +inf exactly for every non-NaN
// target, so cost_0 is the reference's. Targets with a NaN take the
// reference (TrellisViterbiPassFast checks).
#ifndef SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_INTERNAL_H_
#define SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_INTERNAL_H_

#include <cstdint>

#include "core/codec/trellis_format.h"

namespace seedlm {
namespace trellis_search_internal {

// Floats of padding after the G entries of an m array (vector loads of the
// permuted form may read up to 15 entries past the last index used).
inline constexpr int kMPad = 16;

// One fused step: for every g < G = 2^(L-R),
//   next[g] = min over h = 0 .. 2^R - 1 (first h on ties) of
//             m[(g | h << (L-R)) >> R] + (uj - code[g | h << (L-R)])^2,
//   bp[g]   = that h.
// REQUIRES: m readable at [0, G + kMPad); next, bp writable at [0, G);
// 2^R <= 256; for the vector kernels G >= their lane count.
using TrellisStepFn = void (*)(const TrellisLayout& l, const float* code,
                               float uj, const float* m, float* next,
                               uint8_t* bp);

void TrellisStepPortable(const TrellisLayout& l, const float* code, float uj,
                         const float* m, float* next, uint8_t* bp);
// x86-64 only (SEEDLM_HAVE_X86_KERNELS); REQUIRES the CPU features and
// G >= 8 (AVX2) or G >= 16 (AVX-512).
void TrellisStepAvx2(const TrellisLayout& l, const float* code, float uj,
                     const float* m, float* next, uint8_t* bp);
void TrellisStepAvx512(const TrellisLayout& l, const float* code, float uj,
                       const float* m, float* next, uint8_t* bp);

// The Viterbi pass of TrellisViterbiPassReference computed with fused steps
// of `step` (identical states for every input; targets containing a NaN are
// handed to the reference). Scratch memory is per thread. Same REQUIRES as
// the reference.
void TrellisViterbiPassFused(const TrellisLayout& l, const float* code,
                             const float* u, int64_t w, int64_t overlap,
                             uint32_t* states, TrellisStepFn step);

}  // namespace trellis_search_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_INTERNAL_H_
