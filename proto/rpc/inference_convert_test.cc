#include "proto/rpc/inference_convert.h"

#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm::rpc {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

TEST(CompletionRequestFromProto, DefaultsWhenUnset) {
  absl::StatusOr<CompletionRequest> r =
      CompletionRequestFromProto(v1::GenerateRequest());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->max_tokens, kDefaultMaxTokens);
  EXPECT_EQ(r->sampler.temperature, 0.0);
  EXPECT_EQ(r->sampler.top_p, 1.0);
  EXPECT_TRUE(r->stop_at_eos);
  EXPECT_FALSE(r->prompt_logprobs);
  EXPECT_EQ(r->top_logprobs, 0);
  EXPECT_TRUE(r->stop.empty());
}

TEST(CompletionRequestFromProto, CopiesEveryField) {
  v1::GenerateRequest p;
  p.set_max_tokens(0);
  p.set_temperature(0.7);
  p.set_top_p(0.9);
  p.set_seed(12345678901234ULL);
  p.add_stop("\n\n");
  p.add_stop("The end");
  p.set_top_logprobs(kMaxTopLogprobs);
  p.set_echo(true);
  p.set_ignore_eos(true);
  absl::StatusOr<CompletionRequest> r = CompletionRequestFromProto(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->max_tokens, 0);
  EXPECT_EQ(r->sampler.temperature, 0.7);
  EXPECT_EQ(r->sampler.top_p, 0.9);
  EXPECT_EQ(r->sampler.seed, 12345678901234ULL);
  EXPECT_EQ(r->stop, (std::vector<std::string>{"\n\n", "The end"}));
  EXPECT_EQ(r->top_logprobs, kMaxTopLogprobs);
  EXPECT_TRUE(r->prompt_logprobs);
  EXPECT_FALSE(r->stop_at_eos);
}

// Each bad field alone is INVALID_ARGUMENT naming it.
TEST(CompletionRequestFromProto, RejectsOutOfRangeFields) {
  struct Case {
    const char* field;
    void (*set)(v1::GenerateRequest*);
  };
  const Case cases[] = {
      {"max_tokens", [](v1::GenerateRequest* p) { p->set_max_tokens(-1); }},
      {"temperature", [](v1::GenerateRequest* p) { p->set_temperature(-0.1); }},
      {"temperature",
       [](v1::GenerateRequest* p) { p->set_temperature(kMaxTemperature + 1); }},
      {"temperature", [](v1::GenerateRequest* p) { p->set_temperature(kNan); }},
      {"top_p", [](v1::GenerateRequest* p) { p->set_top_p(0); }},
      {"top_p", [](v1::GenerateRequest* p) { p->set_top_p(1.5); }},
      {"top_p", [](v1::GenerateRequest* p) { p->set_top_p(kNan); }},
      {"top_logprobs", [](v1::GenerateRequest* p) { p->set_top_logprobs(-1); }},
      {"top_logprobs",
       [](v1::GenerateRequest* p) {
         p->set_top_logprobs(kMaxTopLogprobs + 1);
       }},
      {"stop",
       [](v1::GenerateRequest* p) {
         for (int i = 0; i <= kMaxStopStrings; ++i) p->add_stop("x");
       }},
      {"stop[0]", [](v1::GenerateRequest* p) { p->add_stop(""); }},
      {"stop[1]",
       [](v1::GenerateRequest* p) {
         p->add_stop("ok");
         p->add_stop(std::string(kMaxStopStringBytes + 1, 'a'));
       }},
  };
  for (const Case& c : cases) {
    v1::GenerateRequest p;
    c.set(&p);
    absl::StatusOr<CompletionRequest> r = CompletionRequestFromProto(p);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.field), absl::string_view::npos)
        << r.status();
  }
  // The bounds themselves are accepted.
  v1::GenerateRequest edge;
  edge.set_temperature(kMaxTemperature);
  edge.set_top_p(1);
  for (int i = 0; i < kMaxStopStrings; ++i) {
    edge.add_stop(std::string(kMaxStopStringBytes, 'a'));
  }
  EXPECT_TRUE(CompletionRequestFromProto(edge).ok());
}

TEST(FinishReason, RoundTrips) {
  for (const char* name : {"stop", "length", "context"}) {
    const v1::FinishReason r = FinishReasonToProto(name);
    EXPECT_NE(r, v1::FINISH_REASON_UNSPECIFIED) << name;
    EXPECT_EQ(FinishReasonName(r), name);
  }
  EXPECT_EQ(FinishReasonToProto(""), v1::FINISH_REASON_UNSPECIFIED);
  EXPECT_EQ(FinishReasonToProto("eos"), v1::FINISH_REASON_UNSPECIFIED);
  EXPECT_EQ(FinishReasonName(v1::FINISH_REASON_UNSPECIFIED), "unspecified");
}

TEST(TokenEventToProto, CarriesTokenAndAlternatives) {
  TokenEvent e;
  e.is_prompt = true;
  e.id = 7;
  e.text = " once";
  e.logprob = -1.25f;
  e.top = {{7, -1.25f}, {2, -2.5f}, {99, -3.0f}};
  const std::vector<std::string> texts = {"a", "b", "c", "d",
                                          "e", "f", "g", " once"};
  const v1::GenerateToken t = TokenEventToProto(e, texts);
  EXPECT_EQ(t.id(), 7);
  EXPECT_EQ(t.text(), " once");
  EXPECT_EQ(t.logprob(), -1.25f);
  EXPECT_TRUE(t.is_prompt());
  ASSERT_EQ(t.alternatives_size(), 3);
  EXPECT_EQ(t.alternatives(0).id(), 7);
  EXPECT_EQ(t.alternatives(0).text(), " once");
  EXPECT_EQ(t.alternatives(1).id(), 2);
  EXPECT_EQ(t.alternatives(1).text(), "c");
  EXPECT_EQ(t.alternatives(1).logprob(), -2.5f);
  EXPECT_EQ(t.alternatives(2).text(), "");  // outside the table
}

TEST(SummaryToProto, CarriesUsageAndTimings) {
  CompletionSummary s;
  s.finish_reason = "length";
  s.prompt_tokens = 5;
  s.completion_tokens = 9;
  s.queue_seconds = 0.25;
  s.first_token_seconds = 0.5;
  const v1::GenerateSummary p = SummaryToProto(s, 1.5);
  EXPECT_EQ(p.finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(p.usage().prompt_tokens(), 5);
  EXPECT_EQ(p.usage().completion_tokens(), 9);
  EXPECT_EQ(p.timings().queue_seconds(), 0.25);
  EXPECT_EQ(p.timings().first_token_seconds(), 0.5);
  EXPECT_EQ(p.timings().total_seconds(), 1.5);
}

}  // namespace
}  // namespace seedlm::rpc
