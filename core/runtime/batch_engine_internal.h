// Internals of the batching engine (batch_engine.h): the state a request
// shares between the engine thread and its consumer, the engine's per
// sequence state, and the Impl that runs the steps. Not part of the API.
#ifndef SEEDLM_CORE_RUNTIME_BATCH_ENGINE_INTERNAL_H_
#define SEEDLM_CORE_RUNTIME_BATCH_ENGINE_INTERNAL_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime/batch_engine.h"
#include "core/runtime/kv_cache.h"
#include "core/runtime/layer_pipeline.h"
#include "core/runtime/llama_forward.h"
#include "core/runtime/stop_text.h"
#include "core/util/mutex.h"

namespace seedlm::batch_internal {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// `deadline` on the steady clock (at most a year ahead).
inline Clock::time_point SteadyDeadline(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return Clock::now();
  if (left > absl::Hours(24 * 365)) {
    return Clock::now() + std::chrono::hours(24 * 365);
  }
  return Clock::now() + absl::ToChronoNanoseconds(left);
}

// What the engine thread and the consumer share: queued events, the
// summary, and the cancel flag.
class SharedState {
 public:
  void Push(std::vector<TokenEvent>* events) ABSL_LOCKS_EXCLUDED(mu_);
  void Finish(CompletionSummary summary) ABSL_LOCKS_EXCLUDED(mu_);
  bool Read(std::vector<TokenEvent>* events, absl::Time deadline)
      ABSL_LOCKS_EXCLUDED(mu_);
  const CompletionSummary& summary() const { return summary_; }

  std::atomic<bool> cancelled{false};

 private:
  Mutex mu_;
  std::vector<TokenEvent> pending_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Written once, under mu_, before finished_ is set; read after Read saw
  // finished_ (so no lock is needed to read it then).
  CompletionSummary summary_;
};

// One request inside the engine.
struct Sequence {
  std::shared_ptr<SharedState> shared;
  CompletionRequest req;
  Clock::time_point submitted;
  int slot = -1;       // batch slot while running
  int64_t seq_id = 0;  // the pipeline's sequence id (from 1) once opened
  bool opened = false;
  int fed = 0;        // prompt tokens fed so far
  int generated = 0;  // tokens sampled (a stopping one included)
  int32_t last = -1;  // the latest sampled token, fed next step
  bool first_token_seen = false;
  double queue_seconds = 0;
  double first_token_seconds = 0;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<DecodeStream> text;         // generated tokens' text
  std::unique_ptr<DecodeStream> prompt_text;  // with prompt_logprobs
  std::optional<StopText> stop;
  std::vector<int32_t> stop_ids;  // the request's, plus EOS if asked

  int prompt_len() const { return static_cast<int>(req.prompt_ids.size()); }
  bool prefilling() const { return fed < prompt_len(); }
};

class EngineImpl {
 public:
  // `pipeline` (not owned) runs the layers; `owned` is kept alive with it
  // (the default LocalPipeline) or null.
  EngineImpl(const LlamaModel* model, const Tokenizer* tokenizer,
             const EngineOptions& options, LayerPipeline* pipeline,
             std::unique_ptr<LayerPipeline> owned);
  ~EngineImpl();

  absl::StatusOr<std::unique_ptr<CompletionStream>> Submit(
      CompletionRequest request) ABSL_LOCKS_EXCLUDED(mu_);
  void Drain(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  EngineStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Status Validate(const CompletionRequest& r) const;
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  enum class Next { kStop, kStep, kReplan };
  // Admits waiting requests into free slots (none while a re-plan is
  // pending) and drops the cancelled and expired ones. kReplan when the
  // pipeline waits for a re-plan and no sequence runs.
  Next Schedule() ABSL_LOCKS_EXCLUDED(mu_);
  // One forward pass over the running sequences, and what follows from it.
  void Step();
  // The outcome of one sequence's rows of the step; `logits` holds the
  // rows Step selected for it (see Step).
  void Advance(Sequence* s, int chunk, const float* logits);
  void EmitPromptLogprobs(Sequence* s, int first_pos, int count,
                          const float* logits);
  // Handles a sampled token; true when the sequence is done.
  bool Accept(Sequence* s, int32_t token, const float* logits);
  void Complete(Sequence* s, absl::Status status, std::string reason);
  void FinishAll(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_);

  const LlamaModel* model_;
  const Tokenizer* tokenizer_;
  const EngineOptions options_;
  ThreadPool pool_;
  LlamaForward forward_;  // engine thread only: Embed and Head
  std::unique_ptr<LayerPipeline> owned_pipeline_;
  LayerPipeline* pipeline_;  // engine thread only (ReplanPending: any)
  int64_t next_seq_id_ = 1;

  // Engine-thread state.
  std::vector<std::unique_ptr<Sequence>> running_;
  std::vector<float> hidden_, selected_, logits_;

  mutable Mutex mu_;
  std::deque<std::unique_ptr<Sequence>> waiting_ ABSL_GUARDED_BY(mu_);
  std::vector<int> free_slots_ ABSL_GUARDED_BY(mu_);
  int running_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool idle_ ABSL_GUARDED_BY(mu_) = true;
  EngineStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace seedlm::batch_internal

#endif  // SEEDLM_CORE_RUNTIME_BATCH_ENGINE_INTERNAL_H_
