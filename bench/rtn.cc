#include "bench/rtn.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/util/dtype.h"

namespace seedlm {
namespace {

// The value a scale or zero has once stored.
float StoreScale(RtnScaleType t, double v) {
  const float f = static_cast<float>(v);
  return t == RtnScaleType::kF16 ? HalfToFloat(FloatToHalf(f)) : f;
}

float RoundClamp(float v, float lo, float hi) {
  return std::min(hi, std::max(lo, std::round(v)));
}

void QuantizeAsymmetric(const RtnConfig& c, const float* x, int64_t n,
                        float* out) {
  float lo = x[0];
  float hi = x[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float levels = static_cast<float>((1 << c.bits) - 1);
  const float s =
      StoreScale(c.scale_type, (static_cast<double>(hi) - lo) / levels);
  const float z = StoreScale(c.scale_type, lo);
  for (int64_t i = 0; i < n; ++i) {
    const float q = s == 0.0f ? 0.0f : RoundClamp((x[i] - z) / s, 0.0f, levels);
    out[i] = z + s * q;
  }
}

void QuantizeSymmetric(const RtnConfig& c, const float* x, int64_t n,
                       float* out) {
  float m = 0.0f;  // the weight of largest magnitude, sign kept
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
  }
  const int half = 1 << (c.bits - 1);
  float d;
  if (c.scheme == RtnScheme::kSymmetricSigned) {
    d = StoreScale(c.scale_type, static_cast<double>(m) / -half);
  } else {
    d = StoreScale(c.scale_type, std::fabs(static_cast<double>(m)) / half);
  }
  const float q_lo = static_cast<float>(-half);
  const float q_hi = static_cast<float>(half - 1);
  for (int64_t i = 0; i < n; ++i) {
    const float q = d == 0.0f ? 0.0f : RoundClamp(x[i] / d, q_lo, q_hi);
    out[i] = d * q;
  }
}

}  // namespace

int RtnConfig::OverheadBits() const {
  const int one = scale_type == RtnScaleType::kF16 ? 16 : 32;
  return scheme == RtnScheme::kAsymmetric ? 2 * one : one;
}

int64_t RtnConfig::GroupsPerRow(int64_t cols) const {
  if (group <= 0) return 1;
  return (cols + group - 1) / group;
}

double RtnConfig::BitsPerWeight(int64_t cols) const {
  return (static_cast<double>(cols) * bits +
          static_cast<double>(GroupsPerRow(cols)) * OverheadBits()) /
         static_cast<double>(cols);
}

const std::vector<RtnConfig>& RtnBaselines() {
  using S = RtnScheme;
  constexpr RtnScaleType kF16 = RtnScaleType::kF16;
  static const auto* baselines = new std::vector<RtnConfig>{
      {"rtn-int4-asym-g64", 4, 64, S::kAsymmetric, kF16},
      {"rtn-int4-absmax-g32", 4, 32, S::kAbsmax, kF16},
      {"rtn-int4-q4_0-g32", 4, 32, S::kSymmetricSigned, kF16},
      {"rtn-int4-absmax-row", 4, 0, S::kAbsmax, kF16},
      {"rtn-int3-asym-g64", 3, 64, S::kAsymmetric, kF16},
      {"rtn-int4-absmax-g128", 4, 128, S::kAbsmax, kF16},
      {"rtn-int4-q4_0-g128", 4, 128, S::kSymmetricSigned, kF16},
  };
  return *baselines;
}

void RtnQuantizeGroup(const RtnConfig& config, const float* x, int64_t n,
                      float* out) {
  if (config.scheme == RtnScheme::kAsymmetric) {
    QuantizeAsymmetric(config, x, n, out);
  } else {
    QuantizeSymmetric(config, x, n, out);
  }
}

absl::Status RtnQuantizeMatrix(const RtnConfig& config,
                               absl::Span<const float> w, int64_t rows,
                               int64_t cols, absl::Span<float> out) {
  if (config.bits < 2 || config.bits > 8 || config.group < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rtn ", config.name, ": bits ", config.bits, " group ",
                     config.group, " out of range (bits 2..8, group >= 0)"));
  }
  if (rows < 0 || cols < 1 || w.size() != static_cast<size_t>(rows * cols) ||
      out.size() != w.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rtn ", config.name, ": ", w.size(), " weights in, ", out.size(),
        " out, for a [", rows, ", ", cols, "] matrix"));
  }
  const int64_t g = config.group == 0 ? cols : config.group;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c0 = 0; c0 < cols; c0 += g) {
      const int64_t n = std::min(g, cols - c0);
      const size_t at = static_cast<size_t>(r * cols + c0);
      RtnQuantizeGroup(config, &w[at], n, &out[at]);
    }
  }
  return absl::OkStatus();
}

}  // namespace seedlm
