// A real HttpApiServer on 127.0.0.1:0 over a real InferenceCore serving
// stories260K (../shared/data), driven by httplib::Client.
#include "server/inference/http_server.h"

#include <httplib.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/runtime/generate.h"
#include "core/util/json_util.h"
#include "core/util/shared_data_gtest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"

namespace seedlm::serve {
namespace {

using ::testing::HasSubstr;

const std::string kModelId = "stories260K";
// A small ChatML-style template for the chat endpoint's tests.
constexpr char kChatTemplate[] =
    "{% for message in messages %}<|{{ message['role'] }}|>"
    "{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}";

std::string ModelPath() {
  return SharedDataPath("data/stories260K/stories260K.bin");
}
std::string TokenizerPath() {
  return SharedDataPath("data/stories260K/tok512.bin");
}

Json Body(const httplib::Result& r) {
  auto j = ParseJson(r->body, "response");
  EXPECT_TRUE(j.ok()) << r->body;
  return j.ok() ? *j : Json();
}

// The "data: " payloads of an SSE body; checks the framing.
std::vector<std::string> SsePayloads(const std::string& body) {
  std::vector<std::string> out;
  EXPECT_TRUE(absl::EndsWith(body, "data: [DONE]\n\n")) << body;
  for (absl::string_view ev : absl::StrSplit(body, "\n\n", absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(ev, "data: ")) << ev;
    out.emplace_back(ev.substr(6));
  }
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { SEEDLM_NEED_SHARED_FILE(ModelPath()); }

  // Loads the core and starts a server; false (with a failure) on error.
  bool Start(EngineOptions engine = {}, HttpServerOptions http = {},
             std::string chat_template = "") {
    ServeOptions options;
    options.engine = engine;
    options.model_id = kModelId;
    options.chat_template_override = std::move(chat_template);
    auto core = InferenceCore::Load(ModelPath(), TokenizerPath(), options);
    EXPECT_TRUE(core.ok()) << core.status();
    if (!core.ok()) return false;
    core_ = std::move(*core);
    server_ = std::make_unique<HttpApiServer>(core_.get(), std::move(http));
    auto port = server_->Start("127.0.0.1", 0);
    EXPECT_TRUE(port.ok()) << port.status();
    if (!port.ok()) return false;
    port_ = *port;
    EXPECT_GT(port_, 0);
    EXPECT_EQ(server_->port(), port_);
    return true;
  }

  std::unique_ptr<httplib::Client> Client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(60, 0);
    return c;
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const httplib::Headers& headers = {}) {
    return Client()->Post(path.c_str(), headers, body, "application/json");
  }

  // The greedy text of `prompt` by core Generate (generate.h).
  std::string GreedyText(const std::string& prompt, int max_tokens,
                         std::string* finish = nullptr) {
    GenerateOptions o;
    o.max_tokens = max_tokens;
    auto r = Generate(core_->model(), core_->tokenizer(), prompt, o, nullptr,
                      nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return "";
    if (finish != nullptr) *finish = r->finish_reason;
    return r->text;
  }

  // Checks an error response: status, OpenAI error object, Retry-After.
  void ExpectError(const httplib::Result& r, int status,
                   const std::string& message_part,
                   const std::string& param = "") {
    ASSERT_TRUE(r) << "no response";
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_THAT(r->get_header_value("Content-Type"),
                HasSubstr("application/json"));
    Json j = Body(r);
    ASSERT_TRUE(j.contains("error")) << r->body;
    const Json& e = j["error"];
    EXPECT_TRUE(e["message"].is_string());
    EXPECT_THAT(e["message"].get<std::string>(), HasSubstr(message_part));
    EXPECT_TRUE(e["type"].is_string());
    if (!param.empty()) {
      EXPECT_EQ(e["param"], param);
    }
    EXPECT_TRUE(e.contains("code"));
  }

  // Waits (bounded) until the engine runs nothing: it releases a finished
  // sequence's slot after the step that finished it.
  void WaitIdle() {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (core_->stats().running != 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    EXPECT_EQ(core_->stats().running, 0);
  }

  // A good request still works.
  void ExpectServing() {
    auto r = Post("/v1/completions",
                  R"({"prompt": "Lily", "max_tokens": 3, "temperature": 0})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
  }

  std::unique_ptr<InferenceCore> core_;
  std::unique_ptr<HttpApiServer> server_;
  int port_ = 0;
};

TEST_F(HttpServerTest, GreedyCompletionEqualsGenerate) {
  ASSERT_TRUE(Start());
  const std::string prompt = "Once upon a time";
  std::string finish;
  const std::string expected = GreedyText(prompt, 40, &finish);
  ASSERT_FALSE(expected.empty());
  auto r = Post("/v1/completions",
                absl::StrCat(R"({"model": "stories260K", "prompt": ")", prompt,
                             R"(", "max_tokens": 40, "temperature": 0})"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Body(r);
  EXPECT_TRUE(absl::StartsWith(j["id"].get<std::string>(), "cmpl-"));
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], kModelId);
  EXPECT_TRUE(j["created"].is_number_integer());
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["text"], expected);
  EXPECT_EQ(j["choices"][0]["finish_reason"],
            finish == "length" ? "length" : "stop");
  const Json& u = j["usage"];
  EXPECT_GT(u["prompt_tokens"].get<int>(), 1);
  EXPECT_GT(u["completion_tokens"].get<int>(), 0);
  EXPECT_EQ(u["total_tokens"].get<int>(),
            u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
  // Token ids as the prompt, and a list of prompts: one choice each.
  auto ids = core_->Tokenize(prompt, true);
  ASSERT_TRUE(ids.ok());
  auto two =
      Post("/v1/completions",
           absl::StrCat(R"({"prompt": [)", DumpJson(*ids), R"(, ")", prompt,
                        R"("], "max_tokens": 40, "temperature": 0})"));
  ASSERT_TRUE(two);
  ASSERT_EQ(two->status, 200) << two->body;
  Json t = Body(two);
  ASSERT_EQ(t["choices"].size(), 2u);
  EXPECT_EQ(t["choices"][0]["text"], expected);
  EXPECT_EQ(t["choices"][1]["text"], expected);
  EXPECT_EQ(t["choices"][1]["index"], 1);
  EXPECT_EQ(t["usage"]["prompt_tokens"].get<int>(),
            2 * u["prompt_tokens"].get<int>());
}

TEST_F(HttpServerTest, StreamedDeltasEqualTheNonStreamedText) {
  ASSERT_TRUE(Start());
  const std::string expected = GreedyText("Lily went", 60);
  // Asks for gzip without decompressing: the stream must come unencoded.
  auto client = Client();
  client->set_decompress(false);
  auto r = client->Post(
      "/v1/completions", {{"Accept-Encoding", "gzip, deflate"}},
      R"({"prompt": "Lily went", "max_tokens": 60, "temperature": 0,
          "stream": true, "stream_options": {"include_usage": true}})",
      "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->get_header_value("Content-Type"),
              HasSubstr("text/event-stream"));
  EXPECT_FALSE(r->has_header("Content-Encoding"));
  auto payloads = SsePayloads(r->body);
  ASSERT_GE(payloads.size(), 4u);
  EXPECT_EQ(payloads.back(), "[DONE]");
  std::string text, id;
  std::string finish;
  for (size_t i = 0; i + 2 < payloads.size(); ++i) {
    Json c = Json::parse(payloads[i]);
    EXPECT_EQ(c["object"], "text_completion");
    if (id.empty()) id = c["id"];
    EXPECT_EQ(c["id"], id);  // one id for the whole stream
    ASSERT_EQ(c["choices"].size(), 1u);
    text += c["choices"][0]["text"].get<std::string>();
    if (!c["choices"][0]["finish_reason"].is_null()) {
      EXPECT_EQ(i + 3, payloads.size()) << "finish_reason before the end";
      finish = c["choices"][0]["finish_reason"];
    }
  }
  EXPECT_EQ(text, expected);
  EXPECT_FALSE(finish.empty());
  Json usage = Json::parse(payloads[payloads.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_GT(usage["usage"]["completion_tokens"].get<int>(), 0);
}

TEST_F(HttpServerTest, EchoAndLogprobs) {
  ASSERT_TRUE(Start());
  auto r = Post("/v1/completions",
                R"({"prompt": "Once upon", "max_tokens": 5, "temperature": 0,
                    "echo": true, "logprobs": 2})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Body(r);
  const Json& c = j["choices"][0];
  const std::string text = c["text"];
  EXPECT_TRUE(absl::StartsWith(text, "Once upon")) << text;
  const Json& lp = c["logprobs"];
  const int prompt_tokens = j["usage"]["prompt_tokens"];
  const int completion_tokens = j["usage"]["completion_tokens"];
  ASSERT_EQ(lp["tokens"].size(),
            static_cast<size_t>(prompt_tokens + completion_tokens));
  ASSERT_EQ(lp["token_logprobs"].size(), lp["tokens"].size());
  ASSERT_EQ(lp["top_logprobs"].size(), lp["tokens"].size());
  ASSERT_EQ(lp["text_offset"].size(), lp["tokens"].size());
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  std::string generated;
  for (size_t i = 1; i < lp["tokens"].size(); ++i) {
    EXPECT_LE(lp["token_logprobs"][i].get<double>(), 0.0);
    EXPECT_GE(lp["top_logprobs"][i].size(), 1u);
    EXPECT_LE(lp["top_logprobs"][i].size(), 3u);
    EXPECT_GE(lp["text_offset"][i].get<int>(),
              lp["text_offset"][i - 1].get<int>());
    if (i >= static_cast<size_t>(prompt_tokens)) {
      generated += lp["tokens"][i].get<std::string>();
    }
  }
  EXPECT_EQ(text, "Once upon" + generated);
  // Greedy: the chosen token is the most likely alternative.
  const size_t last = lp["tokens"].size() - 1;
  double best = -1e30;
  for (auto& [k, v] : lp["top_logprobs"][last].items()) {
    best = std::max(best, v.get<double>());
  }
  EXPECT_DOUBLE_EQ(best, lp["token_logprobs"][last].get<double>());
}

TEST_F(HttpServerTest, RequestErrorsKeepTheServerServing) {
  EngineOptions engine;
  engine.max_batch = 2;
  ASSERT_TRUE(Start(engine));
  ExpectError(Post("/v1/completions", R"({"prompt": )"), 400, "JSON");
  ExpectError(Post("/v1/completions", R"({"prompt": 3})"), 400, "prompt",
              "prompt");
  ExpectError(Post("/v1/completions", R"({"prompt": "x", "max_tokens": -1})"),
              400, "max_tokens", "max_tokens");
  ExpectError(
      Post("/v1/completions", R"({"prompt": "x", "max_tokens": "many"})"), 400,
      "integer", "max_tokens");
  ExpectError(
      Post("/v1/completions",
           R"({"prompt": "x", "temperature": 0, "max_tokens": 100000})"),
      400, "100000");
  ExpectError(Post("/v1/completions", R"({"prompt": [100000]})"), 400, "");
  ExpectError(Post("/v1/completions", R"({"prompt": "x", "n": 2})"), 400,
              "n = 1", "n");
  auto unknown =
      Post("/v1/completions", R"({"model": "gpt-4", "prompt": "x"})");
  ExpectError(unknown, 404, "gpt-4", "model");
  EXPECT_EQ(Body(unknown)["error"]["code"], "model_not_found");
  ExpectError(Post("/v1/chat/completions",
                   R"({"messages": [{"role": "user", "content": "hi"}]})"),
              400, "chat template");
  ExpectError(Post("/v1/nothing", "{}"), 404, "Unknown endpoint");
  ExpectError(Client()->Get("/v1/models/gpt-4"), 404, "gpt-4", "model");
  ExpectError(Post("/v1/completions", std::string(kMaxRequestBytes + 1, ' ')),
              413, "exceeds");
  ExpectServing();
  WaitIdle();
}

TEST_F(HttpServerTest, ModelsHealthAndMetrics) {
  ASSERT_TRUE(Start());
  auto list = Client()->Get("/v1/models");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  Json l = Body(list);
  EXPECT_EQ(l["object"], "list");
  ASSERT_EQ(l["data"].size(), 1u);
  EXPECT_EQ(l["data"][0]["id"], kModelId);
  EXPECT_EQ(l["data"][0]["object"], "model");
  EXPECT_EQ(l["data"][0]["owned_by"], "seedlm");
  auto one = Client()->Get(("/v1/models/" + kModelId).c_str());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(Body(one), l["data"][0]);
  auto health = Client()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  auto metrics = Client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("seedlm_serve_running_batch_size 0"));
}

TEST_F(HttpServerTest, BearerTokens) {
  const std::string dir = ::testing::TempDir() + "/http_tokens";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/tokens");
    f << "client-token-1 client alice\nworker-token-2 worker bob\n";
  }
  auto table = rpc::TokenTable::Load(dir + "/tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  HttpServerOptions http;
  http.authorize = [t = *table](const std::string& token) {
    return t.Check(token, rpc::Role::kClient).status();
  };
  ASSERT_TRUE(Start({}, http));
  const std::string body = R"({"prompt": "x", "max_tokens": 2})";
  auto none = Post("/v1/completions", body);
  ExpectError(none, 401, "");
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  ExpectError(Post("/v1/completions", body,
                   {{"Authorization", "Bearer wrong-token-9"}}),
              401, "");
  ExpectError(Post("/v1/completions", body,
                   {{"Authorization", "Bearer worker-token-2"}}),
              403, "");
  ExpectError(Client()->Get("/v1/models"), 401, "");
  auto ok = Post("/v1/completions", body,
                 {{"Authorization", "Bearer client-token-1"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  auto health = Client()->Get("/healthz");  // probes need no token
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpServerTest, ChatCompletionsWithATemplate) {
  ASSERT_TRUE(Start({}, {}, kChatTemplate));
  const std::string body =
      R"({"model": "stories260K", "messages": [{"role": "user",
          "content": "Tell me a story"}], "max_tokens": 30, "temperature": 0,
          "logprobs": true, "top_logprobs": 2)";
  auto r = Post("/v1/chat/completions", body + "}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json j = Body(r);
  EXPECT_TRUE(absl::StartsWith(j["id"].get<std::string>(), "chatcmpl-"));
  EXPECT_EQ(j["object"], "chat.completion");
  const Json& c = j["choices"][0];
  EXPECT_EQ(c["message"]["role"], "assistant");
  const std::string content = c["message"]["content"];
  EXPECT_FALSE(content.empty());
  EXPECT_FALSE(c["finish_reason"].is_null());
  ASSERT_TRUE(c["logprobs"]["content"].is_array());
  // One entry per emitted token (a stopping token may emit none).
  const size_t entries = c["logprobs"]["content"].size();
  const size_t completion = j["usage"]["completion_tokens"];
  EXPECT_LE(entries, completion);
  EXPECT_GE(entries + 1, completion);
  for (const Json& t : c["logprobs"]["content"]) {
    EXPECT_LE(t["top_logprobs"].size(), 2u);
  }
  auto s = Post("/v1/chat/completions", body + R"(, "stream": true})");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->status, 200) << s->body;
  auto payloads = SsePayloads(s->body);
  ASSERT_GE(payloads.size(), 3u);
  Json first = Json::parse(payloads[0]);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string streamed;
  for (size_t i = 1; i + 1 < payloads.size(); ++i) {
    Json d = Json::parse(payloads[i])["choices"][0]["delta"];
    if (d.contains("content")) streamed += d["content"].get<std::string>();
  }
  EXPECT_EQ(streamed, content);
  Json last = Json::parse(payloads[payloads.size() - 2]);
  EXPECT_EQ(last["choices"][0]["finish_reason"], c["finish_reason"]);
}

// A client that reads one event and hangs up: its request is cancelled and
// its slot frees; the next request is served.
TEST_F(HttpServerTest, DisconnectMidStreamFreesTheSlot) {
  EngineOptions engine;
  engine.max_batch = 1;
  engine.max_queue = 0;
  ASSERT_TRUE(Start(engine));
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.set_header("Content-Type", "application/json");
  req.body = R"({"prompt": "Once upon a time", "max_tokens": 400,
                 "temperature": 0, "stream": true})";
  int chunks = 0;
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
    ++chunks;
    return false;  // hang up after the first piece
  };
  auto r = Client()->send(req);
  EXPECT_EQ(chunks, 1);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && (server_->stats().client_disconnects < 1 ||
                                    core_->stats().running != 0)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(server_->stats().client_disconnects, 1);
  EXPECT_EQ(core_->stats().running, 0);
  ExpectServing();  // the one slot is free again
}

// With one slot and no queue, concurrent requests either complete with the
// greedy text or get 429 with Retry-After; at least one gets 429.
TEST_F(HttpServerTest, FullEngineGives429) {
  EngineOptions engine;
  engine.max_batch = 1;
  engine.max_queue = 0;
  ASSERT_TRUE(Start(engine));
  const std::string expected = GreedyText("Once upon a time", 400);
  constexpr int kClients = 12;
  std::vector<int> status(kClients, 0);
  std::vector<std::string> text(kClients), retry(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto r = Post("/v1/completions",
                    R"({"prompt": "Once upon a time", "max_tokens": 400,
                        "temperature": 0})");
      if (!r) return;
      status[i] = r->status;
      retry[i] = r->get_header_value("Retry-After");
      if (r->status == 200) text[i] = Body(r)["choices"][0]["text"];
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, busy = 0;
  for (int i = 0; i < kClients; ++i) {
    if (status[i] == 200) {
      ++ok;
      EXPECT_EQ(text[i], expected);
    } else {
      EXPECT_EQ(status[i], 429);
      EXPECT_EQ(retry[i], "1");
      ++busy;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(busy, 1);
  WaitIdle();
  ExpectServing();
}

// The per-request timeout: 504 with an error object, or an error event
// that ends the stream.
TEST_F(HttpServerTest, RequestTimeout) {
  HttpServerOptions http;
  http.request_timeout = absl::Microseconds(1);
  ASSERT_TRUE(Start({}, http));
  const std::string body =
      R"({"prompt": "Once upon a time", "max_tokens": 400, "temperature": 0)";
  ExpectError(Post("/v1/completions", body + "}"), 504, "");
  auto s = Post("/v1/completions", body + R"(, "stream": true})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 200);
  auto payloads = SsePayloads(s->body);
  ASSERT_GE(payloads.size(), 2u);
  Json err = Json::parse(payloads[payloads.size() - 2]);
  ASSERT_TRUE(err.contains("error")) << s->body;
  EXPECT_EQ(err["error"]["type"], "server_error");
  WaitIdle();
}

TEST_F(HttpServerTest, StopEndsServing) {
  ASSERT_TRUE(Start());
  ExpectServing();
  const absl::Time t0 = absl::Now();
  server_->Stop(absl::Seconds(1));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  auto r = Client()->Get("/healthz");
  EXPECT_FALSE(r);                      // nothing listens any more
  server_->Stop(absl::ZeroDuration());  // idempotent
}

// Stop with a stream in flight: the stream still ends cleanly (its own end,
// or an error event once the grace is over, then [DONE]) and Stop returns.
TEST_F(HttpServerTest, StopEndsStreamsInFlightCleanly) {
  ASSERT_TRUE(Start());
  std::atomic<bool> first{false};
  std::string body;
  std::thread client([&] {
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.set_header("Content-Type", "application/json");
    req.body = R"({"prompt": "Once upon a time", "max_tokens": 400,
                   "temperature": 0, "stream": true})";
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
      body.append(d, n);
      first = true;
      return true;
    };
    Client()->send(req);
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!first && absl::Now() < deadline)
    absl::SleepFor(absl::Microseconds(50));
  const absl::Time t0 = absl::Now();
  server_->Stop(absl::ZeroDuration());
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  client.join();
  EXPECT_TRUE(first);
  auto payloads = SsePayloads(body);
  ASSERT_GE(payloads.size(), 2u);
  Json last = Json::parse(payloads[payloads.size() - 2]);
  if (last.contains("error")) {
    EXPECT_THAT(last["error"]["message"].get<std::string>(),
                HasSubstr("shut down"));
  } else {
    EXPECT_FALSE(last["choices"][0]["finish_reason"].is_null());
  }
  WaitIdle();
}

TEST_F(HttpServerTest, StartRefusals) {
  ASSERT_TRUE(Start());
  EXPECT_EQ(server_->Start("127.0.0.1", 0).status().code(),
            absl::StatusCode::kFailedPrecondition);
  HttpServerOptions half;
  half.tls_cert_path = "cert.pem";
  HttpApiServer a(core_.get(), half);
  EXPECT_EQ(a.Start("127.0.0.1", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  HttpServerOptions missing;
  missing.tls_cert_path = "/nonexistent/cert.pem";
  missing.tls_key_path = "/nonexistent/key.pem";
  HttpApiServer b(core_.get(), missing);
  EXPECT_EQ(b.Start("127.0.0.1", 0).status().code(),
            absl::StatusCode::kNotFound);
  HttpApiServer c(core_.get(), {});
  EXPECT_EQ(c.Start("127.0.0.1", port_).status().code(),
            absl::StatusCode::kUnavailable);  // the port is taken
}

TEST_F(HttpServerTest, Tls) {
  const std::string dir = ::testing::TempDir() + "/http_tls";
  std::filesystem::create_directories(dir);
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1 -keyout ",
      dir, "/key.pem -out ", dir, "/cert.pem 2>/dev/null");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  HttpServerOptions http;
  http.tls_cert_path = dir + "/cert.pem";
  http.tls_key_path = dir + "/key.pem";
  ASSERT_TRUE(Start({}, http));
  httplib::SSLClient tls("127.0.0.1", port_);
  tls.set_ca_cert_path(dir + "/cert.pem");
  tls.enable_server_certificate_verification(true);
  auto r = tls.Get("/v1/models");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  auto plain = Client()->Get("/v1/models");
  EXPECT_FALSE(plain && plain->status == 200);
}

// tests/openai_compat_test.py (the OpenAI-client schema checks) against the
// live server, with and without a chat template.
int RunCompatScript(int port, const std::string& flags) {
  const std::string cmd = absl::StrCat(
      "python3 tests/openai_compat_test.py http://127.0.0.1:", port, " ",
      flags);
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(HttpServerTest, OpenAiCompatScriptWithoutChatTemplate) {
  ASSERT_TRUE(Start());
  EXPECT_EQ(RunCompatScript(port_, ""), 0);
}

TEST_F(HttpServerTest, OpenAiCompatScriptWithChatTemplate) {
  ASSERT_TRUE(Start({}, {}, kChatTemplate));
  EXPECT_EQ(RunCompatScript(port_, "--require-chat"), 0);
}

}  // namespace
}  // namespace seedlm::serve
