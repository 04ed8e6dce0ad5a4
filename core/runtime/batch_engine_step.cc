// BatchEngine's step: one forward pass over every running sequence's next
// rows, then per sequence: prompt log-probabilities, sampling, stop rules,
// events, completion.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/runtime/batch_engine_internal.h"

namespace seedlm::batch_internal {
namespace {

// log of the softmax denominator of `logits` (n values), in double.
double LogSumExp(const float* logits, int n) {
  const float max = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(double{logits[i]} - max);
  return max + std::log(sum);
}

// The `k` most likely tokens (ties: lower id first) with their logprobs.
std::vector<TokenLogprob> TopLogprobs(const float* logits, int n, int k,
                                      double lse, std::vector<int32_t>* idx) {
  std::vector<TokenLogprob> out;
  if (k <= 0) return out;
  k = std::min(k, n);
  idx->resize(n);
  std::iota(idx->begin(), idx->end(), 0);
  std::partial_sort(
      idx->begin(), idx->begin() + k, idx->end(), [&](int32_t a, int32_t b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
      });
  for (int i = 0; i < k; ++i) {
    const int32_t id = (*idx)[i];
    out.push_back({id, static_cast<float>(logits[id] - lse)});
  }
  return out;
}

}  // namespace

// Rows of one sequence in the current step.
struct StepRows {
  Sequence* s;
  int chunk;     // rows fed
  int selected;  // of them, rows whose logits are computed (the last ones)
};

void EngineImpl::Step() {
  const LlamaConfig& c = model_->config();
  std::vector<StepRows> plan;
  std::vector<ExecutorRows> seqs;
  std::vector<int32_t> tokens;
  const absl::Time now = absl::Now();
  for (auto& owned : running_) {
    Sequence* s = owned.get();
    if (s->shared->cancelled.load()) {
      Complete(s, absl::CancelledError("the request was cancelled"), "");
      continue;
    }
    if (now >= s->req.deadline) {
      Complete(s, absl::DeadlineExceededError("the request's deadline passed"),
               "");
      continue;
    }
    if (!s->opened) {
      s->seq_id = next_seq_id_++;
      const absl::Status st = pipeline_->Open(s->seq_id);
      if (!st.ok()) {
        Complete(s, st, "");
        continue;
      }
      s->opened = true;
    }
    StepRows r{s, 1, 1};
    if (s->prefilling()) {
      r.chunk = std::min(options_.prefill_chunk, s->prompt_len() - s->fed);
      const bool last = s->fed + r.chunk == s->prompt_len();
      r.selected = s->req.prompt_logprobs ? r.chunk : (last ? 1 : 0);
      tokens.insert(tokens.end(), s->req.prompt_ids.begin() + s->fed,
                    s->req.prompt_ids.begin() + s->fed + r.chunk);
      seqs.push_back({s->seq_id, s->fed, r.chunk});
    } else {
      tokens.push_back(s->last);
      seqs.push_back({s->seq_id, s->prompt_len() + s->generated - 1, 1});
    }
    plan.push_back(r);
  }
  if (plan.empty()) return;
  const size_t n = tokens.size();
  hidden_.resize(n * c.dim);
  absl::Status st = forward_.Embed(tokens, absl::MakeSpan(hidden_));
  bool layers_failed = false;
  if (st.ok()) {
    st = pipeline_->Run(seqs, absl::MakeSpan(hidden_));
    layers_failed = !st.ok();
  }
  // The selected rows (each sequence's last `selected` rows), in order.
  size_t rows = 0, picked = 0;
  for (const StepRows& r : plan) picked += r.selected;
  selected_.resize(picked * c.dim);
  picked = 0;
  for (const StepRows& r : plan) {
    rows += r.chunk;
    std::copy(hidden_.begin() + (rows - r.selected) * c.dim,
              hidden_.begin() + rows * c.dim,
              selected_.begin() + picked * c.dim);
    picked += r.selected;
  }
  logits_.resize(picked * c.vocab_size);
  if (st.ok() && picked > 0) {
    st = forward_.Head(selected_, absl::MakeSpan(logits_));
  }
  if (!st.ok()) {
    // An executor that went away fails the step with UNAVAILABLE and a
    // message naming it: the requests get exactly that.
    const absl::Status failed =
        layers_failed && absl::IsUnavailable(st)
            ? st
            : absl::InternalError(
                  absl::StrCat("forward pass failed: ", st.ToString()));
    for (const StepRows& r : plan) Complete(r.s, failed, "");
    return;
  }
  {
    MutexLock lock(&mu_);
    ++stats_.steps;
    stats_.last_step_rows = static_cast<int>(n);
  }
  picked = 0;
  for (const StepRows& r : plan) {
    Advance(r.s, r.chunk, logits_.data() + picked * c.vocab_size);
    picked += r.selected;
  }
}

void EngineImpl::Advance(Sequence* s, int chunk, const float* logits) {
  const int vocab = model_->config().vocab_size;
  if (!s->prefilling()) {
    Accept(s, s->sampler->Sample(absl::MakeConstSpan(logits, vocab)), logits);
    return;
  }
  const int first = s->fed;
  s->fed += chunk;
  if (s->req.prompt_logprobs) {
    EmitPromptLogprobs(s, first, chunk, logits);
    logits += static_cast<size_t>(chunk - 1) * vocab;  // the last row's
  }
  if (s->prefilling()) return;
  if (s->req.max_tokens == 0) {
    Complete(s, absl::OkStatus(), "length");
    return;
  }
  Accept(s, s->sampler->Sample(absl::MakeConstSpan(logits, vocab)), logits);
}

// Prompt tokens first + 1 .. first + count get their logprob from rows
// 0 .. count - 1 (the row of position p predicts token p + 1); token 0 is
// sent first, with logprob 0.
void EngineImpl::EmitPromptLogprobs(Sequence* s, int first, int count,
                                    const float* logits) {
  const int vocab = model_->config().vocab_size;
  const std::vector<int32_t>& ids = s->req.prompt_ids;
  std::vector<TokenEvent> out;
  std::vector<int32_t> scratch;
  if (first == 0) {
    TokenEvent e;
    e.is_prompt = true;
    e.id = ids[0];
    if (s->prompt_text) e.text = s->prompt_text->Next(ids[0]);
    out.push_back(std::move(e));
  }
  for (int i = 0; i < count && first + i + 1 < s->prompt_len(); ++i) {
    const float* row = logits + static_cast<size_t>(i) * vocab;
    const double lse = LogSumExp(row, vocab);
    TokenEvent e;
    e.is_prompt = true;
    e.id = ids[first + i + 1];
    if (s->prompt_text) e.text = s->prompt_text->Next(e.id);
    e.logprob = static_cast<float>(row[e.id] - lse);
    e.top = TopLogprobs(row, vocab, s->req.top_logprobs, lse, &scratch);
    out.push_back(std::move(e));
  }
  if (!s->prefilling() && s->prompt_text != nullptr) {
    std::string tail = s->prompt_text->Finish();
    if (!tail.empty()) out.back().text += tail;
  }
  s->shared->Push(&out);
}

bool EngineImpl::Accept(Sequence* s, int32_t token, const float* logits) {
  const int vocab = model_->config().vocab_size;
  ++s->generated;
  if (!s->first_token_seen) {
    s->first_token_seen = true;
    s->first_token_seconds = SecondsSince(s->submitted);
  }
  if (std::find(s->stop_ids.begin(), s->stop_ids.end(), token) !=
      s->stop_ids.end()) {
    Complete(s, absl::OkStatus(), "stop");
    return true;
  }
  std::vector<int32_t> scratch;
  const double lse = LogSumExp(logits, vocab);
  TokenEvent e;
  e.id = token;
  if (s->text != nullptr) e.text = s->text->Next(token);
  e.logprob = static_cast<float>(logits[token] - lse);
  e.top = TopLogprobs(logits, vocab, s->req.top_logprobs, lse, &scratch);
  std::vector<TokenEvent> out;
  if (s->stop.has_value()) {
    if (s->stop->Add(std::move(e), &out)) {
      s->shared->Push(&out);
      s->stop.reset();  // nothing more to release
      s->text.reset();  // nor any pending text
      Complete(s, absl::OkStatus(), "stop");
      return true;
    }
  } else {
    out.push_back(std::move(e));
  }
  s->shared->Push(&out);
  s->last = token;
  if (s->generated >= s->req.max_tokens) {
    Complete(s, absl::OkStatus(), "length");
    return true;
  }
  if (s->prompt_len() + s->generated > options_.context) {
    Complete(s, absl::OkStatus(), "context");
    return true;
  }
  return false;
}

void EngineImpl::Complete(Sequence* s, absl::Status status,
                          std::string reason) {
  std::vector<TokenEvent> out;
  if (status.ok()) {
    if (s->stop.has_value()) s->stop->Flush(&out);
    if (s->text != nullptr) {
      TokenEvent tail;
      tail.id = -1;
      tail.text = s->text->Finish();
      if (!tail.text.empty()) out.push_back(std::move(tail));
    }
  }
  CompletionSummary sum;
  sum.status = std::move(status);
  if (sum.status.ok()) sum.finish_reason = std::move(reason);
  sum.prompt_tokens = s->prompt_len();
  sum.completion_tokens = s->generated;
  sum.queue_seconds = s->queue_seconds;
  sum.first_token_seconds = s->first_token_seconds;
  sum.total_seconds = SecondsSince(s->submitted);
  if (s->opened) {
    pipeline_->Close(s->seq_id);
    s->opened = false;
  }
  {
    // The slot is free before the consumer can see the end, so that its
    // next request finds room.
    MutexLock lock(&mu_);
    ++stats_.requests_finished;
    stats_.tokens_generated += s->generated;
    stats_.prompt_tokens += s->fed;
    if (s->slot >= 0) {
      free_slots_.push_back(s->slot);
      s->slot = -1;
      stats_.running = --running_count_;
    }
  }
  s->shared->Push(&out);
  s->shared->Finish(std::move(sum));
}

}  // namespace seedlm::batch_internal
