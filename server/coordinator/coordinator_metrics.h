// The coordinator's Prometheus metrics (seedlm_coordinator_*, the contract
// in docs/OBSERVABILITY.md): the families and every labelled series,
// created zero-valued in a MetricsRegistry at start-up. The coordinator
// increments the counters where the events happen (coordinator*.cc) and
// sets the gauges from a collect hook; this file only names and shapes them.
//
// Thread-safe (prometheus-cpp metrics are atomic). The pointers are owned by
// the registry and live as long as it does.
#ifndef SEEDLM_SERVER_COORDINATOR_COORDINATOR_METRICS_H_
#define SEEDLM_SERVER_COORDINATOR_COORDINATOR_METRICS_H_

#include <array>
#include <cstdint>
#include <memory>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/common/metrics.h"
#include "server/coordinator/job_store.h"

namespace seedlm::coordinator {

// Why a completion was refused (the `reason` label).
enum class RejectReason {
  kStale = 0,    // late, duplicate or unknown lease, or the job ended
  kInvalid = 1,  // wrong kind or size, CRC mismatch, failed verification
  kFailed = 2,   // the worker reported a failure
};

struct CoordinatorMetrics {
  // Registers every family and series in `registry` (not owned; must
  // outlive the result). Null registry: returns null.
  static std::unique_ptr<CoordinatorMetrics> Create(
      obs::MetricsRegistry* registry);

  // seedlm_coordinator_jobs{state}, indexed by JobPhase (1..6).
  prometheus::Gauge& jobs(JobPhase phase) {
    return *jobs_by_state[static_cast<int>(phase)];
  }
  prometheus::Counter& rejected(RejectReason r) {
    return *completions_rejected[static_cast<int>(r)];
  }

  std::array<prometheus::Gauge*, 7> jobs_by_state{};  // [0] unused
  // seedlm_coordinator_units{state}.
  prometheus::Gauge* units_waiting = nullptr;
  prometheus::Gauge* units_ready = nullptr;
  prometheus::Gauge* units_leased = nullptr;
  prometheus::Gauge* units_done = nullptr;
  prometheus::Counter* blocks_searched = nullptr;
  prometheus::Counter* blocks_accepted = nullptr;
  prometheus::Counter* units_accepted_rows = nullptr;
  prometheus::Counter* units_accepted_bias = nullptr;
  prometheus::Counter* lease_grants = nullptr;
  prometheus::Counter* lease_expiries = nullptr;
  std::array<prometheus::Counter*, 3> completions_rejected{};
  prometheus::Gauge* workers_connected = nullptr;
  prometheus::Counter* upload_bytes = nullptr;
  prometheus::Counter* download_bytes = nullptr;
  prometheus::Histogram* store_transaction_seconds = nullptr;
  prometheus::Histogram* assembly_seconds = nullptr;
  prometheus::Gauge* last_progress = nullptr;  // unix seconds
};

// The `state` label of a job phase ("queued", ..., "cancelled").
const char* JobStateLabel(JobPhase phase);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_COORDINATOR_METRICS_H_
