#include "core/runtime/sampler.h"

#include <algorithm>
#include <cmath>

namespace seedlm {

absl::Status ValidateSamplerOptions(const SamplerOptions& o) {
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) {
    return absl::InvalidArgumentError("temperature must be a number >= 0");
  }
  if (!(o.top_p > 0 && o.top_p <= 1)) {
    return absl::InvalidArgumentError("top-p must be in (0, 1]");
  }
  return absl::OkStatus();
}

int32_t ArgMax(absl::Span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                              logits.begin());
}

Sampler::Sampler(const SamplerOptions& options)
    : options_(options), state_(options.seed) {}

double Sampler::NextUniform() {
  // splitmix64.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(absl::Span<const float> logits) {
  if (options_.temperature == 0) return ArgMax(logits);
  const double max_l = logits[ArgMax(logits)];
  scratch_.clear();
  double total = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double p = std::exp((logits[i] - max_l) / options_.temperature);
    scratch_.emplace_back(p, static_cast<int32_t>(i));
    total += p;
  }
  std::sort(scratch_.begin(), scratch_.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  double kept = 0;
  size_t n = 0;
  while (n < scratch_.size()) {
    kept += scratch_[n].first / total;
    ++n;
    if (kept >= options_.top_p) break;
  }
  const double u = NextUniform() * kept;
  double cum = 0;
  for (size_t i = 0; i < n; ++i) {
    cum += scratch_[i].first / total;
    if (cum > u) return scratch_[i].second;
  }
  return scratch_[n - 1].second;
}

}  // namespace seedlm
