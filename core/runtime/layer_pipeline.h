// What the batching engine (batch_engine.h) runs a step's layers through:
// a chain of executors (executor.h) that together hold layers
// [0, n_layers), in order. The engine embeds the step's tokens, hands the
// hidden states to Run, and computes the logits from the result.
//
// The chain may change while the server runs (executors attach and leave,
// server/executor/executor_pool.h): a pipeline then reports
// ReplanPending(); the engine stops admitting requests, lets the running
// ones finish (or fail, when an executor failed under them), and calls
// Replan() once no sequence is open. Requests that arrive meanwhile wait.
//
// Thread-safety: Open, Close, Run and Replan are called by the engine's
// thread only; ReplanPending from any thread.

#ifndef SEEDLM_CORE_RUNTIME_LAYER_PIPELINE_H_
#define SEEDLM_CORE_RUNTIME_LAYER_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/runtime/cpu_executor.h"
#include "core/runtime/executor.h"

namespace seedlm {

class LayerPipeline {
 public:
  virtual ~LayerPipeline() = default;
  // Open / Close on every executor of the chain (Executor's contract).
  virtual absl::Status Open(int64_t seq) = 0;
  virtual void Close(int64_t seq) = 0;
  // Every layer, in order, in place (Executor::Step's contract; an
  // executor that fails makes the whole step fail with its status).
  virtual absl::Status Run(absl::Span<const ExecutorRows> rows,
                           absl::Span<float> hidden) = 0;
  // True when the pipeline wants to change its chain.
  virtual bool ReplanPending() const = 0;
  // Changes the chain. REQUIRES: no sequence is open. Returns once the new
  // chain can run (a pipeline that cannot use what it planned falls back to
  // one that works, e.g. in-process); an error is for the log only.
  virtual absl::Status Replan() = 0;
};

// Runs `chain` (executors covering [0, n) contiguously, in order) over
// `hidden`: the first error stops it and is returned.
absl::Status RunChain(absl::Span<Executor* const> chain,
                      absl::Span<const ExecutorRows> rows,
                      absl::Span<float> hidden);

// OK iff `chain` covers layers [0, n_layers) contiguously in order (empty
// executors are not allowed); INVALID_ARGUMENT saying where it does not.
absl::Status CheckChain(absl::Span<Executor* const> chain, int n_layers);

// A fixed chain of one in-process CpuExecutor over a complete model: the
// engine's default. Never replans.
class LocalPipeline final : public LayerPipeline {
 public:
  explicit LocalPipeline(std::unique_ptr<CpuExecutor> executor)
      : executor_(std::move(executor)) {}
  absl::Status Open(int64_t seq) override { return executor_->Open(seq); }
  void Close(int64_t seq) override { executor_->Close(seq); }
  absl::Status Run(absl::Span<const ExecutorRows> rows,
                   absl::Span<float> hidden) override {
    return executor_->Step(rows, hidden);
  }
  bool ReplanPending() const override { return false; }
  absl::Status Replan() override { return absl::OkStatus(); }
  const CpuExecutor& executor() const { return *executor_; }

 private:
  std::unique_ptr<CpuExecutor> executor_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LAYER_PIPELINE_H_
