#include "server/inference/openai_api.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/inference/inference_core.h"

namespace seedlm::serve {
namespace {

using ::testing::HasSubstr;

// The error object a body's parse failure becomes.
ApiError CompletionsError(const std::string& body) {
  auto r = ParseCompletionsRequest(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? ApiError{} : ApiErrorFor(r.status());
}
ApiError ChatError(const std::string& body) {
  auto r = ParseChatRequest(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? ApiError{} : ApiErrorFor(r.status());
}

TEST(OpenAiApiTest, ParsesACompletionsRequest) {
  auto r = ParseCompletionsRequest(R"({
      "model": "m", "prompt": "Once", "max_tokens": 7, "temperature": 0.5,
      "top_p": 0.9, "seed": 42, "stop": ["\n", "end"], "n": 1, "echo": true,
      "logprobs": 3, "stream": true, "stream_options": {"include_usage": true},
      "presence_penalty": 0, "user": "ignored", "unknown": {"x": [1]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->gen.model, "m");
  ASSERT_EQ(r->prompts.size(), 1u);
  EXPECT_TRUE(r->prompts[0].is_text);
  EXPECT_EQ(r->prompts[0].text, "Once");
  EXPECT_EQ(r->gen.max_tokens, 7);
  EXPECT_EQ(r->gen.sampler.temperature, 0.5);
  EXPECT_EQ(r->gen.sampler.top_p, 0.9);
  EXPECT_EQ(r->gen.sampler.seed, 42u);
  EXPECT_EQ(r->gen.stop, (std::vector<std::string>{"\n", "end"}));
  EXPECT_TRUE(r->echo);
  EXPECT_EQ(r->logprobs, 3);
  EXPECT_TRUE(r->gen.stream);
  EXPECT_TRUE(r->gen.include_usage);
}

TEST(OpenAiApiTest, CompletionsDefaults) {
  auto r = ParseCompletionsRequest(R"({"prompt": "x", "stop": null,
                                       "max_tokens": null, "logprobs": null})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->gen.model, "");
  EXPECT_FALSE(r->gen.max_tokens.has_value());
  EXPECT_EQ(r->gen.sampler.temperature, 1.0);  // OpenAI's default
  EXPECT_EQ(r->gen.sampler.top_p, 1.0);
  EXPECT_TRUE(r->gen.stop.empty());
  EXPECT_FALSE(r->echo);
  EXPECT_FALSE(r->logprobs.has_value());
  EXPECT_FALSE(r->gen.stream);
  EXPECT_FALSE(r->gen.include_usage);
}

TEST(OpenAiApiTest, PromptForms) {
  auto one = ParseCompletionsRequest(R"({"prompt": "a", "stop": "s"})");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->gen.stop, std::vector<std::string>{"s"});
  auto texts = ParseCompletionsRequest(R"({"prompt": ["a", "b", ""]})");
  ASSERT_TRUE(texts.ok()) << texts.status();
  ASSERT_EQ(texts->prompts.size(), 3u);
  EXPECT_EQ(texts->prompts[1].text, "b");
  EXPECT_EQ(texts->prompts[2].text, "");
  auto ids = ParseCompletionsRequest(R"({"prompt": [1, 403, 407]})");
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->prompts.size(), 1u);
  EXPECT_FALSE(ids->prompts[0].is_text);
  EXPECT_EQ(ids->prompts[0].ids, (std::vector<int32_t>{1, 403, 407}));
  auto lists = ParseCompletionsRequest(R"({"prompt": [[1, 2], [3], "t"]})");
  ASSERT_TRUE(lists.ok()) << lists.status();
  ASSERT_EQ(lists->prompts.size(), 3u);
  EXPECT_EQ(lists->prompts[0].ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(lists->prompts[1].ids, (std::vector<int32_t>{3}));
  EXPECT_TRUE(lists->prompts[2].is_text);
}

TEST(OpenAiApiTest, MaxCompletionTokensWins) {
  auto r = ParseCompletionsRequest(
      R"({"prompt": "x", "max_tokens": 5, "max_completion_tokens": 9})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gen.max_tokens, 9);
}

TEST(OpenAiApiTest, UnseededRequestsDrawDifferentSeeds) {
  auto a = ParseCompletionsRequest(R"({"prompt": "x"})");
  auto b = ParseCompletionsRequest(R"({"prompt": "x"})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->gen.sampler.seed, b->gen.sampler.seed);
  auto neg = ParseCompletionsRequest(R"({"prompt": "x", "seed": -1})");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->gen.sampler.seed, ~uint64_t{0});
}

struct BadCase {
  const char* body;
  const char* param;  // "" for none
  const char* message_part;
};

TEST(OpenAiApiTest, CompletionsValidation) {
  const std::string too_many_prompts = [] {
    std::string s = R"({"prompt": [)";
    for (int i = 0; i <= kMaxPromptsPerRequest; ++i) {
      s += i ? ",\"p\"" : "\"p\"";
    }
    return s + "]}";
  }();
  const std::string too_many_stops = [] {
    std::string s = R"({"prompt": "x", "stop": [)";
    for (int i = 0; i <= kMaxStopStrings; ++i) s += i ? ",\"s\"" : "\"s\"";
    return s + "]}";
  }();
  const std::string long_stop =
      absl::StrCat(R"({"prompt": "x", "stop": ")",
                   std::string(kMaxStopStringBytes + 1, 'a'), R"("})");
  const std::vector<BadCase> cases = {
      {R"({"prompt": )", "", "could not parse the JSON"},
      {R"([1, 2])", "", "must be a JSON object"},
      {R"("text")", "", "must be a JSON object"},
      {R"({})", "prompt", "missing"},
      {R"({"prompt": 5})", "prompt", "expected a string or an array"},
      {R"({"prompt": []})", "prompt", "empty"},
      {R"({"prompt": [[]]})", "prompt", "empty token list"},
      {R"({"prompt": [1, "a"]})", "prompt", "prompt[1]"},
      {R"({"prompt": [-1]})", "prompt", "outside"},
      {R"({"prompt": [1.5]})", "prompt", "integer"},
      {R"({"prompt": ["a", 3]})", "prompt", "prompt[1]"},
      {R"({"prompt": [[1], [2, "x"]]})", "prompt", "prompt[1][1]"},
      {too_many_prompts.c_str(), "prompt", "at most"},
      {R"({"prompt": "x", "model": 3})", "model", "string"},
      {R"({"prompt": "x", "max_tokens": -1})", "max_tokens", "outside"},
      {R"({"prompt": "x", "max_tokens": "5"})", "max_tokens", "integer"},
      {R"({"prompt": "x", "max_tokens": 1e12})", "max_tokens", "outside"},
      {R"({"prompt": "x", "max_tokens": 2.5})", "max_tokens", "integer"},
      {R"({"prompt": "x", "max_completion_tokens": -3})",
       "max_completion_tokens", "outside"},
      {R"({"prompt": "x", "temperature": -0.1})", "temperature", ""},
      {R"({"prompt": "x", "temperature": 2.5})", "temperature", ""},
      {R"({"prompt": "x", "temperature": "hot"})", "temperature", ""},
      {R"({"prompt": "x", "top_p": 0})", "top_p", "greater than 0"},
      {R"({"prompt": "x", "top_p": 1.5})", "top_p", ""},
      {R"({"prompt": "x", "seed": "s"})", "seed", "integer"},
      {R"({"prompt": "x", "n": 2})", "n", "only n = 1"},
      {R"({"prompt": "x", "n": 0})", "n", "only n = 1"},
      {R"({"prompt": "x", "n": "1"})", "n", "integer"},
      {R"({"prompt": "x", "stop": 1})", "stop", "string or an array"},
      {R"({"prompt": "x", "stop": [1]})", "stop", "stop[0]"},
      {R"({"prompt": "x", "stop": [""]})", "stop", "1 to"},
      {long_stop.c_str(), "stop", "1 to"},
      {too_many_stops.c_str(), "stop", "at most"},
      {R"({"prompt": "x", "stream": "yes"})", "stream", "bool"},
      {R"({"prompt": "x", "stream_options": 1})", "stream_options", "object"},
      {R"({"prompt": "x", "stream_options": {"include_usage": 1}})",
       "stream_options", "bool"},
      {R"({"prompt": "x", "echo": 1})", "echo", "bool"},
      {R"({"prompt": "x", "logprobs": 6})", "logprobs", "outside"},
      {R"({"prompt": "x", "logprobs": -1})", "logprobs", "outside"},
      {R"({"prompt": "x", "logprobs": true})", "logprobs", "integer"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.body);
    ApiError e = CompletionsError(c.body);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.param, c.param);
    EXPECT_THAT(e.message, HasSubstr(c.message_part));
    EXPECT_EQ(e.code, "");
  }
}

TEST(OpenAiApiTest, RefusesDeepOrOversizedBodies) {
  std::string deep = R"({"prompt": "x", "z": )";
  deep += std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(CompletionsError(deep).http_status, 400);
  std::string big =
      R"({"prompt": ")" + std::string(kMaxRequestBytes, 'a') + R"("})";
  EXPECT_EQ(CompletionsError(big).http_status, 400);
  std::string long_prompt =
      R"({"prompt": ")" + std::string(kMaxPromptBytes + 1, 'a') + R"("})";
  ApiError e = CompletionsError(long_prompt);
  EXPECT_EQ(e.param, "prompt");
  EXPECT_THAT(e.message, HasSubstr("longer than"));
}

TEST(OpenAiApiTest, ParsesAChatRequest) {
  auto r = ParseChatRequest(R"({"model": "m", "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                   {"type": "text", "text": "there"}],
       "name": "bob"},
      {"role": "assistant", "content": null}],
      "max_completion_tokens": 12, "logprobs": true, "top_logprobs": 2,
      "stop": "\n"})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[0].role, "system");
  EXPECT_EQ(r->messages[0].content, "Be brief.");
  EXPECT_EQ(r->messages[1].content, "Hi there");
  EXPECT_EQ(r->messages[2].content, "");
  EXPECT_EQ(r->gen.max_tokens, 12);
  EXPECT_TRUE(r->logprobs);
  EXPECT_EQ(r->top_logprobs, 2);
  auto plain = ParseChatRequest(R"({"messages": [{"role": "user",
                                    "content": "x"}], "top_logprobs": 0})");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->logprobs);
  EXPECT_FALSE(plain->gen.max_tokens.has_value());
}

TEST(OpenAiApiTest, ChatValidation) {
  std::string too_many = R"({"messages": [)";
  for (int i = 0; i <= kMaxChatMessages; ++i) {
    too_many += i ? "," : "";
    too_many += R"({"role": "user", "content": "x"})";
  }
  too_many += "]}";
  const std::vector<BadCase> cases = {
      {R"({"messages": "hi"})", "messages", "array"},
      {R"({})", "messages", "missing"},
      {R"({"messages": []})", "messages", "empty"},
      {R"({"messages": [1]})", "messages", "object"},
      {R"({"messages": [{"content": "x"}]})", "messages", "role"},
      {R"({"messages": [{"role": "", "content": "x"}]})", "messages", "empty"},
      {R"({"messages": [{"role": 1, "content": "x"}]})", "messages", "string"},
      {R"({"messages": [{"role": "user", "content": 3}]})", "messages",
       "content"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url",
          "image_url": {"url": "u"}}]}]})",
       "messages", "not supported"},
      {R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})",
       "messages", "text"},
      {too_many.c_str(), "messages", "at most"},
      {R"({"messages": [{"role": "user", "content": "x"}],
          "top_logprobs": 2})",
       "top_logprobs", "logprobs must be true"},
      {R"({"messages": [{"role": "user", "content": "x"}], "logprobs": true,
          "top_logprobs": 21})",
       "top_logprobs", "outside"},
      {R"({"messages": [{"role": "user", "content": "x"}], "logprobs": 1})",
       "logprobs", "bool"},
      {R"({"messages": [{"role": "user", "content": "x"}], "n": 3})", "n",
       "only n = 1"},
      {R"({"messages": [{"role": "user", "content": "x"}],
          "max_tokens": -5})",
       "max_tokens", "outside"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.body);
    ApiError e = ChatError(c.body);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.param, c.param);
    EXPECT_THAT(e.message, HasSubstr(c.message_part));
  }
}

TEST(OpenAiApiTest, StatusToHttp) {
  using absl::StatusCode;
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnknown), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnimplemented), 501);

  ApiError busy = ApiErrorFor(absl::ResourceExhaustedError("full"));
  EXPECT_EQ(busy.http_status, 429);
  EXPECT_EQ(busy.code, "rate_limit_exceeded");
  EXPECT_EQ(busy.message, "full");
  ApiError auth = ApiErrorFor(absl::UnauthenticatedError("no token"));
  EXPECT_EQ(auth.http_status, 401);
  EXPECT_EQ(auth.code, "invalid_api_key");
  ApiError internal = ApiErrorFor(absl::InternalError("boom"));
  EXPECT_EQ(internal.type, "server_error");
  EXPECT_EQ(internal.param, "");
}

TEST(OpenAiApiTest, ErrorBodyShape) {
  Json body = ErrorBody(ApiErrorFor(ParamError("max_tokens", "bad")));
  ASSERT_TRUE(body.contains("error"));
  const Json& e = body["error"];
  EXPECT_EQ(e.size(), 4u);
  EXPECT_EQ(e["message"], "bad");
  EXPECT_EQ(e["type"], "invalid_request_error");
  EXPECT_EQ(e["param"], "max_tokens");
  EXPECT_TRUE(e["code"].is_null());
  Json plain = ErrorBody(ApiErrorFor(absl::InternalError("x")));
  EXPECT_TRUE(plain["error"]["param"].is_null());
}

TEST(OpenAiApiTest, CheckModel) {
  EXPECT_TRUE(CheckModel("", "served").ok());
  EXPECT_TRUE(CheckModel("served", "served").ok());
  absl::Status s = CheckModel("gpt-4", "served");
  ApiError e = ApiErrorFor(s);
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.code, "model_not_found");
  EXPECT_EQ(e.param, "model");
  EXPECT_THAT(e.message, HasSubstr("gpt-4"));
}

TEST(OpenAiApiTest, ToEngineRequest) {
  GenerationParams gen;
  gen.sampler.temperature = 0.7;
  gen.sampler.top_p = 0.5;
  gen.sampler.seed = 9;
  gen.stop = {"x"};
  const absl::Time deadline = absl::FromUnixSeconds(100);
  CompletionRequest r = ToEngineRequest(gen, {1, 2}, 11, 3, true, deadline);
  EXPECT_EQ(r.prompt_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(r.max_tokens, 11);
  EXPECT_EQ(r.sampler.temperature, 0.7);
  EXPECT_EQ(r.sampler.top_p, 0.5);
  EXPECT_EQ(r.sampler.seed, 9u);
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r.top_logprobs, 3);
  EXPECT_TRUE(r.prompt_logprobs);
  EXPECT_EQ(r.deadline, deadline);
}

TEST(OpenAiApiTest, FinishReasonsAndIds) {
  EXPECT_EQ(OpenAiFinishReason("stop"), "stop");
  EXPECT_EQ(OpenAiFinishReason("length"), "length");
  EXPECT_EQ(OpenAiFinishReason("context"), "length");
  const std::string a = NewRequestId("cmpl-"), b = NewRequestId("cmpl-");
  EXPECT_EQ(a.size(), 5u + 24u);
  EXPECT_EQ(a.rfind("cmpl-", 0), 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 5), std::string::npos);
}

TokenEvent Event(bool prompt, int32_t id, const std::string& text, float lp,
                 std::vector<TokenLogprob> top = {}) {
  TokenEvent e;
  e.is_prompt = prompt;
  e.id = id;
  e.text = text;
  e.logprob = lp;
  e.top = std::move(top);
  return e;
}

std::string FakeTokenText(int32_t id) { return absl::StrCat("<", id, ">"); }

ChoiceResult SampleChoice() {
  ChoiceResult c;
  c.prompt_text = "Hi";
  c.prompt_events = {Event(true, 1, "", 0), Event(true, 7, "Hi", -1.5f)};
  c.events = {Event(false, 8, " there", -0.25f, {{8, -0.25f}, {9, -2.0f}}),
              Event(false, 2, "!", -0.5f, {{3, -0.1f}})};
  c.finish_reason = "length";
  c.prompt_tokens = 2;
  c.completion_tokens = 2;
  return c;
}

TEST(OpenAiApiTest, CompletionResponseShape) {
  const ChoiceResult c = SampleChoice();
  Json r = CompletionResponse("cmpl-1", 123, "m", {c}, /*echo=*/false,
                              std::nullopt, FakeTokenText);
  EXPECT_EQ(r.size(), 6u);
  EXPECT_EQ(r["id"], "cmpl-1");
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["created"], 123);
  EXPECT_EQ(r["model"], "m");
  ASSERT_EQ(r["choices"].size(), 1u);
  const Json& ch = r["choices"][0];
  EXPECT_EQ(ch.size(), 4u);
  EXPECT_EQ(ch["text"], " there!");
  EXPECT_EQ(ch["index"], 0);
  EXPECT_TRUE(ch["logprobs"].is_null());
  EXPECT_EQ(ch["finish_reason"], "length");
  EXPECT_EQ(r["usage"], (Json{{"prompt_tokens", 2},
                              {"completion_tokens", 2},
                              {"total_tokens", 4}}));

  ChoiceResult second = c;
  second.finish_reason = "stop";
  Json two = CompletionResponse("cmpl-2", 1, "m", {c, second}, false,
                                std::nullopt, FakeTokenText);
  ASSERT_EQ(two["choices"].size(), 2u);
  EXPECT_EQ(two["choices"][1]["index"], 1);
  EXPECT_EQ(two["choices"][1]["finish_reason"], "stop");
  EXPECT_EQ(two["usage"]["total_tokens"], 8);
}

TEST(OpenAiApiTest, LegacyLogprobsWithoutEcho) {
  Json r = CompletionResponse("cmpl-1", 1, "m", {SampleChoice()}, false, 2,
                              FakeTokenText);
  const Json& lp = r["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.is_object());
  EXPECT_EQ(lp.size(), 4u);
  EXPECT_EQ(lp["tokens"], (Json{" there", "!"}));
  EXPECT_FLOAT_EQ(lp["token_logprobs"][0].get<float>(), -0.25f);
  EXPECT_FLOAT_EQ(lp["token_logprobs"][1].get<float>(), -0.5f);
  // Alternatives by text, plus the chosen token when not among them.
  EXPECT_EQ(lp["top_logprobs"][0].size(), 2u);
  EXPECT_FLOAT_EQ(lp["top_logprobs"][0]["<9>"].get<float>(), -2.0f);
  EXPECT_EQ(lp["top_logprobs"][1].size(), 2u);
  EXPECT_FLOAT_EQ(lp["top_logprobs"][1]["<3>"].get<float>(), -0.1f);
  EXPECT_FLOAT_EQ(lp["top_logprobs"][1]["<2>"].get<float>(), -0.5f);
  EXPECT_EQ(lp["text_offset"], (Json{0, 6}));
}

TEST(OpenAiApiTest, LegacyLogprobsWithEcho) {
  Json r = CompletionResponse("cmpl-1", 1, "m", {SampleChoice()}, true, 0,
                              FakeTokenText);
  const Json& ch = r["choices"][0];
  EXPECT_EQ(ch["text"], "Hi there!");
  const Json& lp = ch["logprobs"];
  EXPECT_EQ(lp["tokens"], (Json{"", "Hi", " there", "!"}));
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_FLOAT_EQ(lp["token_logprobs"][1].get<float>(), -1.5f);
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  EXPECT_EQ(lp["top_logprobs"][1], (Json{{"<7>", -1.5f}}));
  EXPECT_EQ(lp["text_offset"], (Json{0, 0, 2, 8}));
  // Echo without logprobs: the prompt's text leads, logprobs stays null.
  Json plain = CompletionResponse("cmpl-1", 1, "m", {SampleChoice()}, true,
                                  std::nullopt, FakeTokenText);
  EXPECT_EQ(plain["choices"][0]["text"], "Hi there!");
  EXPECT_TRUE(plain["choices"][0]["logprobs"].is_null());
}

TEST(OpenAiApiTest, LegacyLogprobsOffsetStartsWhereTold) {
  const ChoiceResult c = SampleChoice();
  Json lp = LegacyLogprobs(absl::MakeConstSpan(c.events).subspan(1), 6,
                           FakeTokenText);
  EXPECT_EQ(lp["text_offset"], Json{6});
  EXPECT_EQ(lp["tokens"], Json{"!"});
}

TEST(OpenAiApiTest, ChatResponseShape) {
  const ChoiceResult c = SampleChoice();
  Json r = ChatResponse("chatcmpl-1", 5, "m", c, false, FakeTokenText);
  EXPECT_EQ(r.size(), 6u);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["id"], "chatcmpl-1");
  EXPECT_EQ(r["created"], 5);
  const Json& ch = r["choices"][0];
  EXPECT_EQ(ch["index"], 0);
  EXPECT_EQ(ch["message"]["role"], "assistant");
  EXPECT_EQ(ch["message"]["content"], " there!");
  EXPECT_TRUE(ch["message"]["refusal"].is_null());
  EXPECT_TRUE(ch["logprobs"].is_null());
  EXPECT_EQ(ch["finish_reason"], "length");
  EXPECT_EQ(r["usage"]["total_tokens"], 4);

  Json with = ChatResponse("chatcmpl-1", 5, "m", c, true, FakeTokenText);
  const Json& lp = with["choices"][0]["logprobs"];
  EXPECT_TRUE(lp["refusal"].is_null());
  ASSERT_EQ(lp["content"].size(), 2u);
  const Json& first = lp["content"][0];
  EXPECT_EQ(first["token"], " there");
  EXPECT_FLOAT_EQ(first["logprob"].get<float>(), -0.25f);
  EXPECT_EQ(first["bytes"], (Json{32, 116, 104, 101, 114, 101}));
  ASSERT_EQ(first["top_logprobs"].size(), 2u);
  EXPECT_EQ(first["top_logprobs"][1]["token"], "<9>");
  EXPECT_FLOAT_EQ(first["top_logprobs"][1]["logprob"].get<float>(), -2.0f);
  EXPECT_EQ(first["top_logprobs"][1]["bytes"], (Json{60, 57, 62}));
}

TEST(OpenAiApiTest, ChunkShapes) {
  Json c = CompletionChunk("cmpl-1", 7, "m", 2, "tok", nullptr, "");
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["id"], "cmpl-1");
  EXPECT_EQ(c["choices"].size(), 1u);
  EXPECT_EQ(c["choices"][0]["text"], "tok");
  EXPECT_EQ(c["choices"][0]["index"], 2);
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(c["choices"][0]["logprobs"].is_null());
  EXPECT_FALSE(c.contains("usage"));
  Json last = CompletionChunk("cmpl-1", 7, "m", 0, "", nullptr, "stop");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");

  Json role =
      ChatChunk("chatcmpl-1", 7, "m",
                Json{{"role", "assistant"}, {"content", ""}}, nullptr, "");
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(role["choices"][0]["index"], 0);
  EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
  Json end = ChatChunk("chatcmpl-1", 7, "m", Json::object(), nullptr, "length");
  EXPECT_TRUE(end["choices"][0]["delta"].is_object());
  EXPECT_TRUE(end["choices"][0]["delta"].empty());
  EXPECT_EQ(end["choices"][0]["finish_reason"], "length");

  Json usage = UsageChunk("chatcmpl-1", 7, "m", "chat.completion.chunk", 3, 4);
  EXPECT_TRUE(usage["choices"].is_array());
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["total_tokens"], 7);
  EXPECT_EQ(usage["object"], "chat.completion.chunk");
}

TEST(OpenAiApiTest, Models) {
  Json list = ModelList("stories", 11);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0], ModelObject("stories", 11));
  Json m = ModelObject("stories", 11);
  EXPECT_EQ(m, (Json{{"id", "stories"},
                     {"object", "model"},
                     {"created", 11},
                     {"owned_by", "seedlm"}}));
}

TEST(OpenAiApiTest, SseFraming) {
  EXPECT_EQ(SseData(Json{{"a", 1}}), "data: {\"a\":1}\n\n");
  // Newlines inside strings are escaped: one event stays one line.
  EXPECT_EQ(SseData(Json{{"t", "x\ny"}}), "data: {\"t\":\"x\\ny\"}\n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
}

}  // namespace
}  // namespace seedlm::serve
