// The inference server's RPC-free core: one loaded model, its tokenizer, its
// chat template and the continuous-batching engine (core/runtime/
// batch_engine.h). The gRPC service (InferenceService) and the
// OpenAI-compatible HTTP API are thin adapters over it: they translate
// their requests into these calls and the results back, and share every
// rule (tokenization, bounds, stop ids, scoring) from here.
//
// Thread-safety: all methods are thread-safe (the engine is; everything else
// is immutable after Create).

#ifndef SEEDLM_SERVER_INFERENCE_INFERENCE_CORE_H_
#define SEEDLM_SERVER_INFERENCE_INFERENCE_CORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/runtime/batch_engine.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/weight_stream.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/tokenizer.h"
#include "server/executor/executor_pool.h"

namespace seedlm::serve {

// Bounds on request fields the adapters enforce before anything else
// (INVALID_ARGUMENT beyond; the HTTP layer also caps the body size).
inline constexpr size_t kMaxPromptBytes = size_t{1} << 20;  // per prompt
inline constexpr size_t kMaxPromptIds = size_t{1} << 16;    // token ids given
inline constexpr int kMaxPromptsPerRequest = 16;            // HTTP prompt list
inline constexpr int kMaxChatMessages = 256;
inline constexpr size_t kMaxRequestBytes = size_t{4} << 20;  // HTTP body

struct ServeOptions {
  EngineOptions engine;
  // Served model name (OpenAI "model"); empty: the model file's base name
  // without extension.
  std::string model_id;
  // A Jinja chat template that replaces the model's own ("" keeps it).
  std::string chat_template_override;
};

struct ModelInfo {
  std::string model_id;
  std::string architecture;    // "llama"
  std::string file_kind;       // "seedlm" or "checkpoint"
  std::string source_format;   // ModelMetadata::source_format
  std::string preset;          // the compression preset, "" if none
  double bits_per_weight = 0;  // linear weights' storage bits per weight
  int context = 0;             // positions per sequence (the engine's)
  int vocab_size = 0;
  int n_layers = 0;
  int dim = 0;
  bool has_chat_template = false;
  int max_batch = 0;
  int max_queue = 0;
};

// Told when a completion's tokens reach its consumer (the adapter reading
// the stream): the first generated token, timed from the Complete call
// (the request's arrival, less tokenization), and each later one, timed
// from the token before (0 for tokens read in the same Read). Prompt
// events and the id -1 text-only event are not tokens here. Called from
// the consumers' threads concurrently; must not block.
class TokenTimingObserver {
 public:
  virtual ~TokenTimingObserver() = default;
  virtual void OnFirstToken(absl::Duration since_arrival) = 0;
  virtual void OnNextToken(absl::Duration since_previous) = 0;
};

struct ScoreResult {
  int tokens = 0;             // scored tokens (all but the BOS)
  double log_likelihood = 0;  // sum of log p over the scored tokens (nats)
  double nll = 0;             // -log_likelihood / tokens
  double perplexity = 0;      // exp(nll)
};

class InferenceCore {
 public:
  // Loads `model_path` (anything `seedlm generate` takes) with its
  // tokenizer (`tokenizer_path` replaces it when non-empty) and starts the
  // engine. Errors: those of LlamaModel::Load and BatchEngine::Create;
  // FAILED_PRECONDITION for a model without a tokenizer; INVALID_ARGUMENT
  // for a chat template override that does not parse (UNIMPLEMENTED for
  // one outside the supported subset).
  static absl::StatusOr<std::unique_ptr<InferenceCore>> Load(
      const std::string& model_path, const std::string& tokenizer_path,
      const ServeOptions& options);

  const ModelInfo& info() const { return info_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const LlamaModel& model() const { return *model_; }

  // The ids of `text` (with a leading BOS when add_bos). INVALID_ARGUMENT
  // for text over kMaxPromptBytes or not valid UTF-8.
  absl::StatusOr<std::vector<int32_t>> Tokenize(absl::string_view text,
                                                bool add_bos) const;
  // The text of `ids`. INVALID_ARGUMENT for an id outside the vocabulary or
  // more than kMaxPromptIds ids.
  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> ids) const;
  // The text of each of `ids` as a stream decodes it (pieces concatenate to
  // the whole text; a piece may be empty while UTF-8 is incomplete).
  absl::StatusOr<std::vector<std::string>> TokenPieces(
      absl::Span<const int32_t> ids) const;

  // The prompt text of a chat. FAILED_PRECONDITION when the model carries
  // no chat template (the message says so); INVALID_ARGUMENT for no message,
  // more than kMaxChatMessages, or an error the template raises.
  absl::StatusOr<std::string> RenderChat(
      absl::Span<const ChatMessage> messages) const;

  // Submits a completion. Adds the model's stop_token_ids to
  // request.stop_ids. Errors: BatchEngine::Submit's. With a timing observer
  // set, the stream reports its tokens' timing to it as they are read.
  absl::StatusOr<std::unique_ptr<CompletionStream>> Complete(
      CompletionRequest request);

  // The `seedlm perplexity` recipe (core/runtime/perplexity.h) for one
  // document that fits the context: `text` tokenized with BOS, every token
  // after it scored. Runs through the engine (it takes a batch slot).
  // INVALID_ARGUMENT for text that tokenizes to fewer than 2 tokens or more
  // than the context; the engine's errors otherwise.
  absl::StatusOr<ScoreResult> Score(absl::string_view text,
                                    absl::Time deadline);

  // See BatchEngine::Drain.
  void Drain(absl::Time deadline) { engine_->Drain(deadline); }

  // The pool the layers run through; ExecutorService attaches executors to
  // it. Lives as long as the core.
  ExecutorPool* executor_pool() const { return pool_.get(); }
  // The attached executors and their layers (ModelInfo, /v1/executors).
  std::vector<ExecutorPlacementInfo> Executors() const {
    return pool_->Placements();
  }
  EngineStats stats() const { return engine_->stats(); }

  // Sets the observer of completions' token timing (not owned; null: none;
  // must outlive every stream). Call before serving: not synchronised with
  // Complete.
  void set_timing_observer(TokenTimingObserver* observer) {
    timing_ = observer;
  }

 private:
  InferenceCore() = default;
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<WeightSource> weights_;  // the model file, for executors
  std::unique_ptr<ExecutorPool> pool_;     // outlives engine_
  std::unique_ptr<Tokenizer> tokenizer_;
  std::optional<ChatTemplate> chat_;
  ChatTemplateTokens chat_tokens_;
  std::unique_ptr<BatchEngine> engine_;
  ModelInfo info_;
  TokenTimingObserver* timing_ = nullptr;
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_INFERENCE_CORE_H_
