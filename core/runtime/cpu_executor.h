// The in-process CPU executor (executor.h): a LlamaModel part (its layers)
// run by LlamaForward::RunLayersBatch, with a pool of KV caches allocated up
// front. It is what seedlm-serve runs when no executor is attached, and what
// the seedlm-executor process runs over the weights streamed to it.
//
// Thread-safety: Open, Close and Step from one thread at a time; the
// accessors from any thread.

#ifndef SEEDLM_CORE_RUNTIME_CPU_EXECUTOR_H_
#define SEEDLM_CORE_RUNTIME_CPU_EXECUTOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/executor.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/llama_forward.h"
#include "core/runtime/llama_model.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct CpuExecutorOptions {
  int context = 0;        // KV positions per sequence (>= 1)
  int max_sequences = 1;  // sequences open at once (>= 1)
  // Tokens per sequence per step that the buffers are sized for in
  // memory_bytes() (the engine's prefill chunk); larger steps still run.
  int max_step_tokens = 64;
  int threads = 1;  // forward-pass threads when `pool` is null (>= 1)
  // A pool to run on (not owned; must outlive the executor), or null: the
  // executor owns one of `threads` threads.
  ThreadPool* pool = nullptr;
};

class CpuExecutor final : public Executor {
 public:
  // An executor over layers [layer_begin, layer_end) of `model` (not owned;
  // must outlive the executor), which must hold those layers. Allocates
  // every KV cache now. INVALID_ARGUMENT for bad options or a range the
  // model does not hold (or an empty one); RESOURCE_EXHAUSTED when the
  // caches cannot be allocated.
  static absl::StatusOr<std::unique_ptr<CpuExecutor>> Create(
      const LlamaModel* model, int layer_begin, int layer_end,
      const CpuExecutorOptions& options);
  // As above over every layer `model` holds, owning it.
  static absl::StatusOr<std::unique_ptr<CpuExecutor>> Create(
      std::unique_ptr<LlamaModel> model, const CpuExecutorOptions& options);

  // What an executor of `layers` layers with these options holds besides
  // its weights: the KV caches at full context and the step buffers.
  static uint64_t OverheadBytes(const LlamaConfig& config, int layers,
                                const CpuExecutorOptions& options);

  int layer_begin() const override { return layer_begin_; }
  int layer_end() const override { return layer_end_; }
  std::string description() const override;
  absl::Status Open(int64_t seq) override;
  void Close(int64_t seq) override;
  absl::Status Step(absl::Span<const ExecutorRows> rows,
                    absl::Span<float> hidden) override;
  uint64_t weight_bytes() const override { return weight_bytes_; }
  uint64_t memory_bytes() const override { return memory_bytes_; }

  int open_sequences() const { return static_cast<int>(open_.size()); }
  const LlamaModel& model() const { return *model_; }

 private:
  CpuExecutor(const LlamaModel* model, std::unique_ptr<LlamaModel> owned,
              int layer_begin, int layer_end,
              const CpuExecutorOptions& options);
  absl::Status AllocateCaches();

  std::unique_ptr<LlamaModel> owned_;  // null when borrowed
  const LlamaModel* model_;
  int layer_begin_, layer_end_;
  CpuExecutorOptions options_;
  std::unique_ptr<ThreadPool> own_pool_;  // when options_.pool is null
  std::unique_ptr<LlamaForward> forward_;
  std::vector<KvCache> caches_;
  std::vector<int> free_;           // cache indices not in use
  std::map<int64_t, int> open_;     // sequence id -> cache index
  std::vector<SequenceRows> seqs_;  // Step's scratch
  uint64_t weight_bytes_ = 0;
  uint64_t memory_bytes_ = 0;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_CPU_EXECUTOR_H_
