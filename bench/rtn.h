// Round-to-nearest (RTN) integer quantization: the baselines the quality bench
// (quality.h) compares SeedLM against at equal bits per weight (spec §7).
//
// A matrix [rows, cols] is quantized row by row; each row is cut into groups
// of `group` consecutive weights along the row (the last group of a row may be
// shorter; group = 0 means one group per row). Every group stores its own
// scale (and, for the asymmetric scheme, its own zero), rounded to IEEE
// binary16 (or kept as float32) BEFORE the weights are quantized with it, so
// the error measured is the error of what would actually be stored.
//
// Rounding: round half away from zero (std::round), then clamp to the level
// range. Reconstructions are float32 (w_hat = z + s * q, resp. d * q, in
// float32 arithmetic).
//
// Schemes, for b bits; st(v) is the stored value of v (float32 v rounded to
// binary16 with FloatToHalf/HalfToFloat of core/util/dtype.h for kF16, v as
// float32 for kF32):
//   kAsymmetric (min/max): lo = min(x), hi = max(x) over the group;
//     s = st((hi - lo) / (2^b - 1)), z = st(lo);
//     q = clamp(round((x - z) / s), 0, 2^b - 1);  w_hat = z + s * q.
//     If s == 0 (a constant group) every q is 0 and w_hat = z.
//     Overhead: two stored numbers (2 x 16 bits for kF16) per group.
//   kAbsmax (spec §7's rule, 2^b levels): d = st(max|x| / 2^(b-1));
//     q = clamp(round(x / d), -2^(b-1), 2^(b-1) - 1);  w_hat = d * q
//     (so a positive extreme is clipped to (2^(b-1) - 1) * d).
//     If d == 0 every weight decodes to 0. Overhead: one scale per group.
//   kSymmetricSigned (llama.cpp's Q4_0 rule): as kAbsmax but the scale keeps
//     the sign of the extreme: m = the weight of largest magnitude, sign kept
//     (the first one on ties), d = st(m / -2^(b-1)), so m lands exactly on
//     the level -2^(b-1) and nothing is clipped.
#ifndef SEEDLM_BENCH_RTN_H_
#define SEEDLM_BENCH_RTN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace seedlm {

enum class RtnScheme { kAsymmetric, kSymmetricSigned, kAbsmax };
enum class RtnScaleType { kF16, kF32 };

struct RtnConfig {
  std::string name;  // e.g. "rtn-int4-asym-g64"
  int bits = 4;      // 2..8
  int group = 64;    // weights per group along a row; 0 = whole row
  RtnScheme scheme = RtnScheme::kAsymmetric;
  RtnScaleType scale_type = RtnScaleType::kF16;

  // Bits of side information (scale, zero) per group.
  int OverheadBits() const;
  // Exact bits per weight of a [rows, cols] matrix (independent of rows):
  // (cols * bits + groups_per_row * OverheadBits()) / cols.
  double BitsPerWeight(int64_t cols) const;
  // Groups per row of `cols` weights.
  int64_t GroupsPerRow(int64_t cols) const;
};

// The bench's baselines, in table order (bits per weight for 4096 columns):
//   rtn-int4-asym-g64    asymmetric, groups of 64, fp16 s + fp16 z (4.5)
//   rtn-int4-absmax-g32  absmax, groups of 32, fp16 scale (4.5; spec §7's
//                        "Q4_0-like" figure 0.094)
//   rtn-int4-q4_0-g32    signed absmax as llama.cpp's Q4_0, groups of 32,
//                        fp16 scale (4.5)
//   rtn-int4-absmax-row  absmax, one fp16 scale per row (4 + 16/cols)
//   rtn-int3-asym-g64    3 bits, asymmetric, groups of 64, fp16 s + z (3.5)
//   rtn-int4-absmax-g128 absmax, groups of 128, fp16 scale (4.125; spec §7's
//                        "groups of 128 with a 16-bit scale")
//   rtn-int4-q4_0-g128   signed absmax, groups of 128, fp16 scale (4.125)
const std::vector<RtnConfig>& RtnBaselines();

// Quantizes one group of n weights and writes its float32 reconstruction.
// REQUIRES: config.bits in 2..8, n >= 1, finite weights.
void RtnQuantizeGroup(const RtnConfig& config, const float* x, int64_t n,
                      float* out);

// Quantizes a row-major [rows, cols] matrix into `out` (same shape).
// INVALID_ARGUMENT if a size does not match or bits/group is out of range.
absl::Status RtnQuantizeMatrix(const RtnConfig& config,
                               absl::Span<const float> w, int64_t rows,
                               int64_t cols, absl::Span<float> out);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_RTN_H_
