// Bounded progress samples and search rates (progress_history.h).
#include "server/coordinator/progress_history.h"

#include <algorithm>

namespace seedlm::coordinator {

ProgressHistory::ProgressHistory(size_t capacity, absl::Duration min_interval)
    : capacity_(std::max<size_t>(capacity, 4)), min_interval_(min_interval) {}

void ProgressHistory::Add(absl::Time time, int64_t blocks_done,
                          double blocks_per_second) {
  if (!samples_.empty() && time - samples_.back().time < min_interval_) {
    return;
  }
  if (samples_.size() >= capacity_) {
    // Thin the older half: keep its even-indexed samples.
    const size_t half = samples_.size() / 2;
    std::vector<ProgressPoint> kept;
    kept.reserve(capacity_);
    for (size_t i = 0; i < half; i += 2) kept.push_back(samples_[i]);
    kept.insert(kept.end(), samples_.begin() + static_cast<ptrdiff_t>(half),
                samples_.end());
    samples_ = std::move(kept);
  }
  samples_.push_back({time, blocks_done, blocks_per_second});
}

void AddToRateWindow(RateWindow& w, absl::Time now, int64_t total,
                     absl::Duration window) {
  w.emplace_back(now, total);
  while (w.size() > 2 && now - w.front().first > window) w.pop_front();
}

double RatePerSecond(const RateWindow& w) {
  if (w.size() < 2) return 0;
  const double secs = absl::ToDoubleSeconds(w.back().first - w.front().first);
  if (secs <= 0) return 0;
  return static_cast<double>(w.back().second - w.front().second) / secs;
}

}  // namespace seedlm::coordinator
