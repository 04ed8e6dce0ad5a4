#include "server/coordinator/coordinator_metrics.h"

namespace seedlm::coordinator {
namespace {

prometheus::Counter* NewCounter(prometheus::Registry& r, const char* name,
                                const char* help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge* NewGauge(prometheus::Registry& r, const char* name,
                            const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

const char* JobStateLabel(JobPhase phase) {
  switch (phase) {
    case JobPhase::kQueued:
      return "queued";
    case JobPhase::kRunning:
      return "running";
    case JobPhase::kAssembling:
      return "assembling";
    case JobPhase::kSucceeded:
      return "succeeded";
    case JobPhase::kFailed:
      return "failed";
    case JobPhase::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::unique_ptr<CoordinatorMetrics> CoordinatorMetrics::Create(
    obs::MetricsRegistry* registry) {
  if (registry == nullptr) return nullptr;
  prometheus::Registry& r = registry->registry();
  auto m = std::make_unique<CoordinatorMetrics>();
  auto& jobs = prometheus::BuildGauge()
                   .Name("seedlm_coordinator_jobs")
                   .Help("Jobs known to the coordinator, by state.")
                   .Register(r);
  for (int p = 1; p <= 6; ++p) {
    m->jobs_by_state[p] =
        &jobs.Add({{"state", JobStateLabel(static_cast<JobPhase>(p))}});
  }
  auto& units = prometheus::BuildGauge()
                    .Name("seedlm_coordinator_units")
                    .Help("Work units of jobs not ended, by state.")
                    .Register(r);
  m->units_waiting = &units.Add({{"state", "waiting"}});
  m->units_ready = &units.Add({{"state", "ready"}});
  m->units_leased = &units.Add({{"state", "leased"}});
  m->units_done = &units.Add({{"state", "done"}});
  m->blocks_searched = NewCounter(
      r, "seedlm_coordinator_blocks_searched_total",
      "Blocks the workers report searched (heartbeat deltas; retries and "
      "bias choice included).");
  m->blocks_accepted = NewCounter(r, "seedlm_coordinator_blocks_accepted_total",
                                  "Blocks of accepted row units.");
  auto& accepted = prometheus::BuildCounter()
                       .Name("seedlm_coordinator_units_accepted_total")
                       .Help("Work units accepted and recorded, by kind.")
                       .Register(r);
  m->units_accepted_rows = &accepted.Add({{"kind", "rows"}});
  m->units_accepted_bias = &accepted.Add({{"kind", "bias"}});
  m->lease_grants = NewCounter(r, "seedlm_coordinator_lease_grants_total",
                               "Work units leased to workers.");
  m->lease_expiries = NewCounter(
      r, "seedlm_coordinator_lease_expiries_total",
      "Leases freed without a completion: timed out, or their worker left.");
  auto& rejected =
      prometheus::BuildCounter()
          .Name("seedlm_coordinator_completions_rejected_total")
          .Help(
              "Completions not accepted: stale (late, duplicate or unknown "
              "lease), invalid (size, CRC, verification), failed "
              "(worker-reported failure).")
          .Register(r);
  m->completions_rejected[0] = &rejected.Add({{"reason", "stale"}});
  m->completions_rejected[1] = &rejected.Add({{"reason", "invalid"}});
  m->completions_rejected[2] = &rejected.Add({{"reason", "failed"}});
  m->workers_connected = NewGauge(r, "seedlm_coordinator_workers_connected",
                                  "Workers registered and not disconnected.");
  m->upload_bytes = NewCounter(r, "seedlm_coordinator_upload_bytes_total",
                               "Model bytes received by uploads.");
  m->download_bytes = NewCounter(r, "seedlm_coordinator_download_bytes_total",
                                 "Result bytes sent by FetchResult.");
  m->store_transaction_seconds =
      &prometheus::BuildHistogram()
           .Name("seedlm_coordinator_store_transaction_seconds")
           .Help("Latency of each state-store (SQLite) write transaction.")
           .Register(r)
           .Add({}, obs::LatencyBucketsSeconds());
  m->assembly_seconds =
      &prometheus::BuildHistogram()
           .Name("seedlm_coordinator_assembly_seconds")
           .Help("Time to assemble a finished job's container.")
           .Register(r)
           .Add({}, obs::DurationBucketsSeconds());
  m->last_progress =
      NewGauge(r, "seedlm_coordinator_job_last_progress_timestamp_seconds",
               "Unix time of the last accepted unit of any job (0: none yet).");
  return m;
}

}  // namespace seedlm::coordinator
