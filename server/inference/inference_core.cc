#include "server/inference/inference_core.h"

#include <cmath>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/model_loader.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm::serve {
namespace {

ModelInfo Describe(const LlamaModel& m, const std::string& path,
                   const std::string& preset, const ServeOptions& o,
                   int context) {
  ModelInfo info;
  info.model_id = o.model_id;
  if (info.model_id.empty()) {
    info.model_id = std::filesystem::path(path).stem().string();
  }
  const LlamaConfig& c = m.config();
  info.architecture = "llama";
  info.file_kind = m.file_kind();
  info.source_format = m.metadata().source_format;
  info.preset = preset;
  const WeightStats& s = m.stats();
  info.bits_per_weight = s.linear_weights > 0
                             ? 8.0 * static_cast<double>(s.linear_bytes) /
                                   static_cast<double>(s.linear_weights)
                             : 0;
  info.context = context;
  info.vocab_size = c.vocab_size;
  info.n_layers = c.n_layers;
  info.dim = c.dim;
  info.max_batch = o.engine.max_batch;
  info.max_queue = o.engine.max_queue;
  return info;
}

// A stream that reports its generated tokens' timing as they are read.
class TimedStream final : public CompletionStream {
 public:
  TimedStream(std::unique_ptr<CompletionStream> inner,
              TokenTimingObserver* observer)
      : inner_(std::move(inner)), observer_(observer), last_(absl::Now()) {}

  bool Read(std::vector<TokenEvent>* events, absl::Time deadline) override {
    const size_t before = events->size();
    const bool more = inner_->Read(events, deadline);
    const absl::Time now = absl::Now();
    for (size_t i = before; i < events->size(); ++i) {
      const TokenEvent& e = (*events)[i];
      if (e.is_prompt || e.id < 0) continue;
      if (seen_first_) {
        observer_->OnNextToken(now - last_);
      } else {
        observer_->OnFirstToken(now - last_);
        seen_first_ = true;
      }
      last_ = now;
    }
    return more;
  }
  void set_arrival(absl::Time t) { last_ = t; }
  void Cancel() override { inner_->Cancel(); }
  const CompletionSummary& summary() const override {
    return inner_->summary();
  }

 private:
  std::unique_ptr<CompletionStream> inner_;
  TokenTimingObserver* const observer_;
  absl::Time last_;  // arrival, then the latest token's
  bool seen_first_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceCore>> InferenceCore::Load(
    const std::string& model_path, const std::string& tokenizer_path,
    const ServeOptions& options) {
  auto core = std::unique_ptr<InferenceCore>(new InferenceCore());
  ASSIGN_OR_RETURN(LoadedModel loaded,
                   LoadModelAndTokenizer(model_path, tokenizer_path, true));
  core->model_ = std::move(loaded.model);
  core->tokenizer_ = std::move(loaded.tokenizer);
  const ModelMetadata& meta = core->model_->metadata();
  const std::string& tmpl = options.chat_template_override.empty()
                                ? meta.chat_template
                                : options.chat_template_override;
  if (!tmpl.empty()) {
    auto parsed = ChatTemplate::Parse(tmpl);
    if (!parsed.ok()) {
      return absl::Status(
          parsed.status().code(),
          absl::StrCat("chat template: ", parsed.status().message()));
    }
    core->chat_.emplace(std::move(*parsed));
  }
  core->chat_tokens_ = {meta.chat_bos_token, meta.chat_eos_token};
  // The layers run through the executor pool: in-process until executors
  // attach (server/executor/executor_pool.h).
  EngineOptions engine = options.engine;
  if (engine.context <= 0) engine.context = core->model_->config().max_seq_len;
  ASSIGN_OR_RETURN(core->weights_, WeightSource::Open(model_path));
  ExecutorPoolOptions po;
  po.build.n_layers = core->model_->config().n_layers;
  po.build.context = engine.context;
  po.build.max_sequences = engine.max_batch;
  po.build.max_step_tokens = engine.prefill_chunk;
  po.local_threads = engine.threads;
  ASSIGN_OR_RETURN(core->pool_, ExecutorPool::Create(core->model_.get(),
                                                     core->weights_.get(), po));
  ASSIGN_OR_RETURN(
      core->engine_,
      BatchEngine::Create(core->model_.get(), core->tokenizer_.get(), engine,
                          core->pool_.get()));
  ASSIGN_OR_RETURN(const std::string preset,
                   ContainerPreset(*core->model_, model_path));
  core->info_ = Describe(*core->model_, model_path, preset, options,
                         core->engine_->context());
  core->info_.has_chat_template = core->chat_.has_value();
  return core;
}

absl::StatusOr<std::vector<int32_t>> InferenceCore::Tokenize(
    absl::string_view text, bool add_bos) const {
  if (text.size() > kMaxPromptBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the text has ", text.size(), " bytes, more than ", kMaxPromptBytes));
  }
  RETURN_IF_ERROR(tokenizer_internal::CheckUtf8(text));
  return tokenizer_->Encode(text, add_bos, /*add_eos=*/false);
}

absl::StatusOr<std::vector<std::string>> InferenceCore::TokenPieces(
    absl::Span<const int32_t> ids) const {
  if (ids.size() > kMaxPromptIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxPromptIds, " token ids"));
  }
  for (int32_t id : ids) {
    if (id < 0 || id >= tokenizer_->vocab_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is outside the vocabulary of ",
                       tokenizer_->vocab_size()));
    }
  }
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  std::unique_ptr<DecodeStream> stream = tokenizer_->NewDecodeStream();
  for (int32_t id : ids) pieces.push_back(stream->Next(id));
  if (!pieces.empty()) pieces.back() += stream->Finish();
  return pieces;
}

absl::StatusOr<std::string> InferenceCore::Detokenize(
    absl::Span<const int32_t> ids) const {
  ASSIGN_OR_RETURN(std::vector<std::string> pieces, TokenPieces(ids));
  std::string text;
  for (const std::string& p : pieces) text += p;
  return text;
}

absl::StatusOr<std::string> InferenceCore::RenderChat(
    absl::Span<const ChatMessage> messages) const {
  if (!chat_.has_value()) {
    return absl::FailedPreconditionError(
        "the model has no chat template (compress it with --chat-template "
        "FILE, or start the server with --chat-template FILE)");
  }
  if (messages.empty()) {
    return absl::InvalidArgumentError("a chat needs at least one message");
  }
  if (messages.size() > static_cast<size_t>(kMaxChatMessages)) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxChatMessages, " messages"));
  }
  size_t bytes = 0;
  for (const ChatMessage& m : messages) bytes += m.content.size();
  if (bytes > kMaxPromptBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the messages have ", bytes, " bytes, more than ", kMaxPromptBytes));
  }
  return chat_->Render(messages, /*add_generation_prompt=*/true, chat_tokens_);
}

absl::StatusOr<std::unique_ptr<CompletionStream>> InferenceCore::Complete(
    CompletionRequest request) {
  if (request.prompt_ids.size() > kMaxPromptIds) {
    return absl::InvalidArgumentError(
        absl::StrCat("the prompt has more than ", kMaxPromptIds, " tokens"));
  }
  const std::vector<int32_t>& extra = model_->metadata().stop_token_ids;
  request.stop_ids.insert(request.stop_ids.end(), extra.begin(), extra.end());
  if (timing_ == nullptr) return engine_->Submit(std::move(request));
  const absl::Time arrival = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<CompletionStream> stream,
                   engine_->Submit(std::move(request)));
  auto timed = std::make_unique<TimedStream>(std::move(stream), timing_);
  timed->set_arrival(arrival);
  return timed;
}

absl::StatusOr<ScoreResult> InferenceCore::Score(absl::string_view text,
                                                 absl::Time deadline) {
  CompletionRequest r;
  ASSIGN_OR_RETURN(r.prompt_ids, Tokenize(text, /*add_bos=*/true));
  if (r.prompt_ids.size() < 2) {
    return absl::InvalidArgumentError(
        "the text must have at least one token to score");
  }
  if (r.prompt_ids.size() > static_cast<size_t>(engine_->context())) {
    return absl::InvalidArgumentError(
        absl::StrCat("the text has ", r.prompt_ids.size(),
                     " tokens, more than the context of ", engine_->context()));
  }
  r.max_tokens = 0;
  r.prompt_logprobs = true;
  r.deadline = deadline;
  ASSIGN_OR_RETURN(std::unique_ptr<CompletionStream> stream,
                   engine_->Submit(std::move(r)));
  ScoreResult out;
  std::vector<TokenEvent> events;
  while (stream->Read(&events, deadline + absl::Seconds(1))) {
    if (absl::Now() > deadline + absl::Seconds(1)) {
      stream->Cancel();
      return absl::DeadlineExceededError("scoring did not finish in time");
    }
  }
  RETURN_IF_ERROR(stream->summary().status);
  for (size_t i = 1; i < events.size(); ++i) {
    out.log_likelihood += events[i].logprob;
    ++out.tokens;
  }
  out.nll = -out.log_likelihood / out.tokens;
  out.perplexity = std::exp(out.nll);
  return out;
}

}  // namespace seedlm::serve
