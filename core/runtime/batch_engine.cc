// BatchEngine: requests, streams, admission, the engine thread's loop.
// The step itself (forward pass, sampling, events) is in
// batch_engine_step.cc.
#include "core/runtime/batch_engine.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/runtime/batch_engine_internal.h"
#include "core/runtime/cpu_executor.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace batch_internal {

void SharedState::Push(std::vector<TokenEvent>* events) {
  if (events->empty()) return;
  MutexLock lock(&mu_);
  for (TokenEvent& e : *events) pending_.push_back(std::move(e));
  events->clear();
}

void SharedState::Finish(CompletionSummary summary) {
  MutexLock lock(&mu_);
  if (finished_) return;
  summary_ = std::move(summary);
  finished_ = true;
}

bool SharedState::Read(std::vector<TokenEvent>* events, absl::Time deadline) {
  MutexLock lock(&mu_);
  mu_.AwaitWithDeadline([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                            mu_) { return finished_ || !pending_.empty(); },
                        SteadyDeadline(deadline));
  for (TokenEvent& e : pending_) events->push_back(std::move(e));
  pending_.clear();
  return !finished_;
}

namespace {

// The consumer's handle. Dropping it cancels the request.
class Stream : public CompletionStream {
 public:
  explicit Stream(std::shared_ptr<SharedState> s) : s_(std::move(s)) {}
  ~Stream() override { Cancel(); }
  bool Read(std::vector<TokenEvent>* events, absl::Time deadline) override {
    return s_->Read(events, deadline);
  }
  void Cancel() override { s_->cancelled.store(true); }
  const CompletionSummary& summary() const override { return s_->summary(); }

 private:
  std::shared_ptr<SharedState> s_;
};

}  // namespace

EngineImpl::EngineImpl(const LlamaModel* model, const Tokenizer* tokenizer,
                       const EngineOptions& options, LayerPipeline* pipeline,
                       std::unique_ptr<LayerPipeline> owned)
    : model_(model),
      tokenizer_(tokenizer),
      options_(options),
      pool_(options.threads),
      forward_(model, &pool_),
      owned_pipeline_(std::move(owned)),
      pipeline_(pipeline) {
  {
    MutexLock lock(&mu_);
    for (int i = options_.max_batch - 1; i >= 0; --i) free_slots_.push_back(i);
  }
  thread_ = std::thread([this] { Loop(); });
}

EngineImpl::~EngineImpl() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  FinishAll(absl::UnavailableError("the inference engine shut down"));
}

absl::Status EngineImpl::Validate(const CompletionRequest& r) const {
  const int vocab = model_->config().vocab_size;
  if (r.prompt_ids.empty()) {
    return absl::InvalidArgumentError("the prompt has no tokens");
  }
  for (int32_t id : r.prompt_ids) {
    if (id < 0 || id >= vocab) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompt token ", id, " is outside the vocabulary of ", vocab));
    }
  }
  if (r.max_tokens < 0) {
    return absl::InvalidArgumentError("max_tokens must be >= 0");
  }
  const int64_t need = static_cast<int64_t>(r.prompt_ids.size()) + r.max_tokens;
  if (need > options_.context) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the prompt's ", r.prompt_ids.size(), " tokens plus max_tokens ",
        r.max_tokens, " exceed the context of ", options_.context, " tokens"));
  }
  RETURN_IF_ERROR(ValidateSamplerOptions(r.sampler));
  if (tokenizer_ == nullptr && !r.stop.empty()) {
    return absl::InvalidArgumentError(
        "stop strings need a tokenizer (the engine has none)");
  }
  if (r.stop.size() > static_cast<size_t>(kMaxStopStrings)) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxStopStrings, " stop strings"));
  }
  for (const std::string& s : r.stop) {
    if (s.empty() || s.size() > kMaxStopStringBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a stop string must have 1 to ", kMaxStopStringBytes, " bytes"));
    }
  }
  if (r.stop_ids.size() > 64) {
    return absl::InvalidArgumentError("more than 64 stop token ids");
  }
  if (r.top_logprobs < 0 || r.top_logprobs > kMaxTopLogprobs) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_logprobs must be in 0..", kMaxTopLogprobs));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CompletionStream>> EngineImpl::Submit(
    CompletionRequest request) {
  RETURN_IF_ERROR(Validate(request));
  auto seq = std::make_unique<Sequence>();
  seq->shared = std::make_shared<SharedState>();
  seq->submitted = Clock::now();
  seq->sampler = std::make_unique<Sampler>(request.sampler);
  if (tokenizer_ != nullptr) {
    seq->text = tokenizer_->NewDecodeStream();
    // The generated text decodes in the prompt's context, as Generate's
    // single stream does (e.g. llama2.c drops the space after BOS).
    for (int32_t id : request.prompt_ids) seq->text->Next(id);
    if (request.prompt_logprobs) {
      seq->prompt_text = tokenizer_->NewDecodeStream();
    }
  }
  if (!request.stop.empty()) seq->stop.emplace(request.stop);
  seq->stop_ids = request.stop_ids;
  if (request.stop_at_eos && tokenizer_ != nullptr &&
      tokenizer_->eos_id() >= 0) {
    seq->stop_ids.push_back(tokenizer_->eos_id());
  }
  seq->req = std::move(request);
  auto stream = std::make_unique<Stream>(seq->shared);
  MutexLock lock(&mu_);
  if (draining_ || stop_) {
    return absl::UnavailableError("the server is shutting down");
  }
  const int capacity = options_.max_batch + options_.max_queue;
  if (running_count_ + static_cast<int>(waiting_.size()) >= capacity) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server is at capacity (", options_.max_batch, " running, ",
        options_.max_queue, " waiting); retry later"));
  }
  waiting_.push_back(std::move(seq));
  stats_.waiting = static_cast<int>(waiting_.size());
  idle_ = false;
  return stream;
}

EngineImpl::Next EngineImpl::Schedule() {
  // Requests dropped while waiting finish outside the lock.
  std::vector<std::unique_ptr<Sequence>> dropped;
  bool replan = false;
  {
    MutexLock lock(&mu_);
    idle_ = running_.empty() && waiting_.empty();
    // A pipeline's re-plan request is not a mutex event: poll it.
    for (;;) {
      replan = pipeline_->ReplanPending();
      if (replan || stop_ || !running_.empty() || !waiting_.empty()) break;
      mu_.AwaitWithDeadline(
          [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return stop_ || !running_.empty() || !waiting_.empty();
          },
          Clock::now() + std::chrono::milliseconds(50));
    }
    if (stop_) return Next::kStop;
    const absl::Time now = absl::Now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->shared->cancelled.load() || now >= (*it)->req.deadline) {
        dropped.push_back(std::move(*it));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
    // While a re-plan waits, the running sequences finish on the old plan
    // and the waiting ones stay queued.
    while (!replan && !waiting_.empty() && !free_slots_.empty()) {
      std::unique_ptr<Sequence> s = std::move(waiting_.front());
      waiting_.pop_front();
      s->slot = free_slots_.back();
      free_slots_.pop_back();
      s->queue_seconds = SecondsSince(s->submitted);
      running_.push_back(std::move(s));
    }
    running_count_ = static_cast<int>(running_.size());
    stats_.running = running_count_;
    stats_.waiting = static_cast<int>(waiting_.size());
  }
  for (auto& s : dropped) {
    const bool cancelled = s->shared->cancelled.load();
    Complete(s.get(),
             cancelled ? absl::CancelledError("the request was cancelled")
                       : absl::DeadlineExceededError(
                             "the request's deadline passed while it waited"),
             "");
  }
  return replan && running_.empty() ? Next::kReplan : Next::kStep;
}

void EngineImpl::Loop() {
  for (Next next = Schedule(); next != Next::kStop; next = Schedule()) {
    if (next == Next::kReplan) {
      // No sequence is open: the pipeline may change its chain.
      const absl::Status st = pipeline_->Replan();
      if (!st.ok()) {
        std::fprintf(stderr, "seedlm: re-plan: %s\n", st.ToString().c_str());
      }
      continue;
    }
    if (!running_.empty()) Step();
    // Release the slots of the sequences that finished.
    MutexLock lock(&mu_);
    for (auto it = running_.begin(); it != running_.end();) {
      if ((*it)->slot < 0) {
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    running_count_ = static_cast<int>(running_.size());
    stats_.running = running_count_;
    idle_ = running_.empty() && waiting_.empty();
  }
}

void EngineImpl::FinishAll(absl::Status status) {
  std::vector<std::unique_ptr<Sequence>> all;
  {
    MutexLock lock(&mu_);
    for (auto& s : running_) all.push_back(std::move(s));
    for (auto& s : waiting_) all.push_back(std::move(s));
    running_.clear();
    waiting_.clear();
    stats_.waiting = 0;
    idle_ = true;  // Complete below returns each running slot
  }
  for (auto& s : all) Complete(s.get(), status, "");
}

void EngineImpl::Drain(absl::Time deadline) {
  {
    MutexLock lock(&mu_);
    draining_ = true;
    if (mu_.AwaitWithDeadline(
            [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return idle_ || stop_; },
            SteadyDeadline(deadline))) {
      return;
    }
    // Past the grace period: the engine thread stops; the rest finish here.
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  FinishAll(absl::UnavailableError(
      "the server shut down before the request finished"));
}

EngineStats EngineImpl::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

}  // namespace batch_internal

BatchEngine::BatchEngine(std::unique_ptr<batch_internal::EngineImpl> impl,
                         EngineOptions options)
    : impl_(std::move(impl)), options_(std::move(options)) {}

BatchEngine::~BatchEngine() = default;

absl::StatusOr<std::unique_ptr<BatchEngine>> BatchEngine::Create(
    const LlamaModel* model, const Tokenizer* tokenizer,
    const EngineOptions& options, LayerPipeline* pipeline) {
  if (!model->is_complete()) {
    return absl::FailedPreconditionError(
        "the engine needs a complete model (every layer, embedding, head)");
  }
  const LlamaConfig& c = model->config();
  if (tokenizer != nullptr && tokenizer->vocab_size() > c.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tokenizer has ", tokenizer->vocab_size(),
                     " tokens, the model ", c.vocab_size));
  }
  EngineOptions o = options;
  if (o.context <= 0) o.context = c.max_seq_len;
  if (o.max_batch < 1 || o.max_batch > 1024 || o.max_queue < 0 ||
      o.max_queue > 65536 || o.prefill_chunk < 1 || o.threads < 1 ||
      o.threads > 1024) {
    return absl::InvalidArgumentError(
        "engine options: need 1 <= max_batch <= 1024, 0 <= max_queue <= "
        "65536, prefill_chunk >= 1, 1 <= threads <= 1024");
  }
  if (o.context > c.max_seq_len) {
    return absl::InvalidArgumentError(
        absl::StrCat("context ", o.context, " exceeds the model's ",
                     c.max_seq_len, " positions"));
  }
  std::unique_ptr<LayerPipeline> owned;
  if (pipeline == nullptr) {
    // The embedded default: every layer in-process, KV caches allocated up
    // front so that load cannot grow memory.
    CpuExecutorOptions eo;
    eo.context = o.context;
    eo.max_sequences = o.max_batch;
    eo.max_step_tokens = o.prefill_chunk;
    eo.threads = o.threads;
    ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutor> local,
                     CpuExecutor::Create(model, 0, c.n_layers, eo));
    owned = std::make_unique<LocalPipeline>(std::move(local));
    pipeline = owned.get();
  }
  auto impl = std::make_unique<batch_internal::EngineImpl>(
      model, tokenizer, o, pipeline, std::move(owned));
  return std::unique_ptr<BatchEngine>(new BatchEngine(std::move(impl), o));
}

absl::StatusOr<std::unique_ptr<CompletionStream>> BatchEngine::Submit(
    CompletionRequest request) {
  return impl_->Submit(std::move(request));
}

void BatchEngine::Drain(absl::Time deadline) { impl_->Drain(deadline); }

EngineStats BatchEngine::stats() const { return impl_->stats(); }

}  // namespace seedlm
