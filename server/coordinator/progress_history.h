// A job's progress over time for the dashboard's blocks/s chart
// (GET /api/v1/jobs/{id} "history"): a bounded list of samples, about one
// per second while the job runs; when full, the older half is thinned to
// every other sample, so a long job keeps its whole span at a coarser
// resolution in fixed memory. Also the search-rate helper the coordinator
// uses for jobs and workers.
//
// Thread-compatible (the coordinator guards it with its mutex).
#ifndef SEEDLM_SERVER_COORDINATOR_PROGRESS_HISTORY_H_
#define SEEDLM_SERVER_COORDINATOR_PROGRESS_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace seedlm::coordinator {

struct ProgressPoint {
  absl::Time time;
  int64_t blocks_done = 0;
  double blocks_per_second = 0;
};

class ProgressHistory {
 public:
  static constexpr size_t kDefaultCapacity = 600;

  // `capacity` >= 4 samples; samples closer than `min_interval` to the last
  // one are dropped.
  explicit ProgressHistory(size_t capacity = kDefaultCapacity,
                           absl::Duration min_interval = absl::Seconds(1));

  // Appends a sample (unless too close to the last, or older than it).
  void Add(absl::Time time, int64_t blocks_done, double blocks_per_second);

  // Oldest first; at most the capacity.
  const std::vector<ProgressPoint>& samples() const { return samples_; }

 private:
  size_t capacity_;
  absl::Duration min_interval_;
  std::vector<ProgressPoint> samples_;
};

// (time, running total) pairs, oldest first.
using RateWindow = std::deque<std::pair<absl::Time, int64_t>>;

// Appends (now, total) and drops entries older than `window` (keeping at
// least two).
void AddToRateWindow(RateWindow& w, absl::Time now, int64_t total,
                     absl::Duration window = absl::Minutes(1));

// The total's growth per second between the window's first and last
// entries (0 with fewer than two, or no time between them).
double RatePerSecond(const RateWindow& w);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_PROGRESS_HISTORY_H_
