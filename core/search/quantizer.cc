#include "core/search/quantizer.h"

#include <algorithm>
#include <cmath>

namespace seedlm {

int FitExponent(const CodecConfig& codec, double m) {
  const int lo = codec.e_lo();
  const int hi = codec.e_hi();
  if (!(m > 0.0)) return lo;
  const double L = std::ldexp(1.0, codec.Q - 1) - 0.5;
  // Start near the answer, then correct: both comparisons are exact.
  int e = std::ilogb(m) - std::ilogb(L);
  e = std::clamp(e, lo - 2, hi + 2);
  while (m > std::ldexp(L, e)) ++e;
  while (m <= std::ldexp(L, e - 1)) --e;
  return std::clamp(e, lo, hi);
}

Quantizer::Quantizer(const CodecConfig& codec, ExponentMode mode, int bias)
    : codec_(codec),
      mode_(mode),
      inv_denom_(1.0 / static_cast<double>(codec.denominator())),
      inv_bias_(std::ldexp(1.0, -bias)) {
  const double L = std::ldexp(1.0, codec.Q - 1) - 0.5;
  for (int e = codec.e_lo(); e <= codec.e_hi(); ++e) {
    const int i = e - codec.e_lo();
    fit_thr_[i] = std::ldexp(L, e);
    pow2_[i] = std::ldexp(1.0, e + bias);
    inv_pow2_[i] = std::ldexp(1.0, -(e + bias));
  }
}

int Quantizer::Candidates(double max_abs_t, int out[3]) const {
  const int lo = codec_.e_lo();
  const int hi = codec_.e_hi();
  const double m = max_abs_t * inv_bias_;
  if (mode_ == ExponentMode::kPaper) {
    out[0] = m > 0.0 ? std::clamp(std::ilogb(m), lo, hi) : lo;
    return 1;
  }
  // e0: the least e in [lo, hi] with m <= L * 2^e, else hi (same as
  // FitExponent, by a scan over the precomputed thresholds).
  int e0 = lo;
  while (e0 < hi && m > fit_thr_[e0 - lo]) ++e0;
  if (mode_ == ExponentMode::kFit) {
    out[0] = e0;
    return 1;
  }
  int n = 0;
  for (int e = e0 - 1; e <= e0 + 1; ++e) {
    if (e >= lo && e <= hi) out[n++] = e;
  }
  return n;
}

// clamp(round_half_away_from_zero(y), lo, hi) for finite y; the same value as
// std::clamp(std::round(y), lo, hi) without the libm call.
static inline int RoundClamp(double y, int lo, int hi) {
  if (y >= hi) return hi;
  if (y <= lo) return lo;
  int r = static_cast<int>(y);  // truncates toward zero; |y| < 2^7 here
  const double f = y - r;       // exact
  if (f >= 0.5) {
    ++r;
  } else if (f <= -0.5) {
    --r;
  }
  return std::clamp(r, lo, hi);
}

void Quantizer::Quantize(const double* t, int e, int8_t* q) const {
  const double s = InvPow2(e);
  for (int p = 0; p < codec_.P; ++p) {
    q[p] =
        static_cast<int8_t>(RoundClamp(t[p] * s, codec_.q_lo(), codec_.q_hi()));
  }
}

double Quantizer::Error(const int32_t* m, const int8_t* q, int e,
                        const double* w) const {
  const double scale = Pow2(e);
  double err = 0.0;
  for (int c = 0; c < codec_.C; ++c) {
    int32_t sum = 0;
    for (int p = 0; p < codec_.P; ++p) sum += m[c * codec_.P + p] * q[p];
    const double w_hat = (static_cast<double>(sum) * inv_denom_) * scale;
    const double d = w[c] - w_hat;
    err += d * d;
  }
  return err;
}

}  // namespace seedlm
