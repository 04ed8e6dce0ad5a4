// Continuous batching: one engine serves many completion requests over one
// shared model. Requests join and leave a running batch at token
// boundaries; each step runs every active sequence's next tokens (a chunk of
// its prompt while it prefills, else its last sampled token) through one
// forward pass (LlamaForward::RunLayersBatch), so the packed weights are
// decoded once per step for the whole batch.
//
// Results do not depend on batching: every matrix product is a MatMul whose
// rows are fixed-order dot products and attention is per sequence, so a
// request's logits, tokens and log-probabilities are bit-identical whether
// it ran alone or beside others, with any prefill chunk and thread count.
// Greedy requests give the tokens of Generate (generate.h); sampled
// requests with a seed give the tokens of a Sampler with that seed.
//
// Capacity: at most max_batch sequences run; while the batch is full, up to
// max_queue more requests wait (first come, first served). Beyond that,
// Submit fails at once with RESOURCE_EXHAUSTED. Each running sequence owns
// a KV cache of `context` positions in every executor of the layer pipeline
// (layer_pipeline.h); the in-process default allocates max_batch of them
// when the engine starts, so load cannot grow memory past
// KvCache::BytesFor(config, n_layers, context) * max_batch.
//
// Executors: the layers run through a LayerPipeline, by default one
// in-process CpuExecutor. When the pipeline asks for a re-plan (executors
// attached or left), the engine admits nothing new, lets the running
// sequences finish, re-plans, then admits the waiting requests. A step the
// pipeline fails (an executor died: UNAVAILABLE) fails every sequence of
// that step with that status.
//
// Fairness: a waiting request enters the batch in arrival order as soon as a
// slot frees. A prefilling sequence feeds at most prefill_chunk prompt
// tokens per step, so a long prompt does not stall the running streams.
//
// Thread-safety: all public methods are thread-safe. One internal thread
// runs the steps; it never blocks on a consumer (events are queued per
// request, at most max_tokens + 1 of them).

#ifndef SEEDLM_CORE_RUNTIME_BATCH_ENGINE_H_
#define SEEDLM_CORE_RUNTIME_BATCH_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/runtime/layer_pipeline.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/sampler.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/thread_pool.h"

namespace seedlm {
namespace batch_internal {
class EngineImpl;
}  // namespace batch_internal

// Bounds on request fields, checked by Submit (INVALID_ARGUMENT beyond).
inline constexpr int kMaxTopLogprobs = 20;
inline constexpr int kMaxStopStrings = 16;
inline constexpr size_t kMaxStopStringBytes = 256;

struct EngineOptions {
  int max_batch = 8;       // sequences running at once (>= 1)
  int max_queue = 16;      // requests waiting while the batch is full (>= 0)
  int context = 0;         // KV positions per sequence; <= 0: max_seq_len
  int prefill_chunk = 64;  // prompt tokens per sequence per step (>= 1)
  int threads = 1;         // forward-pass threads (>= 1)
};

struct CompletionRequest {
  // The prompt, already tokenized (BOS included if wanted); non-empty, every
  // id inside the model's vocabulary.
  std::vector<int32_t> prompt_ids;
  // Tokens to generate at most (>= 0). prompt + max_tokens must fit the
  // context (INVALID_ARGUMENT otherwise, with both numbers in the message).
  int max_tokens = 16;
  SamplerOptions sampler;  // ValidateSamplerOptions must accept it
  // Generation stops when the generated text contains one of these; the
  // text returned ends before it (finish reason "stop"). At most
  // kMaxStopStrings, each 1..kMaxStopStringBytes bytes.
  std::vector<std::string> stop;
  // Generation stops (finish reason "stop") after one of these tokens, whose
  // text is not emitted; the tokenizer's EOS is added when stop_at_eos.
  std::vector<int32_t> stop_ids;
  bool stop_at_eos = true;
  // Alternatives per generated token (0..kMaxTopLogprobs), most likely first.
  int top_logprobs = 0;
  // Also report the log-probability of each prompt token after the first
  // (and its top_logprobs alternatives): for echo, and for scoring.
  bool prompt_logprobs = false;
  // Past it the request finishes with DEADLINE_EXCEEDED at the next step.
  absl::Time deadline = absl::InfiniteFuture();
};

// One token's alternative: id and natural-log probability.
struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0;
};

// One generated (or, with prompt_logprobs, prompt) token. A token that
// stops the generation (EOS, a stop id) is counted in the summary but is
// not an event. A last event with id -1 may carry text that was still
// pending when the generation ended (an incomplete UTF-8 sequence, as the
// tokenizer's DecodeStream::Finish renders it): it is text, not a token.
struct TokenEvent {
  bool is_prompt = false;  // a prompt token (prompt_logprobs), sent first
  int32_t id = 0;
  // The text this token completes, final (UTF-8 held back until complete;
  // with stop strings, text that might start one is held back until it
  // cannot, and the text of the token that completes a stop string is cut
  // before it). Concatenating the generated events' text gives the result.
  std::string text;
  // log p(token | everything before it) under the model's distribution
  // (softmax of the logits, temperature 1), natural log. 0 for the first
  // prompt token, which has no context.
  float logprob = 0;
  std::vector<TokenLogprob> top;  // top_logprobs alternatives
};

struct CompletionSummary {
  // OK, CANCELLED (Cancel), DEADLINE_EXCEEDED, UNAVAILABLE (shut down
  // before it finished) or an internal error of the forward pass.
  absl::Status status;
  // "stop" (EOS, a stop id or a stop string), "length" (max_tokens), or
  // "context" (the context filled up first); empty unless status is OK.
  std::string finish_reason;
  int prompt_tokens = 0;
  int completion_tokens = 0;  // generated tokens, a stopping token included
  double queue_seconds = 0;   // from Submit to entering the batch
  double first_token_seconds = 0;  // from Submit to the first generated one
  double total_seconds = 0;        // from Submit to the end
};

// A submitted request: its consumer reads events and the summary.
// Thread-safety: Read/Cancel/summary may be called from any thread; Read
// from one consumer at a time.
class CompletionStream {
 public:
  virtual ~CompletionStream() = default;
  // Waits until an event is pending, the request has finished, or
  // `deadline`; appends the pending events to *events. Returns false once
  // the request has finished and every event has been read (summary() is
  // then final), true otherwise (also on the deadline).
  virtual bool Read(std::vector<TokenEvent>* events, absl::Time deadline) = 0;
  // Asks the engine to drop the request: its slot frees at the next step
  // boundary and its status becomes CANCELLED (unless it finished first).
  // Destroying the stream before it finished also cancels it.
  virtual void Cancel() = 0;
  // REQUIRES: Read returned false.
  virtual const CompletionSummary& summary() const = 0;
};

struct EngineStats {
  int running = 0;  // sequences in the batch
  int waiting = 0;  // requests queued behind it
  int64_t requests_finished = 0;
  int64_t tokens_generated = 0;
  int64_t prompt_tokens = 0;
  int64_t steps = 0;
  int last_step_rows = 0;  // tokens the latest step fed
};

class BatchEngine {
 public:
  // Starts the engine over `model` (complete: every layer, embedding and
  // head) and `tokenizer` (for the text of events; its vocabulary must fit
  // the model's; null: events carry no text, EOS is not known, and stop
  // strings are refused: for benchmarks). The layers run through
  // `pipeline` (layer_pipeline.h; built for this model with max_batch
  // sequences of `context` positions), or, when it is null, in-process on a
  // CpuExecutor whose KV caches are allocated now. Model, tokenizer and
  // pipeline are not owned and must outlive the engine.
  // INVALID_ARGUMENT for bad options or a context above max_seq_len;
  // FAILED_PRECONDITION for a partial model; RESOURCE_EXHAUSTED when the
  // KV caches cannot be allocated.
  static absl::StatusOr<std::unique_ptr<BatchEngine>> Create(
      const LlamaModel* model, const Tokenizer* tokenizer,
      const EngineOptions& options, LayerPipeline* pipeline = nullptr);

  // Stops at once: requests still running or waiting finish with
  // UNAVAILABLE. Streams may outlive the engine.
  ~BatchEngine();

  // Queues a request. INVALID_ARGUMENT for a bad request (see
  // CompletionRequest); RESOURCE_EXHAUSTED when max_batch requests run and
  // max_queue wait; UNAVAILABLE after Drain began.
  absl::StatusOr<std::unique_ptr<CompletionStream>> Submit(
      CompletionRequest request);

  // Refuses new requests, lets those running or waiting finish until
  // `deadline`, then cancels the rest (UNAVAILABLE). Returns when none is
  // left. Idempotent.
  void Drain(absl::Time deadline);

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }
  int context() const { return options_.context; }  // resolved (> 0)

 private:
  BatchEngine(std::unique_ptr<batch_internal::EngineImpl> impl,
              EngineOptions options);
  std::unique_ptr<batch_internal::EngineImpl> impl_;
  EngineOptions options_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_BATCH_ENGINE_H_
