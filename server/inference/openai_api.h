// The OpenAI-compatible HTTP API's JSON layer, free of HTTP and RPC: parses
// and validates the bodies of POST /v1/completions and POST
// /v1/chat/completions (following the OpenAI API reference), and builds the
// response objects (text_completion, chat.completion, chat.completion.chunk,
// model, list, error) and their server-sent-event framing. The HTTP server
// (http_server.h) is a thin adapter over these functions and InferenceCore.
//
// Errors: every parse or validation failure is INVALID_ARGUMENT whose
// message names the field; the field's name is also attached to the status
// as a payload (kParamPayload) so that ErrorFromStatus can fill the error
// object's "param". ApiErrorFor maps any absl::Status to the HTTP status and
// the OpenAI error object.
//
// Thread-safety: every function is thread-safe (no shared state except
// NewRequestId's random source, which is per thread).

#ifndef SEEDLM_SERVER_INFERENCE_OPENAI_API_H_
#define SEEDLM_SERVER_INFERENCE_OPENAI_API_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/runtime/batch_engine.h"
#include "core/runtime/sampler.h"
#include "core/tokenizer/chat_template.h"
#include "core/util/json_util.h"
#include "server/common/http_status.h"

namespace seedlm::serve {

// Legacy completions `logprobs` at most (the OpenAI API's bound).
inline constexpr int kMaxCompletionLogprobs = 5;
// Sampling temperature at most (the OpenAI API's bound).
inline constexpr double kMaxTemperature = 2.0;

// Status payload URLs carrying the error object's "param" and "code".
inline constexpr absl::string_view kParamPayload = "seedlm.openai/param";
inline constexpr absl::string_view kCodePayload = "seedlm.openai/code";

// ---- Errors.

// An OpenAI-style error, ready to send as {"error": {...}}.
struct ApiError {
  int http_status = 500;
  std::string message;
  std::string type;   // "invalid_request_error", "server_error", ...
  std::string param;  // "" is sent as null
  std::string code;   // "" is sent as null
};

// INVALID_ARGUMENT with `message`, naming `param` in a payload.
absl::Status ParamError(absl::string_view param, absl::string_view message);

// The HTTP status for a code: the project's one mapping
// (server/common/http_status.h; CANCELLED 499: the client went away).
using obs::HttpStatusFor;

// The error object for a non-OK status: http_status from HttpStatusFor,
// message from the status, param from the kParamPayload payload, code from
// the kCodePayload payload (else "invalid_api_key" for 401,
// "rate_limit_exceeded" for 429, null otherwise); type
// "invalid_request_error" below 500, "server_error" from 500.
ApiError ApiErrorFor(const absl::Status& status);

// {"error": {"message", "type", "param", "code"}}.
Json ErrorBody(const ApiError& error);

// NOT_FOUND (param "model", code "model_not_found") unless `requested` is
// empty (the request named no model) or equals `served`.
absl::Status CheckModel(absl::string_view requested, absl::string_view served);

// ---- Requests.

// A prompt as the request gave it: text, or token ids used as given (no
// BOS is added to ids).
struct PromptSpec {
  bool is_text = true;
  std::string text;
  std::vector<int32_t> ids;
};

// The fields both endpoints share.
struct GenerationParams {
  std::string model;              // "" when the request named none
  std::optional<int> max_tokens;  // absent: the endpoint's default
  SamplerOptions sampler;         // temperature default 1.0 as OpenAI's
  std::vector<std::string> stop;  // each 1..kMaxStopStringBytes bytes
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// POST /v1/completions.
struct CompletionsRequest {
  GenerationParams gen;
  std::vector<PromptSpec> prompts;  // 1..kMaxPromptsPerRequest, one choice each
  bool echo = false;
  std::optional<int> logprobs;  // 0..kMaxCompletionLogprobs
};

// POST /v1/chat/completions.
struct ChatRequest {
  GenerationParams gen;
  std::vector<ChatMessage> messages;  // 1..kMaxChatMessages
  bool logprobs = false;
  int top_logprobs = 0;  // 0..kMaxTopLogprobs, only with logprobs
};

// Parses a body. INVALID_ARGUMENT (with the param payload) for malformed
// JSON, a body that is not an object, a wrong type, a value out of range
// (max_tokens < 0, temperature outside [0, 2], top_p outside (0, 1], n other
// than 1, logprobs outside 0..5, top_logprobs outside 0..20 or without
// logprobs, too many prompts / stop strings / messages, an empty prompt
// list or id list, an id < 0), an unsupported message content part.
// Unknown fields are ignored. `max_tokens` and `max_completion_tokens` are
// both accepted (the latter wins).
absl::StatusOr<CompletionsRequest> ParseCompletionsRequest(
    absl::string_view body);
absl::StatusOr<ChatRequest> ParseChatRequest(absl::string_view body);

// The engine request for one prompt. `max_tokens` is resolved by the
// caller (the endpoint's default applied); the deadline is absolute.
CompletionRequest ToEngineRequest(const GenerationParams& gen,
                                  std::vector<int32_t> prompt_ids,
                                  int max_tokens, int top_logprobs,
                                  bool prompt_logprobs, absl::Time deadline);

// ---- Responses.

// "cmpl-" / "chatcmpl-" followed by 24 random hex digits.
std::string NewRequestId(absl::string_view prefix);

// The engine's finish reason as OpenAI's: "context" becomes "length".
std::string OpenAiFinishReason(absl::string_view engine_reason);

// The text of a single token id (for alternatives, which carry only ids).
using TokenTextFn = std::function<std::string(int32_t id)>;

// One choice's result, gathered from its stream.
struct ChoiceResult {
  std::string prompt_text;                // echoed when asked
  std::vector<TokenEvent> prompt_events;  // with prompt_logprobs
  std::vector<TokenEvent> events;         // generated tokens
  std::string finish_reason;              // OpenAI's
  int prompt_tokens = 0;
  int completion_tokens = 0;
};

// The concatenated text of `events`.
std::string EventsText(absl::Span<const TokenEvent> events);

// The legacy completions logprobs object {tokens, token_logprobs,
// top_logprobs, text_offset} of `events` (prompt events first when echoed).
// tokens are the events' texts (they concatenate to the choice's text);
// the first prompt token (no context) has null token_logprob and null
// top_logprobs; top_logprobs maps token text to logprob for the `top`
// alternatives and the chosen token (so up to logprobs + 1 entries, as
// OpenAI's); text_offset starts at `text_offset` and advances by each
// token's text length (offsets into the text the choice returns).
Json LegacyLogprobs(absl::Span<const TokenEvent> events, size_t text_offset,
                    const TokenTextFn& token_text);

// The chat logprobs object {"content": [{token, logprob, bytes,
// top_logprobs: [{token, logprob, bytes}]}], "refusal": null}.
Json ChatLogprobs(absl::Span<const TokenEvent> events,
                  const TokenTextFn& token_text);

// {"prompt_tokens", "completion_tokens", "total_tokens"}.
Json UsageJson(int prompt_tokens, int completion_tokens);

// A text_completion object with one choice per result (index in order).
// With echo each choice's text starts with its prompt text; with logprobs
// (the request's value, nullopt for none) each carries LegacyLogprobs.
Json CompletionResponse(absl::string_view id, int64_t created,
                        absl::string_view model,
                        absl::Span<const ChoiceResult> choices, bool echo,
                        std::optional<int> logprobs,
                        const TokenTextFn& token_text);

// One streamed text_completion chunk with a single choice. `logprobs` is
// the choice's logprobs object or null; `finish_reason` "" is null.
Json CompletionChunk(absl::string_view id, int64_t created,
                     absl::string_view model, int index, absl::string_view text,
                     Json logprobs, absl::string_view finish_reason);

// A chat.completion object with one choice (index 0, message with role
// "assistant"); with `logprobs` the choice carries ChatLogprobs.
Json ChatResponse(absl::string_view id, int64_t created,
                  absl::string_view model, const ChoiceResult& choice,
                  bool logprobs, const TokenTextFn& token_text);

// One chat.completion.chunk with a single choice (index 0). `delta` is
// {"role": "assistant", "content": ""} first, then {"content": piece}, and
// {} in the final chunk, which has a finish_reason ("" is null).
Json ChatChunk(absl::string_view id, int64_t created, absl::string_view model,
               Json delta, Json logprobs, absl::string_view finish_reason);

// The final usage-only chunk of a stream with include_usage ("choices":
// [], "usage": {...}); `object` is "text_completion" or
// "chat.completion.chunk".
Json UsageChunk(absl::string_view id, int64_t created, absl::string_view model,
                absl::string_view object, int prompt_tokens,
                int completion_tokens);

// A model object {"id", "object": "model", "created", "owned_by"}.
Json ModelObject(absl::string_view id, int64_t created);
// {"object": "list", "data": [ModelObject]}.
Json ModelList(absl::string_view id, int64_t created);

// Server-sent-event framing: "data: <compact json>\n\n".
std::string SseData(const Json& j);
// The stream's terminator.
inline constexpr absl::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_OPENAI_API_H_
