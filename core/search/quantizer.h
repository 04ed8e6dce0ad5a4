// The shared-exponent quantizer of spec §5: exponent candidates per mode,
// coefficient rounding, and the error of a candidate, in float64. These
// functions *define* the arithmetic every search implementation must
// reproduce bit for bit (no FMA; the project builds with -ffp-contract=off).
//
// Powers of two are exact doubles here: for every exponent the codec allows,
// x * 2^k equals ldexp(x, k) for the magnitudes weights have (no overflow or
// subnormal results), so the class precomputes them instead of calling libm.
#ifndef SEEDLM_CORE_SEARCH_QUANTIZER_H_
#define SEEDLM_CORE_SEARCH_QUANTIZER_H_

#include <cstdint>

#include "core/codec/codec.h"

namespace seedlm {

// The least integer e with m <= L * 2^e, L = 2^(Q-1) - 0.5, clamped to
// [e_lo, e_hi] (e_lo when m == 0). m >= 0. Exact.
int FitExponent(const CodecConfig& codec, double m);

// Quantizer for one (codec, mode, bias). Immutable after construction;
// thread-safe. REQUIRES: codec valid, bias in -128..127.
class Quantizer {
 public:
  Quantizer(const CodecConfig& codec, ExponentMode mode, int bias);

  const CodecConfig& codec() const { return codec_; }

  // Writes the exponent candidates for a block whose least-squares
  // coefficients have max_p |t_p| = max_abs_t, ascending; returns how many
  // (1..3). With m = max_abs_t / 2^bias:
  //   search: {e0-1, e0, e0+1} ∩ [e_lo, e_hi], e0 = FitExponent(m)
  //   fit:    {e0}
  //   paper:  {clamp(floor(log2 m))}, e_lo when m == 0
  int Candidates(double max_abs_t, int out[3]) const;

  // q_p = clamp(round_half_away_from_zero(t_p * 2^-(e+bias)), q_lo, q_hi).
  void Quantize(const double* t, int e, int8_t* q) const;

  // err = Σ_c (w_c − ŵ_c)², summed in order c = 0..C−1, where
  //   ŵ_c = ((double)sum_c * (1.0 / denominator)) * 2^(e+bias)
  //   sum_c = Σ_p M[c][p] q_p   (exact integer)
  // M is the seed's centred integer matrix (row-major C x P).
  double Error(const int32_t* m, const int8_t* q, int e, const double* w) const;

 private:
  // 2^(e+bias) and 2^-(e+bias) for e in [e_lo, e_hi], indexed by e - e_lo.
  double Pow2(int e) const { return pow2_[e - codec_.e_lo()]; }
  double InvPow2(int e) const { return inv_pow2_[e - codec_.e_lo()]; }

  CodecConfig codec_;
  ExponentMode mode_;
  double inv_denom_;
  double inv_bias_;      // 2^-bias
  double fit_thr_[257];  // L * 2^e for e in [e_lo, e_hi]
  double pow2_[257];
  double inv_pow2_[257];
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_QUANTIZER_H_
