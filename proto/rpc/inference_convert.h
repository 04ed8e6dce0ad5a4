// Conversions between InferenceService's protos (seedlm/v1/inference.proto)
// and the batching engine's value types (core/runtime/batch_engine.h): the
// request's generation fields to a CompletionRequest (bounds checked), token
// events and summaries to stream messages, finish reasons both ways.
//
// Decoding is checked: a field out of its documented range becomes
// INVALID_ARGUMENT naming the field, never a crash. Stateless; thread-safe.
#ifndef SEEDLM_PROTO_RPC_INFERENCE_CONVERT_H_
#define SEEDLM_PROTO_RPC_INFERENCE_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/runtime/batch_engine.h"
#include "seedlm/v1/inference.pb.h"

namespace seedlm::rpc {

// GenerateRequest.max_tokens when unset.
inline constexpr int kDefaultMaxTokens = 16;
// The largest GenerateRequest.temperature (as `seedlm generate`'s flag).
inline constexpr double kMaxTemperature = 100.0;

// The generation fields of `request` (everything but the prompt, which needs
// the tokenizer, and the deadline): max_tokens (unset: kDefaultMaxTokens;
// negative: INVALID_ARGUMENT), temperature (finite, 0..kMaxTemperature),
// top_p (unset: 1; else (0, 1]), seed, stop (at most kMaxStopStrings, each
// 1..kMaxStopStringBytes bytes), top_logprobs (0..kMaxTopLogprobs), echo
// (prompt_logprobs), ignore_eos (!stop_at_eos). INVALID_ARGUMENT naming the
// field for any value out of range.
absl::StatusOr<CompletionRequest> CompletionRequestFromProto(
    const v1::GenerateRequest& request);

// "stop" / "length" / "context" -> the enum; anything else UNSPECIFIED.
v1::FinishReason FinishReasonToProto(absl::string_view reason);
// The enum -> "stop" / "length" / "context" / "unspecified".
absl::string_view FinishReasonName(v1::FinishReason reason);

// One engine event as a stream message's token. `token_texts[id]` is the
// text of token `id` decoded alone, for the alternatives (ids outside the
// span get "").
v1::GenerateToken TokenEventToProto(const TokenEvent& event,
                                    absl::Span<const std::string> token_texts);

// A finished request's summary (status OK) as the stream's last message;
// `total_seconds` is the request's whole time in the server.
v1::GenerateSummary SummaryToProto(const CompletionSummary& summary,
                                   double total_seconds);

}  // namespace seedlm::rpc

#endif  // SEEDLM_PROTO_RPC_INFERENCE_CONVERT_H_
