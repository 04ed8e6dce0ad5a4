// The inference server's Prometheus metrics (docs/OBSERVABILITY.md,
// "Inference server and executors"), registered into the process's
// obs::MetricsRegistry:
//   seedlm_serve_requests_total{endpoint, code}   counted by the adapters
//     (HTTP: the route and status; gRPC: the method and code name),
//   seedlm_serve_tokens_generated_total, seedlm_serve_prompt_tokens_total
//     (the engine's counts of finished requests: usage.completion_tokens,
//     a stopping token included, and prompt tokens fed),
//   seedlm_serve_time_to_first_token_seconds,
//   seedlm_serve_inter_token_latency_seconds (InferenceCore's
//     TokenTimingObserver: as the adapters read the tokens),
//   seedlm_serve_queue_depth, seedlm_serve_running_batch_size,
//   seedlm_serve_executors_attached, seedlm_serve_weight_bytes_streamed_total
//     (refreshed by a collect hook from the engine and the executor pool).
// Every family exists from construction; requests_total has each endpoint
// with code "200" (gRPC: "OK") pre-created at zero, other codes appear when
// first counted.
//
// Thread-safety: all methods are thread-safe. The registry and the core
// must outlive this object; construct it before serving and destroy it
// after the adapters stopped.

#ifndef SEEDLM_SERVER_INFERENCE_SERVE_METRICS_H_
#define SEEDLM_SERVER_INFERENCE_SERVE_METRICS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/util/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/common/metrics.h"
#include "server/inference/inference_core.h"

namespace seedlm::serve {

// The endpoint label of an HTTP request path: "completions",
// "chat_completions", "models" (/v1/models and /v1/models/{id}),
// "executors", or "other" (anything else, unknown paths included).
std::string_view HttpEndpointLabel(std::string_view path);

// Figures for GET /api/v1/status.
struct ServeStatusCounts {
  int64_t tokens_generated_total = 0;
  int64_t requests_total = 0;  // every endpoint and code
  int queue_depth = 0;
  int running_batch_size = 0;
};

class ServeMetrics final : public TokenTimingObserver {
 public:
  // Registers the families in `registry` and the collect hook reading
  // `core`; sets itself as the core's timing observer.
  ServeMetrics(obs::MetricsRegistry* registry, InferenceCore* core);
  // Removes the hook and the observer.
  ~ServeMetrics() override;
  ServeMetrics(const ServeMetrics&) = delete;
  ServeMetrics& operator=(const ServeMetrics&) = delete;

  obs::MetricsRegistry& registry() { return *registry_; }

  // One finished request of `endpoint` (a label of the contract) with
  // `code` (an HTTP status like "200" or a gRPC code name like "OK").
  void CountRequest(std::string_view endpoint, std::string_view code);

  // TokenTimingObserver.
  void OnFirstToken(absl::Duration since_arrival) override;
  void OnNextToken(absl::Duration since_previous) override;

  // Refreshes the engine-fed series (what the collect hook does).
  void Collect();
  // Current figures (after a Collect).
  ServeStatusCounts StatusCounts();

 private:
  obs::MetricsRegistry* const registry_;
  InferenceCore* const core_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter& tokens_generated_;
  prometheus::Counter& prompt_tokens_;
  prometheus::Histogram& first_token_;
  prometheus::Histogram& inter_token_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& running_;
  prometheus::Gauge& executors_;
  prometheus::Counter& weight_bytes_;
  int hook_ = 0;

  Mutex mu_;  // the engine totals already added (counters take deltas)
  int64_t seen_generated_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t seen_prompt_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t seen_weight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_counted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_SERVE_METRICS_H_
