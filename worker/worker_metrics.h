// The worker's Prometheus metrics (seedlm_worker_*, the contract in
// docs/OBSERVABILITY.md), created zero-valued in a MetricsRegistry at
// start-up, and the few calls the worker makes as units run.
//
// Thread-safe (prometheus-cpp metrics are atomic). The series are owned by
// the registry, which must outlive this object.
#ifndef SEEDLM_WORKER_WORKER_METRICS_H_
#define SEEDLM_WORKER_WORKER_METRICS_H_

#include <cstdint>
#include <memory>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/common/metrics.h"

namespace seedlm::worker {

class WorkerMetrics {
 public:
  // Registers every series in `registry` (not owned); `threads` is the size
  // of the search pool (seedlm_worker_threads). Null registry: null.
  static std::unique_ptr<WorkerMetrics> Create(obs::MetricsRegistry* registry,
                                               int threads);

  // Blocks searched (progress deltas, bias choice and dropped units too).
  void AddBlocksSearched(int64_t blocks);
  // A unit starts / ends running on `threads` search threads.
  void UnitStarted(int threads);
  // `seconds` of search for one unit (also ends UnitStarted's busy span).
  void UnitFinished(double seconds);
  // The coordinator accepted a unit of this kind.
  void UnitDone(bool bias);

 private:
  WorkerMetrics() = default;
  prometheus::Counter* blocks_searched_ = nullptr;
  prometheus::Counter* units_done_rows_ = nullptr;
  prometheus::Counter* units_done_bias_ = nullptr;
  prometheus::Gauge* busy_threads_ = nullptr;
  prometheus::Gauge* threads_ = nullptr;
  prometheus::Histogram* search_seconds_ = nullptr;
  prometheus::Counter* search_seconds_total_ = nullptr;
};

}  // namespace seedlm::worker

#endif  // SEEDLM_WORKER_WORKER_METRICS_H_
