// SseStreamer's framing over scripted fake streams (logic only; the real
// engine is exercised by http_server_test).
#include "server/inference/sse_streamer.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm::serve {
namespace {

// Returns one scripted batch of events per Read, then the summary.
class FakeStream : public CompletionStream {
 public:
  FakeStream(std::deque<std::vector<TokenEvent>> batches,
             CompletionSummary summary, bool* cancelled)
      : batches_(std::move(batches)),
        summary_(std::move(summary)),
        cancelled_(cancelled) {}
  bool Read(std::vector<TokenEvent>* events, absl::Time) override {
    if (batches_.empty()) return false;
    for (TokenEvent& e : batches_.front()) events->push_back(std::move(e));
    batches_.pop_front();
    return true;
  }
  void Cancel() override {
    if (cancelled_ != nullptr) *cancelled_ = true;
  }
  const CompletionSummary& summary() const override { return summary_; }

 private:
  std::deque<std::vector<TokenEvent>> batches_;
  CompletionSummary summary_;
  bool* cancelled_;
};

TokenEvent Ev(bool prompt, int32_t id, std::string text, float lp) {
  TokenEvent e;
  e.is_prompt = prompt;
  e.id = id;
  e.text = std::move(text);
  e.logprob = lp;
  return e;
}

CompletionSummary Ok(std::string reason, int prompt, int completion) {
  CompletionSummary s;
  s.finish_reason = std::move(reason);
  s.prompt_tokens = prompt;
  s.completion_tokens = completion;
  return s;
}

std::unique_ptr<CompletionStream> Fake(
    std::deque<std::vector<TokenEvent>> batches, CompletionSummary summary,
    bool* cancelled = nullptr) {
  return std::make_unique<FakeStream>(std::move(batches), std::move(summary),
                                      cancelled);
}

SseConfig Config(bool chat) {
  SseConfig c;
  c.chat = chat;
  c.id = chat ? "chatcmpl-x" : "cmpl-x";
  c.created = 42;
  c.model = "m";
  c.token_text = [](int32_t id) { return absl::StrCat("<", id, ">"); };
  return c;
}

// Runs the streamer to the end; returns the "data: " payloads, checking the
// framing of every event on the way.
std::vector<std::string> Drain(SseStreamer& s) {
  std::string all;
  for (int i = 0; i < 100 && !s.done(); ++i)
    all += s.Next(absl::ZeroDuration());
  EXPECT_TRUE(s.done());
  EXPECT_EQ(s.Next(absl::ZeroDuration()), "");
  std::vector<std::string> payloads;
  EXPECT_TRUE(absl::EndsWith(all, "\n\n"));
  for (absl::string_view ev : absl::StrSplit(all, "\n\n", absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(ev, "data: ")) << ev;
    EXPECT_EQ(ev.find('\n'), absl::string_view::npos) << ev;
    payloads.emplace_back(ev.substr(6));
  }
  return payloads;
}

Json P(const std::string& s) { return Json::parse(s); }

TEST(SseStreamerTest, CompletionTokensThenFinishThenDone) {
  std::vector<SseChoice> choices;
  choices.push_back(
      SseChoice{Fake({{Ev(false, 5, "Once", -1)},
                      {},
                      {Ev(false, 6, " upon", -2), Ev(false, 7, "", -3)}},
                     Ok("context", 1, 3)),
                ""});
  SseStreamer s(Config(false), std::move(choices));
  auto p = Drain(s);
  ASSERT_EQ(p.size(), 4u);  // two texts (the empty piece skipped), end, DONE
  Json a = P(p[0]);
  EXPECT_EQ(a["object"], "text_completion");
  EXPECT_EQ(a["id"], "cmpl-x");
  EXPECT_EQ(a["created"], 42);
  EXPECT_EQ(a["model"], "m");
  EXPECT_EQ(a["choices"][0]["text"], "Once");
  EXPECT_EQ(a["choices"][0]["index"], 0);
  EXPECT_TRUE(a["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(a["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(P(p[1])["choices"][0]["text"], " upon");
  Json end = P(p[2]);
  EXPECT_EQ(end["choices"][0]["text"], "");
  EXPECT_EQ(end["choices"][0]["finish_reason"], "length");  // from context
  EXPECT_EQ(p[3], "[DONE]");
}

TEST(SseStreamerTest, EchoWithLogprobsAndUsageOverTwoChoices) {
  SseConfig config = Config(false);
  config.echo = true;
  config.logprobs = 1;
  config.include_usage = true;
  std::vector<SseChoice> choices;
  choices.push_back(SseChoice{Fake({{Ev(true, 1, "", 0), Ev(true, 9, "Hi", -4)},
                                    {Ev(false, 5, "!", -1)}},
                                   Ok("stop", 2, 1)),
                              "Hi"});
  choices.push_back(
      SseChoice{Fake({{Ev(true, 1, "", 0)}}, Ok("length", 1, 0)), "P2"});
  SseStreamer s(std::move(config), std::move(choices));
  auto p = Drain(s);
  ASSERT_EQ(p.size(), 7u);
  Json echo = P(p[0])["choices"][0];
  EXPECT_EQ(echo["text"], "Hi");
  EXPECT_EQ(echo["index"], 0);
  EXPECT_EQ(echo["logprobs"]["tokens"], (Json{"", "Hi"}));
  EXPECT_TRUE(echo["logprobs"]["token_logprobs"][0].is_null());
  Json tok = P(p[1])["choices"][0];
  EXPECT_EQ(tok["text"], "!");
  EXPECT_EQ(tok["logprobs"]["text_offset"], Json{2});  // after "Hi"
  EXPECT_EQ(tok["logprobs"]["top_logprobs"][0], (Json{{"<5>", -1.0}}));
  EXPECT_EQ(P(p[2])["choices"][0]["finish_reason"], "stop");
  // The second choice: echo (no generated token), then its end.
  EXPECT_EQ(P(p[3])["choices"][0]["text"], "P2");
  EXPECT_EQ(P(p[3])["choices"][0]["index"], 1);
  EXPECT_EQ(P(p[4])["choices"][0]["finish_reason"], "length");
  Json usage = P(p[5]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"], (Json{{"prompt_tokens", 3},
                                  {"completion_tokens", 1},
                                  {"total_tokens", 4}}));
  EXPECT_EQ(p[6], "[DONE]");
}

TEST(SseStreamerTest, EchoWithoutLogprobsComesFirst) {
  SseConfig config = Config(false);
  config.echo = true;
  std::vector<SseChoice> choices;
  choices.push_back(
      SseChoice{Fake({{Ev(false, 5, "x", -1)}}, Ok("length", 1, 1)), "P"});
  SseStreamer s(std::move(config), std::move(choices));
  auto p = Drain(s);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(P(p[0])["choices"][0]["text"], "P");
  EXPECT_EQ(P(p[1])["choices"][0]["text"], "x");
}

TEST(SseStreamerTest, ChatRoleFirstThenContentThenEmptyDelta) {
  SseConfig config = Config(true);
  config.chat_logprobs = true;
  std::vector<SseChoice> choices;
  choices.push_back(
      SseChoice{Fake({{Ev(false, 5, "Hel", -1), Ev(false, 6, "lo", -2)}},
                     Ok("stop", 4, 2)),
                ""});
  SseStreamer s(std::move(config), std::move(choices));
  auto p = Drain(s);
  ASSERT_EQ(p.size(), 5u);
  Json role = P(p[0]);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["id"], "chatcmpl-x");
  EXPECT_EQ(role["choices"][0]["delta"],
            (Json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
  Json c1 = P(p[1])["choices"][0];
  EXPECT_EQ(c1["delta"], (Json{{"content", "Hel"}}));
  EXPECT_EQ(c1["logprobs"]["content"][0]["token"], "Hel");
  EXPECT_EQ(P(p[2])["choices"][0]["delta"]["content"], "lo");
  Json end = P(p[3])["choices"][0];
  EXPECT_EQ(end["delta"], Json::object());
  EXPECT_EQ(end["finish_reason"], "stop");
  EXPECT_EQ(p[4], "[DONE]");
}

TEST(SseStreamerTest, FailureEndsWithErrorEventAndCancelsTheRest) {
  CompletionSummary late;
  late.status = absl::DeadlineExceededError("past the deadline");
  bool second_cancelled = false;
  std::vector<SseChoice> choices;
  choices.push_back(SseChoice{Fake({{Ev(false, 5, "a", -1)}}, late), ""});
  choices.push_back(
      SseChoice{Fake({}, Ok("stop", 1, 0), &second_cancelled), ""});
  SseStreamer s(Config(false), std::move(choices));
  auto p = Drain(s);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(P(p[0])["choices"][0]["text"], "a");
  Json err = P(p[1]);
  EXPECT_EQ(err["error"]["message"], "past the deadline");
  EXPECT_EQ(err["error"]["type"], "server_error");
  EXPECT_EQ(p[2], "[DONE]");
  EXPECT_TRUE(second_cancelled);
}

TEST(SseStreamerTest, StopGraceCancelsAndReportsShutdown) {
  CompletionSummary cancelled;
  cancelled.status = absl::CancelledError("cancelled");
  bool was_cancelled = false;
  SseConfig config = Config(true);
  config.stop_expired = [] { return true; };
  std::vector<SseChoice> choices;
  choices.push_back(SseChoice{Fake({}, cancelled, &was_cancelled), ""});
  SseStreamer s(std::move(config), std::move(choices));
  auto p = Drain(s);
  EXPECT_TRUE(was_cancelled);
  ASSERT_EQ(p.size(), 3u);  // role, error, DONE
  EXPECT_THAT(P(p[1])["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("shut down"));
  EXPECT_EQ(p[2], "[DONE]");
}

TEST(SseStreamerTest, CancelAllReachesUnfinishedStreams) {
  bool cancelled = false;
  std::vector<SseChoice> choices;
  choices.push_back(SseChoice{
      Fake({{Ev(false, 5, "a", -1)}, {}}, Ok("stop", 1, 1), &cancelled), ""});
  SseStreamer s(Config(false), std::move(choices));
  s.Next(absl::ZeroDuration());
  EXPECT_FALSE(s.done());
  s.CancelAll();
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace seedlm::serve
