// The seedlm-executor process's Prometheus metrics (docs/OBSERVABILITY.md,
// "Inference server and executors"), registered into its
// obs::MetricsRegistry by the ExecutorAgent (ExecutorAgentOptions::metrics):
//   seedlm_executor_steps_total          steps answered with a StepResult,
//   seedlm_executor_step_seconds         each such step, from its message
//                                        taken off the queue to its answer,
//   seedlm_executor_weight_bytes_held    weights of the loaded layers,
//   seedlm_executor_layers_held          layers loaded (0 while detached,
//                                        standing by or loading),
//   seedlm_executor_fpga_cycles_total    simulated FPGA engine cycles
//                                        (--kind fpga-sim),
//   seedlm_executor_fpga_cycles_per_token  the last step's simulated cycles
//                                        per token (fpga-sim).
// Every series exists, zero-valued, from construction, for every kind (the
// fpga ones stay 0 for cpu).
//
// Thread-safety: all methods are thread-safe. The registry must outlive
// this object.
#ifndef SEEDLM_EXECUTOR_EXECUTOR_METRICS_H_
#define SEEDLM_EXECUTOR_EXECUTOR_METRICS_H_

#include <cstdint>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "server/common/metrics.h"

namespace seedlm::executor {

class ExecutorMetrics {
 public:
  explicit ExecutorMetrics(obs::MetricsRegistry* registry);
  ExecutorMetrics(const ExecutorMetrics&) = delete;
  ExecutorMetrics& operator=(const ExecutorMetrics&) = delete;

  // One step answered, after `seconds` of work.
  void ObserveStep(double seconds);
  // What the executor holds now.
  void SetHeld(uint64_t weight_bytes, int layers);
  // Simulated engine cycles spent (fpga-sim).
  void AddFpgaCycles(uint64_t cycles);
  // The last step's cycles per token (fpga-sim).
  void SetFpgaCyclesPerToken(double cycles_per_token);

 private:
  prometheus::Counter& steps_;
  prometheus::Histogram& step_seconds_;
  prometheus::Gauge& weight_bytes_;
  prometheus::Gauge& layers_;
  prometheus::Counter& fpga_cycles_;
  prometheus::Gauge& fpga_cycles_per_token_;
};

}  // namespace seedlm::executor

#endif  // SEEDLM_EXECUTOR_EXECUTOR_METRICS_H_
