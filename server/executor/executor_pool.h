// The server's layer pipeline (core/runtime/layer_pipeline.h) over the
// executors attached to it: it plans which layers each runs (PlanLayers:
// balanced by announced threads, bounded by announced memory), streams
// them their weights, and runs each step through the chain. With no
// executor attached, or none usable, every layer runs in-process on a
// CpuExecutor over the server's own model (the embedded default).
//
// Membership: Attach and Detach may come at any time (from the
// ExecutorService's threads); they only mark a re-plan as pending. The
// engine applies it between requests (Replan, with no sequence open):
// requests in flight finish on the old plan. An executor that fails during
// a step (UNAVAILABLE) is dropped at once: that step fails, and the next
// Replan leaves it out. A failure while loading drops it too and re-plans
// with the rest (falling back to in-process).
//
// Thread-safety: LayerPipeline's methods from the engine thread (see
// there); Attach, Detach, Placements, ReplanPending and Shutdown from any
// thread.

#ifndef SEEDLM_SERVER_EXECUTOR_EXECUTOR_POOL_H_
#define SEEDLM_SERVER_EXECUTOR_EXECUTOR_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/cpu_executor.h"
#include "core/runtime/layer_pipeline.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/weight_stream.h"
#include "core/util/mutex.h"
#include "server/executor/attached_executor.h"

namespace seedlm::serve {

struct ExecutorPoolOptions {
  ExecutorBuild build;    // n_layers is taken from the model
  int local_threads = 1;  // the in-process executor's threads
};

// One attached executor in the current plan (ModelInfo, GET /v1/executors).
struct ExecutorPlacementInfo {
  std::string id;
  std::string kind;
  std::string name;
  LayerRange layers;          // empty: stands by
  uint64_t weight_bytes = 0;  // what it holds for them
};

class ExecutorPool final : public LayerPipeline {
 public:
  // `model` (complete; the in-process fallback) and `weights` (the same
  // file, read for streaming) are not owned and must outlive the pool.
  // Errors: CpuExecutor::Create's.
  static absl::StatusOr<std::unique_ptr<ExecutorPool>> Create(
      const LlamaModel* model, const WeightSource* weights,
      const ExecutorPoolOptions& options);
  ~ExecutorPool() override;

  // Membership (any thread): a re-plan becomes pending.
  void Attach(std::shared_ptr<AttachedExecutor> executor);
  void Detach(const std::string& id);

  // The attached executors with the layers of the current plan, in chain
  // order (those standing by last).
  std::vector<ExecutorPlacementInfo> Placements() const;
  // Plans applied so far (1 after Create).
  int64_t plans() const;
  // Executors attached and alive (planned, standing by, or waiting for the
  // next re-plan).
  int attached_count() const;
  // Weight bytes streamed to executors so far (every successful load of a
  // non-empty range adds what the executor then holds).
  uint64_t weight_bytes_streamed() const { return weight_bytes_streamed_; }

  // Ends every attachment (Fail); later Replans run in-process only.
  void Shutdown();

  // LayerPipeline.
  absl::Status Open(int64_t seq) override;
  void Close(int64_t seq) override;
  absl::Status Run(absl::Span<const ExecutorRows> rows,
                   absl::Span<float> hidden) override;
  bool ReplanPending() const override;
  absl::Status Replan() override;

 private:
  ExecutorPool(const LlamaModel* model, const WeightSource* weights,
               const ExecutorPoolOptions& options,
               std::unique_ptr<CpuExecutor> local);

  // Replan's parts. PlanFor: PlanLayers over the candidates' announcements
  // (per layer: its weights and its KV caches; fixed: the step buffers).
  absl::StatusOr<std::vector<LayerRange>> PlanFor(
      absl::Span<const uint64_t> layer_bytes,
      const std::vector<std::shared_ptr<AttachedExecutor>>& candidates) const;
  // Loads plan[i] on candidates[i]; the first that fails is failed, removed
  // from `candidates` and its error returned.
  absl::Status LoadPlan(
      const std::vector<LayerRange>& plan,
      std::vector<std::shared_ptr<AttachedExecutor>>& candidates);
  // Makes the loaded plan the chain (CheckChain'ed; on an error the chain
  // stays in-process) and records its placements.
  absl::Status InstallPlan(
      const std::vector<LayerRange>& plan,
      const std::vector<std::shared_ptr<AttachedExecutor>>& candidates);

  const LlamaModel* model_;
  const WeightSource* weights_;
  const ExecutorPoolOptions options_;
  std::unique_ptr<CpuExecutor> local_;  // every layer, in-process

  mutable Mutex mu_;
  std::vector<std::shared_ptr<AttachedExecutor>> attached_
      ABSL_GUARDED_BY(mu_);  // in attach order
  std::vector<ExecutorPlacementInfo> placements_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  int64_t plans_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> replan_{false};
  std::atomic<uint64_t> weight_bytes_streamed_{0};

  // Engine-thread state: the chain of the current plan.
  std::vector<std::shared_ptr<AttachedExecutor>> chain_owned_;
  std::vector<Executor*> chain_;
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_EXECUTOR_EXECUTOR_POOL_H_
