// Server-sent events for streamed completions (internal to the HTTP
// server, free of HTTP): turns the events of one or more CompletionStreams
// into the byte stream of OpenAI's streaming API. For /v1/completions: per
// choice (in order), the echoed prompt first when asked, one
// text_completion chunk per token, a final chunk with its finish_reason;
// for /v1/chat/completions: a delta {"role": "assistant", "content": ""}
// first, one {"content": piece} per token, a final {} with finish_reason.
// Then a usage chunk (with include_usage) and "data: [DONE]". A request
// that fails midway (deadline, shutdown, an engine error) ends with one
// "data: {"error": {...}}" event and "data: [DONE]"; remaining choices are
// cancelled.
//
// Thread-safety: one thread at a time (the connection's handler).

#ifndef SEEDLM_SERVER_INFERENCE_SSE_STREAMER_H_
#define SEEDLM_SERVER_INFERENCE_SSE_STREAMER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/runtime/batch_engine.h"
#include "server/inference/openai_api.h"

namespace seedlm::serve {

struct SseConfig {
  bool chat = false;
  std::string id;
  int64_t created = 0;
  std::string model;
  bool echo = false;            // completions: echo the prompt first
  std::optional<int> logprobs;  // completions: legacy logprobs per chunk
  bool chat_logprobs = false;   // chat: logprobs per chunk
  bool include_usage = false;   // a usage chunk before [DONE]
  TokenTextFn token_text;       // the text of an alternative's id
  // True once the server's stop grace is over: the streams are cancelled
  // and the error event says the server is shutting down. May be empty.
  std::function<bool()> stop_expired;
};

struct SseChoice {
  std::unique_ptr<CompletionStream> stream;
  std::string prompt_text;  // echoed when config.echo
};

class SseStreamer {
 public:
  SseStreamer(SseConfig config, std::vector<SseChoice> choices);
  // Cancels what has not finished.
  ~SseStreamer();

  // Waits up to `wait` for events and returns the bytes they make (possibly
  // none). After the bytes that end with "data: [DONE]", done() is true and
  // Next returns "".
  std::string Next(absl::Duration wait);
  bool done() const { return done_; }
  // Usage of the choices finished so far (all of them once done()).
  int prompt_tokens() const { return prompt_tokens_; }
  int completion_tokens() const { return completion_tokens_; }

  // Cancels every stream (the client went away).
  void CancelAll();

 private:
  struct Choice {
    SseChoice in;
    bool started = false;
    std::vector<TokenEvent> prompt_events;  // held for an echo with logprobs
    bool echo_pending = false;
    size_t text_offset = 0;
  };

  void Start(int index, Choice& c, std::string* out);
  void FlushEcho(int index, Choice& c, std::string* out);
  void AppendToken(int index, Choice& c, const TokenEvent& e, std::string* out);
  void Finish(int index, Choice& c, std::string* out);

  SseConfig config_;
  std::vector<Choice> choices_;
  size_t current_ = 0;
  bool done_ = false;
  bool shutting_down_ = false;
  int prompt_tokens_ = 0;
  int completion_tokens_ = 0;
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_SSE_STREAMER_H_
