#include "proto/rpc/inference_convert.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace seedlm::rpc {
namespace {

absl::Status CheckStops(const v1::GenerateRequest& request) {
  if (request.stop_size() > kMaxStopStrings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stop: ", request.stop_size(), " strings, at most ", kMaxStopStrings));
  }
  for (int i = 0; i < request.stop_size(); ++i) {
    const size_t n = request.stop(i).size();
    if (n == 0 || n > kMaxStopStringBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stop[", i, "]: ", n, " bytes, must be 1..", kMaxStopStringBytes));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CompletionRequest> CompletionRequestFromProto(
    const v1::GenerateRequest& request) {
  CompletionRequest out;
  out.max_tokens =
      request.has_max_tokens() ? request.max_tokens() : kDefaultMaxTokens;
  if (out.max_tokens < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_tokens: ", out.max_tokens, ", must be >= 0"));
  }
  const double t = request.temperature();
  if (!std::isfinite(t) || t < 0 || t > kMaxTemperature) {
    return absl::InvalidArgumentError(absl::StrCat(
        "temperature: ", t, ", must be a number in 0..", kMaxTemperature));
  }
  const double top_p = request.has_top_p() ? request.top_p() : 1.0;
  if (!(top_p > 0 && top_p <= 1)) {  // also rejects NaN
    return absl::InvalidArgumentError(
        absl::StrCat("top_p: ", top_p, ", must be in (0, 1]"));
  }
  out.sampler.temperature = t;
  out.sampler.top_p = top_p;
  out.sampler.seed = request.seed();
  if (absl::Status s = CheckStops(request); !s.ok()) return s;
  out.stop.assign(request.stop().begin(), request.stop().end());
  if (request.top_logprobs() < 0 || request.top_logprobs() > kMaxTopLogprobs) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_logprobs: ", request.top_logprobs(), ", must be 0..",
                     kMaxTopLogprobs));
  }
  out.top_logprobs = request.top_logprobs();
  out.prompt_logprobs = request.echo();
  out.stop_at_eos = !request.ignore_eos();
  return out;
}

v1::FinishReason FinishReasonToProto(absl::string_view reason) {
  if (reason == "stop") return v1::FINISH_REASON_STOP;
  if (reason == "length") return v1::FINISH_REASON_LENGTH;
  if (reason == "context") return v1::FINISH_REASON_CONTEXT;
  return v1::FINISH_REASON_UNSPECIFIED;
}

absl::string_view FinishReasonName(v1::FinishReason reason) {
  switch (reason) {
    case v1::FINISH_REASON_STOP:
      return "stop";
    case v1::FINISH_REASON_LENGTH:
      return "length";
    case v1::FINISH_REASON_CONTEXT:
      return "context";
    default:
      return "unspecified";
  }
}

v1::GenerateToken TokenEventToProto(const TokenEvent& event,
                                    absl::Span<const std::string> token_texts) {
  v1::GenerateToken t;
  t.set_id(event.id);
  t.set_text(event.text);
  t.set_logprob(event.logprob);
  t.set_is_prompt(event.is_prompt);
  for (const TokenLogprob& alt : event.top) {
    v1::TokenAlternative* a = t.add_alternatives();
    a->set_id(alt.id);
    a->set_logprob(alt.logprob);
    if (alt.id >= 0 && static_cast<size_t>(alt.id) < token_texts.size()) {
      a->set_text(token_texts[alt.id]);
    }
  }
  return t;
}

v1::GenerateSummary SummaryToProto(const CompletionSummary& summary,
                                   double total_seconds) {
  v1::GenerateSummary s;
  s.set_finish_reason(FinishReasonToProto(summary.finish_reason));
  s.mutable_usage()->set_prompt_tokens(summary.prompt_tokens);
  s.mutable_usage()->set_completion_tokens(summary.completion_tokens);
  v1::Timings* t = s.mutable_timings();
  t->set_queue_seconds(summary.queue_seconds);
  t->set_first_token_seconds(summary.first_token_seconds);
  t->set_total_seconds(total_seconds);
  return s;
}

}  // namespace seedlm::rpc
