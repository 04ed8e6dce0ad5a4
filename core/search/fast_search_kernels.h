// Internal to the fast seed search (fast_search.h): the bound kernels, which
// compute for one block and many seeds the float32 quantity
//   Z(s) = Ŝ(s) + μ(s)·N,   Ŝ(s) ≈ ‖P_U(s) w_f‖²  (computed),  N ≥ ‖w_f‖²,
// an upper bound on the squared length of the block's projection onto the
// seed's column space (seed_bound_table.h derives μ), and emit the seeds whose
// Z reaches a threshold. Larger Z = smaller least-squares error = better seed.
//
// Two kinds of seeds (seed_bound_table.h):
//  - tile seeds (almost all): the P projections b = M(s)ᵀ w_f of every seed
//    come from one C-tap correlation over the LFSR sequence (seed at sequence
//    position n has M[c][p] = x[n + st·(c·P + p + 1)]), then Ŝ = ‖Ã b‖² with
//    the seed's float32 inverse Cholesky factor Ã;
//  - listed seeds (badly conditioned): Ŝ = ‖Q̃ᵀ w_f‖² with a float32
//    orthonormal basis Q̃ of the seed's column space.
// Every level (scalar, AVX2, AVX-512) computes Z by these formulas, with or
// without fused multiply-adds and in any summation order: the margin μ covers
// all of them, so levels may differ in Z's last bits but never in what a
// search returns.
//
// Output buffers receive (Z, sequence position) of every emitted seed; they
// must have room for the emitted count plus 16 (vector stores).
#ifndef SEEDLM_CORE_SEARCH_FAST_SEARCH_KERNELS_H_
#define SEEDLM_CORE_SEARCH_FAST_SEARCH_KERNELS_H_

#include <cstdint>

#include "core/codec/block_format.h"

namespace seedlm {
enum class SimdLevel;  // core/util/cpu_features.h (not included: the SIMD files
                       // stay free of inline library code)
}  // namespace seedlm

namespace seedlm {
namespace fast_search_internal {

// Seeds (sequence positions) per tile.
inline constexpr int kTile = 512;

// One tile of kTile consecutive sequence positions pos0 .. pos0 + kTile - 1.
struct TileView {
  // seq[j + c·P·stride] for j < kTile + stride·(P−1) rounded up to 16, c < C:
  // the sequence from position pos0 + stride on (b_p of position pos0 + i is
  // F[i + stride·p], F[j] = Σ_c seq[j + c·P·stride]·w_c).
  const float* seq;
  // P(P+1)/2 + 1 arrays of kTile floats, array k at coef + k·kTile: the lower
  // triangle of Ã row by row (a00, a10, a11, a20, ...), then μ. Positions that
  // are not tile seeds have Ã = 0 and μ = −inf (Z = −inf, never emitted).
  const float* coef;
  uint32_t pos0;
  int C, P, stride;
};

// The listed seeds, n_pad (a multiple of 16) entries; unused ones have q = 0
// and μ = −inf.
struct ListView {
  const float* q;   // C·P arrays of n_pad floats: Q̃[c][p] at (c·P+p)·n_pad
  const float* mu;  // n_pad
  const uint32_t* pos;  // sequence position of each entry
  int n_pad;
  int C, P;
};

// One block's side of a scan: its w_f (C floats) and N (> 0), the emission
// threshold (finite, so Z = −inf is never emitted), and its output buffer,
// appended to at z[count], pos[count] (count is advanced).
struct ScanTarget {
  const float* w;
  float n_hi;
  float thr;
  float* z;
  uint32_t* pos;
  int count;
};

// Emits (Z, position) of every tile position with Z >= thr, for each of the
// n targets (blocks); several blocks share the tile's loads.
using ScanTileFn = void (*)(const TileView& tile, ScanTarget* targets, int n);
// The same over list entries [begin, end) (multiples of 16), one block.
using ScanListFn = void (*)(const ListView& list, int begin, int end,
                            ScanTarget* target);

struct BoundKernels {
  ScanTileFn scan_tile;
  ScanListFn scan_list;
};

// The kernels of `level` (kAuto resolved first; fast_search_kernels_scalar.cc).
// REQUIRES: the level is supported (SimdLevelSupported).
BoundKernels KernelsFor(SimdLevel level);

// Per-level implementations (fast_search_kernels_scalar.cc,
// fast_search_avx2.cc, fast_search_avx512.cc). The x86 ones exist only when
// SEEDLM_HAVE_X86_KERNELS is defined.
void ScanTileScalar(const TileView&, ScanTarget*, int);
void ScanListScalar(const ListView&, int, int, ScanTarget*);
void ScanTileAvx2(const TileView&, ScanTarget*, int);
void ScanListAvx2(const ListView&, int, int, ScanTarget*);
void ScanTileAvx512(const TileView&, ScanTarget*, int);
void ScanListAvx512(const ListView&, int, int, ScanTarget*);

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_FAST_SEARCH_KERNELS_H_
