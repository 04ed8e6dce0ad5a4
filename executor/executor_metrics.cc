#include "executor/executor_metrics.h"

namespace seedlm::executor {

ExecutorMetrics::ExecutorMetrics(obs::MetricsRegistry* registry)
    : steps_(prometheus::BuildCounter()
                 .Name("seedlm_executor_steps_total")
                 .Help("Steps computed and answered.")
                 .Register(registry->registry())
                 .Add({})),
      step_seconds_(prometheus::BuildHistogram()
                        .Name("seedlm_executor_step_seconds")
                        .Help("Time to compute and answer one step.")
                        .Register(registry->registry())
                        .Add({}, obs::LatencyBucketsSeconds())),
      weight_bytes_(prometheus::BuildGauge()
                        .Name("seedlm_executor_weight_bytes_held")
                        .Help("Weight bytes of the layers loaded.")
                        .Register(registry->registry())
                        .Add({})),
      layers_(prometheus::BuildGauge()
                  .Name("seedlm_executor_layers_held")
                  .Help("Layers loaded.")
                  .Register(registry->registry())
                  .Add({})),
      fpga_cycles_(prometheus::BuildCounter()
                       .Name("seedlm_executor_fpga_cycles_total")
                       .Help("Simulated FPGA engine cycles (--kind "
                             "fpga-sim; 0 for other kinds).")
                       .Register(registry->registry())
                       .Add({})),
      fpga_cycles_per_token_(
          prometheus::BuildGauge()
              .Name("seedlm_executor_fpga_cycles_per_token")
              .Help("Simulated FPGA engine cycles per token of the last "
                    "step (--kind fpga-sim; 0 for other kinds).")
              .Register(registry->registry())
              .Add({})) {}

void ExecutorMetrics::ObserveStep(double seconds) {
  steps_.Increment();
  step_seconds_.Observe(seconds);
}

void ExecutorMetrics::AddFpgaCycles(uint64_t cycles) {
  if (cycles > 0) fpga_cycles_.Increment(static_cast<double>(cycles));
}

void ExecutorMetrics::SetFpgaCyclesPerToken(double cycles_per_token) {
  fpga_cycles_per_token_.Set(cycles_per_token);
}

void ExecutorMetrics::SetHeld(uint64_t weight_bytes, int layers) {
  weight_bytes_.Set(static_cast<double>(weight_bytes));
  layers_.Set(layers);
}

}  // namespace seedlm::executor
