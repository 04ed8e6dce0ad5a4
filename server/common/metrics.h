// Process metrics for Prometheus, on prometheus-cpp (Debian's
// prometheus-cpp-dev, core library only: the HTTP side is ours, so one HTTP
// server per process serves metrics, pages and JSON). One MetricsRegistry
// per process; components register their families in it at start-up (so
// every series exists, zero-valued, before the first event) and the
// process's HTTP server renders it at GET /metrics in the text exposition
// format 0.0.4.
//
// Gauges that mirror state owned elsewhere (jobs by state, queue depth,
// executors attached) are refreshed by collect hooks, run just before each
// render, instead of being pushed on every change.
//
// Conventions (docs/OBSERVABILITY.md): names start with `seedlm_<process>_`,
// base units in names (`_seconds`, `_bytes`), counters end in `_total`,
// labels take a small fixed set of values (never job, unit, worker or
// request ids).
//
// Thread-safe.
#ifndef SEEDLM_SERVER_COMMON_METRICS_H_
#define SEEDLM_SERVER_COMMON_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/util/mutex.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace seedlm::obs {

class MetricsRegistry {
 public:
  // Registers seedlm_build_info{process="<process>",version="<version>"} 1.
  explicit MetricsRegistry(const std::string& process,
                           const std::string& version = "dev");
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Where families are registered (BuildCounter()...Register(registry())).
  prometheus::Registry& registry() { return *registry_; }

  // Runs `hook` before each Render, in registration order, serialized with
  // other renders. A hook must not call Render or Add/RemoveCollectHook.
  // Returns an id for RemoveCollectHook: whoever owns what the hook reads
  // removes it before that goes away.
  int AddCollectHook(std::function<void()> hook);
  void RemoveCollectHook(int id);

  // Runs the hooks, then serializes every family (text format 0.0.4).
  std::string Render();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  Mutex mu_;
  std::map<int, std::function<void()>> hooks_ ABSL_GUARDED_BY(mu_);
  int next_hook_ ABSL_GUARDED_BY(mu_) = 1;
};

// Histogram buckets in seconds for latencies from 100 µs to 2 min (1-2.5-5
// steps).
prometheus::Histogram::BucketBoundaries LatencyBucketsSeconds();
// Buckets in seconds for long operations, 10 ms to ~1 h.
prometheus::Histogram::BucketBoundaries DurationBucketsSeconds();

// The Content-Type of Render's text.
inline constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace seedlm::obs

#endif  // SEEDLM_SERVER_COMMON_METRICS_H_
