// The seed-trellis search (docs/SPEC.md §13.4): per ring, a seam pass that
// fixes the tail-biting overlap and a constrained Viterbi pass, both exactly
// as the scalar reference here defines (float32 arithmetic in a fixed order,
// ties to the smallest state), so that the encoding is a pure function of
// the row. The fast implementations (portable, AVX2, AVX-512) return
// bit-identical streams; trellis_search_test and seedlm-verify check it.
//
// All functions are thread-safe.
#ifndef SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_H_
#define SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"
#include "core/codec/trellis_format.h"
#include "core/util/cpu_features.h"

namespace seedlm {

// Which implementation runs the Viterbi passes. kReference is the
// definition; the others must give identical states.
enum class TrellisSearchImpl {
  kAuto = 0,       // the best fast level supported (capped by SimdLevelCap)
  kReference = 1,  // TrellisViterbiPassReference, plain scalar
  kPortable = 2,   // the fast algorithm in portable C++
  kAvx2 = 3,
  kAvx512 = 4,
};
const char* TrellisSearchImplName(TrellisSearchImpl impl);
// True if this build and CPU can run `impl` (kAuto, kReference and kPortable
// always).
bool TrellisSearchImplSupported(TrellisSearchImpl impl);
// kAuto -> the fast implementation of ResolveSimdLevel(SimdLevel::kAuto)
// (kAvx512, kAvx2 or kPortable: best supported, capped by SimdLevelCap);
// any other value -> itself.
TrellisSearchImpl ResolveTrellisSearchImpl(TrellisSearchImpl impl);

// One Viterbi pass of spec §13.4 over targets u[0, w):
//   cost_0(s) = e(u_0, s), or +inf when overlap >= 0 and s >> R != overlap;
//   for j >= 1, for each group g < 2^(L-R): m(g) = the smallest
//     cost_{j-1}(g | h << (L-R)) over h = 0 .. 2^R - 1 (first h on ties), and
//     cost_j(s) = m(s >> R) + e(u_j, s);
//   e(u, s) = (u - code[s]) * (u - code[s]), each operation float32;
//   the final state is the s of smallest cost_{w-1}(s) (smallest s on ties)
//   among all s, or when overlap >= 0 among s with s mod 2^(L-R) == overlap;
//   the path is traced back through the recorded h.
// Writes the w states of the path. REQUIRES: w >= 1, 8 <= L <= 16,
// 1 <= R < L, code = TrellisCodeTable(L), -1 <= overlap < 2^(L-R).
void TrellisViterbiPassReference(const TrellisLayout& l, const float* code,
                                 const float* u, int64_t w, int64_t overlap,
                                 uint32_t* states);

// The same pass run by `impl` (kAuto resolved): the fast implementations
// (fused steps, trellis_search_internal.h; per-thread scratch of w * 2^(L-R)
// backpointer bytes) write exactly the reference's states for every input.
// Kernels that need more groups than 2^(L-R) fall back to the portable step.
// REQUIRES: as the reference, and TrellisSearchImplSupported(impl).
void TrellisViterbiPass(const TrellisLayout& l, const float* code,
                        const float* u, int64_t w, int64_t overlap,
                        uint32_t* states, TrellisSearchImpl impl);

// Encodes one ring of n prepared targets (TrellisPrepareRow) into its n*R
// stream bits at bit `ring_pos` of `stream` (MSB-first, trellis_format.h):
// the seam pass over the window of W = min(n, kTrellisSeamWindow) targets
// u[(n - W/2 + j) mod n], free start; its state at j = W/2 - 1 gives the
// overlap o = state mod 2^(L-R); then the pass over u[0, n) constrained by o
// gives the states s_i, stored as k_i = s_i mod 2^R. REQUIRES: n >= min_ring,
// the impl supported.
void TrellisEncodeRing(const TrellisLayout& l, const float* u, int64_t n,
                       uint8_t* stream, uint64_t ring_pos,
                       TrellisSearchImpl impl);

// Encodes one row of weights into its TrellisRowBytes(cols) bytes (`out`):
// TrellisPrepareRow, the scale field, then TrellisEncodeRing per ring (all
// stream bits zero when the scale is 0). *sq_error (may be null) receives
// sum (w_c - decoded_c)^2 in float64, column order, decoded by
// TrellisDecodeRow. INVALID_ARGUMENT for a non-finite weight, an invalid
// codec or a wrong out size; FAILED_PRECONDITION for an unsupported impl.
absl::Status TrellisEncodeRow(const TrellisParams& t, absl::Span<const float> w,
                              absl::Span<uint8_t> out,
                              TrellisSearchImpl impl = TrellisSearchImpl::kAuto,
                              double* sq_error = nullptr);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_TRELLIS_SEARCH_H_
