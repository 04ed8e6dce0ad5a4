#include "server/inference/sse_streamer.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace seedlm::serve {

SseStreamer::SseStreamer(SseConfig config, std::vector<SseChoice> choices)
    : config_(std::move(config)) {
  choices_.reserve(choices.size());
  for (SseChoice& c : choices) {
    choices_.push_back(Choice{std::move(c), false, {}, false, 0});
  }
  if (choices_.empty()) done_ = true;
}

SseStreamer::~SseStreamer() { CancelAll(); }

void SseStreamer::CancelAll() {
  for (Choice& c : choices_) {
    if (c.in.stream != nullptr) c.in.stream->Cancel();
  }
}

void SseStreamer::Start(int index, Choice& c, std::string* out) {
  c.started = true;
  if (config_.chat) {
    *out += SseData(ChatChunk(config_.id, config_.created, config_.model,
                              Json{{"role", "assistant"}, {"content", ""}},
                              nullptr, ""));
    return;
  }
  if (!config_.echo) return;
  if (config_.logprobs.has_value()) {
    c.echo_pending = true;  // sent with the prompt's log-probabilities
    return;
  }
  *out += SseData(CompletionChunk(config_.id, config_.created, config_.model,
                                  index, c.in.prompt_text, nullptr, ""));
  c.text_offset = c.in.prompt_text.size();
}

void SseStreamer::FlushEcho(int index, Choice& c, std::string* out) {
  if (!c.echo_pending) return;
  c.echo_pending = false;
  Json lp = LegacyLogprobs(c.prompt_events, 0, config_.token_text);
  *out += SseData(CompletionChunk(config_.id, config_.created, config_.model,
                                  index, c.in.prompt_text, std::move(lp), ""));
  c.text_offset = EventsText(c.prompt_events).size();
  c.prompt_events.clear();
}

void SseStreamer::AppendToken(int index, Choice& c, const TokenEvent& e,
                              std::string* out) {
  if (config_.chat) {
    if (e.text.empty() && !config_.chat_logprobs) return;
    Json lp = config_.chat_logprobs
                  ? ChatLogprobs(absl::MakeConstSpan(&e, 1), config_.token_text)
                  : Json();
    *out += SseData(ChatChunk(config_.id, config_.created, config_.model,
                              Json{{"content", e.text}}, std::move(lp), ""));
    return;
  }
  if (e.text.empty() && !config_.logprobs.has_value()) return;
  Json lp = config_.logprobs.has_value()
                ? LegacyLogprobs(absl::MakeConstSpan(&e, 1), c.text_offset,
                                 config_.token_text)
                : Json();
  c.text_offset += e.text.size();
  *out += SseData(CompletionChunk(config_.id, config_.created, config_.model,
                                  index, e.text, std::move(lp), ""));
}

void SseStreamer::Finish(int index, Choice& c, std::string* out) {
  FlushEcho(index, c, out);
  const CompletionSummary& s = c.in.stream->summary();
  if (!s.status.ok()) {
    absl::Status status = s.status;
    if (shutting_down_ && status.code() == absl::StatusCode::kCancelled) {
      status = absl::UnavailableError(
          "the server shut down before the request finished");
    }
    *out += SseData(ErrorBody(ApiErrorFor(status)));
    CancelAll();
    *out += std::string(kSseDone);
    done_ = true;
    return;
  }
  const std::string reason = OpenAiFinishReason(s.finish_reason);
  if (config_.chat) {
    *out += SseData(ChatChunk(config_.id, config_.created, config_.model,
                              Json::object(), nullptr, reason));
  } else {
    *out += SseData(CompletionChunk(config_.id, config_.created, config_.model,
                                    index, "", nullptr, reason));
  }
  prompt_tokens_ += s.prompt_tokens;
  completion_tokens_ += s.completion_tokens;
  c.in.stream.reset();
  ++current_;
  if (current_ < choices_.size()) return;
  if (config_.include_usage) {
    *out += SseData(
        UsageChunk(config_.id, config_.created, config_.model,
                   config_.chat ? "chat.completion.chunk" : "text_completion",
                   prompt_tokens_, completion_tokens_));
  }
  *out += std::string(kSseDone);
  done_ = true;
}

std::string SseStreamer::Next(absl::Duration wait) {
  std::string out;
  if (done_) return out;
  if (!shutting_down_ && config_.stop_expired && config_.stop_expired()) {
    shutting_down_ = true;
    CancelAll();
  }
  const int index = static_cast<int>(current_);
  Choice& c = choices_[current_];
  if (!c.started) Start(index, c, &out);
  std::vector<TokenEvent> events;
  const bool more = c.in.stream->Read(&events, absl::Now() + wait);
  for (const TokenEvent& e : events) {
    if (e.is_prompt) {
      if (c.echo_pending) c.prompt_events.push_back(e);
      continue;
    }
    FlushEcho(index, c, &out);
    AppendToken(index, c, e, &out);
  }
  if (!more) Finish(index, c, &out);
  return out;
}

}  // namespace seedlm::serve
