#include "worker/worker_metrics.h"

namespace seedlm::worker {

std::unique_ptr<WorkerMetrics> WorkerMetrics::Create(
    obs::MetricsRegistry* registry, int threads) {
  if (registry == nullptr) return nullptr;
  prometheus::Registry& r = registry->registry();
  std::unique_ptr<WorkerMetrics> m(new WorkerMetrics);
  m->blocks_searched_ =
      &prometheus::BuildCounter()
           .Name("seedlm_worker_blocks_searched_total")
           .Help(
               "Blocks searched by this worker (every unit it ran, "
               "accepted or not).")
           .Register(r)
           .Add({});
  auto& done = prometheus::BuildCounter()
                   .Name("seedlm_worker_units_done_total")
                   .Help(
                       "Units this worker completed and the coordinator "
                       "accepted, by kind.")
                   .Register(r);
  m->units_done_rows_ = &done.Add({{"kind", "rows"}});
  m->units_done_bias_ = &done.Add({{"kind", "bias"}});
  m->busy_threads_ = &prometheus::BuildGauge()
                          .Name("seedlm_worker_busy_threads")
                          .Help("Search threads running a unit now.")
                          .Register(r)
                          .Add({});
  m->threads_ = &prometheus::BuildGauge()
                     .Name("seedlm_worker_threads")
                     .Help("Search threads of this worker.")
                     .Register(r)
                     .Add({});
  m->threads_->Set(threads);
  m->search_seconds_ = &prometheus::BuildHistogram()
                            .Name("seedlm_worker_search_seconds")
                            .Help("Search time of one unit.")
                            .Register(r)
                            .Add({}, obs::DurationBucketsSeconds());
  m->search_seconds_total_ = &prometheus::BuildCounter()
                                  .Name("seedlm_worker_search_seconds_total")
                                  .Help("Search time of all units.")
                                  .Register(r)
                                  .Add({});
  return m;
}

void WorkerMetrics::AddBlocksSearched(int64_t blocks) {
  if (blocks > 0) blocks_searched_->Increment(static_cast<double>(blocks));
}

void WorkerMetrics::UnitStarted(int threads) { busy_threads_->Set(threads); }

void WorkerMetrics::UnitFinished(double seconds) {
  busy_threads_->Set(0);
  search_seconds_->Observe(seconds);
  search_seconds_total_->Increment(seconds);
}

void WorkerMetrics::UnitDone(bool bias) {
  (bias ? units_done_bias_ : units_done_rows_)->Increment();
}

}  // namespace seedlm::worker
