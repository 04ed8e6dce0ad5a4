// Internal to the fast seed search (fast_search.h): the rigorous lower bound
// that lets it skip seeds. This header states the bound and its proof; the
// functions compute its per-seed and per-block constants.
//
// THE BOUND. For a block w and a seed s with column space S = col(U(s)),
// every candidate (e, q) the reference scores reconstructs some ŵ' = U(s)x,
// so its exact error is ‖w − ŵ'‖² >= dist(w, S)² = LS(s), the unquantized
// least-squares error. The fast search evaluates LS in float32 for all seeds
// and scores exactly (seed_score.h) only seeds whose bound does not exceed
// the best error found. Every rounding is accounted for below, so a seed is
// skipped only when each err the reference would compute for it is
// *strictly* greater than an err already computed: the result is the
// reference's (err, seed, e) minimum exactly, ties included.
//
// Notation: u = 2^-24 (float32), u_d = 2^-53 (float64), γ_n = n·u/(1 − n·u)
// (γ_n^d with u_d). M = M(s) is the seed's exact integer matrix (C x P),
// U = M / denominator, so S = col(M).
//
// (1) Block side (NormalizeBlock). w̃ = 2^k·w with max|w̃| in [1, 2) (exact
//   scaling); w_f = float32(w̃) (entries below 2^-100 flushed to 0), so the
//   float32 work never over- or underflows in a way that matters. The
//   difference δ = w̃ − w_f is computed exactly in float64 (w_f lies on a
//   coarser grid than w̃ and |δ_c| <= 2^-24|w̃_c|), so ‖δ‖ is known.
//   N_lo <= ‖w_f‖² <= N_hi (float64 sum of exact squares, widened).
// (2) The reference's own rounding (Quantizer::Error). ŵ_c is computed as
//   (sum·fl(1/d))·2^(e+b): |ŵ_c − ŵ'_c| <= 2.01·u_d·|ŵ'_c| (exact for i8);
//   the err sum of C nonnegative rounded squares of rounded differences is
//   >= (1 − u_d)^(C+2)·‖w − ŵ‖² (minus C·2^-1074 of underflow). If err <= T
//   with sqrt(T) < ‖w‖ (otherwise nothing is pruned anyway) this gives
//   dist(w, S) <= sqrt(T) + (C+6)·u_d·‖w‖ + tiny. In normalized units,
//   err > T is therefore implied by
//       dist(w_f, S) > sqrt(T·4^k) + Δ,   Δ >= ‖δ‖ + (C+6)·u_d·‖w̃‖ + 2^-100.
// (3) Seed side (GoodSeedMargin / ListSeedMargin). The kernels compute Ŝ, a
//   float32 value, and a per-seed μ is precomputed so that
//       ‖P_S w_f‖² <= Ŝ + μ·N_hi   for every w_f.
//   Tile seeds: b̂ = M ᵀw_f by a C-term float32 dot product per component
//   (any order, FMA or not): |b̂ − b| <= γ_C·‖M‖_F·‖w_f‖ in 2-norm;
//   ŷ = Ã b̂ (P-term dot products): |ŷ − Ã b̂| <= γ_P·|Ã||b̂|;
//   Ŝ = Σ ŷ_i² >= (1 − γ_P)‖ŷ‖². With H = Ã G Ãᵀ (G = MᵀM), h >= ‖H − I‖_F
//   (computed in float64 with its own error bound), G⁻¹ = ÃᵀH⁻¹Ã gives
//   ‖P_S w_f‖² = bᵀG⁻¹b <= ‖Ãb‖²/(1 − h), and ‖Ãb‖ <= ‖ŷ‖ + ν‖w_f‖ with
//   ν = ‖Ã‖_F‖M‖_F·(γ_P(1 + γ_C) + γ_C). Also ‖ŷ‖ <= β‖w_f‖,
//   β = sqrt(1 + h) + ν (‖ÃL‖² = λmax(H), G = LLᵀ). Expanding the square:
//       μ = (ρ/(1−γ_P) − 1)(1+γ_P)β² + ρ(2νβ + ν²),  ρ = 1/(1 − h).
//   Listed seeds: Ŝ = Σ_p (Q̃ᵀw_f)_p² with a float32 basis Q̃ of S; with
//   ε1 >= ‖Q̃ᵀQ̃ − I‖_F and ε2 >= ‖(I − P_S)Q̃‖_F (from the float64
//   residual of Q̃ = M·R⁻¹), writing Q̃ = Q_S·A + Z gives
//   ‖P_S w‖ <= (‖Q̃ᵀw‖ + ε2‖w‖)/sqrt(1 − ε1 − ε2²); the same μ with
//   h = ε1 + ε2², β = sqrt(1 + ε1) + ν, ν = ε2 + γ_C‖Q̃‖_F.
//   All float32 underflow (absolute errors <= 2^-150 per operation) is
//   covered by adding 2^-90 to μ (N_hi >= 1).
// (4) The test (PruneThreshold). The kernels compute Z = fl(μ·N_hi + Ŝ)
//   >= (Ŝ + μN_hi)(1 − u)². With A = N_lo − (sqrt(T·4^k) + Δ)² > 0 and
//   A_f <= A(1 − 2^-20) as a float32, Z < A_f implies
//   dist(w_f, S)² >= N_lo − (Ŝ + μN_hi) > (sqrt(T·4^k) + Δ)², hence by (2)
//   every err of the seed is > T. Seeds with Z >= A_f are scored.
//
// Magnitudes: μ ~ 1e-5 for typical seeds (‖Ã‖_F‖M‖_F ~ 5), so the bound is
// essentially LS itself; seeds with ‖Ã‖_F‖M‖_F > kMaxTileKappa (a few hundred
// of the paper variant's seeds have condition numbers 1e4..6e5) use the
// orthonormal-basis form, whose margin does not grow with the condition
// number; seeds where neither certifies (rank-deficient matrices, only for
// tiny K) are always scored.
#ifndef SEEDLM_CORE_SEARCH_FAST_SEARCH_BOUND_H_
#define SEEDLM_CORE_SEARCH_FAST_SEARCH_BOUND_H_

#include <cstdint>

#include "core/codec/block_format.h"

namespace seedlm {
namespace fast_search_internal {

// Tile seeds must have ‖Ã‖_F·‖M‖_F at most this; others go to the list.
inline constexpr double kMaxTileKappa = 256.0;

// γ_n for float32 (u = 2^-24) and float64 (u = 2^-53).
double Gamma32(int n);
double Gamma64(int n);

// μ of (3) from h (for ρ), h1 (for β) and ν; rounded up generously.
double MarginCoefficient(double h, double h1, double nu, int P);

// Tile seed: from M (C x P row-major, exact) computes Ã (the P(P+1)/2 lower
// triangle entries, row by row) and μ. False if M is not certified as a tile
// seed (Cholesky fails, ‖Ã‖_F‖M‖_F > kMaxTileKappa, or h >= 1/4).
bool GoodSeedMargin(const int32_t* m, int C, int P, float* a, double* mu);

// Listed seed: Q̃ (C x P row-major) and μ. False if M is numerically rank
// deficient or ε1 + ε2² >= 1/4 (then the seed is always scored).
bool ListSeedMargin(const int32_t* m, int C, int P, float* q, double* mu);

// The float32 form of one block (step (1)).
struct NormalizedBlock {
  int k = 0;            // w_f ≈ 2^k · w
  float w[kMaxC] = {};  // w_f; max |w_f| in [1, 2]
  float n_hi = 0.0f;    // >= ‖w_f‖² (>= 1)
  double n_lo = 0.0;    // <= ‖w_f‖²
  double slack = 0.0;   // Δ of step (2), normalized units
};

// Fills *out for the C weights w. False (out unspecified) when max|w| is 0 or
// outside [2^-400, 2^400]: such blocks are not searched with the bound.
bool NormalizeBlock(const double* w, int C, NormalizedBlock* out);

// A_f of step (4) for the best error T found so far: every seed with
// Z < A_f has all its errors > T. −FLT_MAX when nothing can be pruned
// (T = +inf, or T too large).
float PruneThreshold(const NormalizedBlock& b, double T);

// The lower bound on every err of a seed with kernel value z, in the block's
// original units (0 if none): err(s, e) >= ErrLowerBound(b, z). For tests.
double ErrLowerBound(const NormalizedBlock& b, float z);

// The smallest float >= x / the largest float <= x (x finite, in range).
float RoundUpToFloat(double x);
float RoundDownToFloat(double x);

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_FAST_SEARCH_BOUND_H_
