// seedlm-serve as users meet it: a real server process, called over gRPC
// (`seedlm complete`) and OpenAI-style HTTP, compared with `seedlm
// generate`; batching invariance, a load test at the capacity bound, a
// client that disconnects, refusals, auth, chat, the OpenAI-client schema
// script and the SIGTERM drain.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/model/synth.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"
#include "tests/serve_test_util.h"

namespace seedlm::testing {
namespace {

using nlohmann::json;

const std::string kModel = SharedDataPath("data/stories260K/stories260K.bin");
const std::string kTokenizer = SharedDataPath("data/stories260K/tok512.bin");

class ServeE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/serve_e2e." +
                           std::to_string(::getpid()));
    std::filesystem::create_directories(*dir_);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  // stories260K compressed with the default preset (once per binary).
  static std::string Compressed() {
    const std::string out = *dir_ + "/stories.seedlm";
    if (!std::filesystem::exists(out)) {
      Result r = RunSeedlm("compress " + kModel + " " + out);
      EXPECT_EQ(r.code, 0) << r.err;
    }
    return out;
  }
  // What `seedlm generate --json` gives: token ids (EOS dropped) and text.
  static std::pair<std::vector<int>, std::string> Generate(
      const std::string& model, const std::string& prompt, int max_tokens) {
    Result r =
        RunSeedlm("generate " + model + " --prompt '" + prompt +
                  "' --max-tokens " + std::to_string(max_tokens) + " --json");
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    std::vector<int> ids = j.value("tokens", std::vector<int>{});
    if (!ids.empty() && ids.back() == 2) ids.pop_back();  // EOS
    return {ids, j.value("text", "")};
  }
  // A greedy /v1/completions body (no "model": the served one).
  static std::string Completion(const std::string& prompt, int max_tokens,
                                bool stream) {
    return json{{"prompt", prompt},
                {"max_tokens", max_tokens},
                {"temperature", 0},
                {"stream", stream}}
        .dump();
  }
  // The text of a (streamed or not) /v1/completions reply.
  static std::string TextOf(const HttpReply& r, bool stream) {
    if (!stream) return r.json()["choices"][0].value("text", "<none>");
    std::string text;
    const std::vector<std::string> data = SseData(r.body);
    EXPECT_FALSE(data.empty());
    if (data.empty()) return "";
    EXPECT_EQ(data.back(), "[DONE]");
    for (size_t i = 0; i + 1 < data.size(); ++i) {
      text += json::parse(data[i])["choices"][0].value("text", "");
    }
    return text;
  }

  static std::string* dir_;
};

std::string* ServeE2E::dir_ = nullptr;

TEST_F(ServeE2E, TokensMatchGenerateOverGrpcAndHttp) {
  for (const std::string& model : {kModel, Compressed()}) {
    auto s = StartServe(*dir_, model, {"--model-id=stories"});
    ASSERT_NE(s, nullptr);
    for (const std::string prompt : {"Once upon a time", "Tom and his dog"}) {
      const auto [ids, text] = Generate(model, prompt, 40);
      ASSERT_FALSE(ids.empty());
      Result c = RunSeedlm("complete --server " + s->grpc + " --prompt '" +
                           prompt + "' --max-tokens 40 --json");
      ASSERT_EQ(c.code, 0) << c.err;
      json cj = json::parse(c.out, nullptr, false);
      EXPECT_EQ(cj.value("tokens", std::vector<int>{}), ids) << model;
      EXPECT_EQ(cj.value("text", ""), text);
      for (bool stream : {false, true}) {
        const std::string body = json{
            {"model", "stories"},
            {"prompt", prompt},
            {"max_tokens", 40},
            {"temperature", 0},
            {"stream", stream}}.dump();
        HttpReply r = Post(*s, "/v1/completions", body);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(TextOf(r, stream), text) << model << " stream " << stream;
      }
    }
  }
}

// Eight concurrent requests of different prompts and lengths, greedy and
// seeded, give exactly what each gives alone.
TEST_F(ServeE2E, BatchingDoesNotChangeTokens) {
  auto s = StartServe(*dir_, Compressed(), {"--max-batch=8"});
  ASSERT_NE(s, nullptr);
  std::vector<std::string> bodies;
  for (int i = 0; i < 8; ++i) {
    json b = {{"prompt", std::string("Once upon a time ") +
                             std::string(static_cast<size_t>(i), 'a')},
              {"max_tokens", 10 + 9 * i},
              {"temperature", 0}};
    if (i % 2 == 1) b.update({{"temperature", 0.8}, {"seed", 100 + i}});
    bodies.push_back(b.dump());
  }
  std::vector<std::string> alone;
  for (const std::string& b : bodies) {
    HttpReply r = Post(*s, "/v1/completions", b);
    ASSERT_EQ(r.status, 200) << r.body;
    alone.push_back(TextOf(r, false));
  }
  std::vector<HttpReply> together(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back(
        [&, i] { together[i] = Post(*s, "/v1/completions", bodies[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(together[i].status, 200) << together[i].body;
    EXPECT_EQ(TextOf(together[i], false), alone[i]) << i;
  }
}

// 32 clients x 20 requests against --max-batch 8 --max-queue 16: each
// request is answered correctly or refused with 429 + Retry-After; the
// server keeps serving and its memory stays bounded.
TEST_F(ServeE2E, LoadAtTheCapacityBound) {
  auto s = StartServe(*dir_, Compressed(),
                      {"--max-batch=8", "--max-queue=16", "--ctx=128"});
  ASSERT_NE(s, nullptr);
  const std::vector<std::string> prompts = {"Once", "Lily", "The sun", "A big"};
  std::map<std::string, std::string> want;
  for (const std::string& p : prompts) {
    want[p] =
        TextOf(Post(*s, "/v1/completions", Completion(p, 24, false)), false);
  }
  const int64_t rss_before = PeakRssKiB(s->pid);
  std::atomic<int> ok{0}, refused{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        const std::string& p = prompts[(c + i) % prompts.size()];
        HttpReply r = Post(*s, "/v1/completions", Completion(p, 24, false));
        if (r.status == 200 && TextOf(r, false) == want[p]) {
          ++ok;
        } else if (r.status == 429 && r.retry_after == "1" &&
                   r.json()["error"].is_object()) {
          ++refused;
        } else {
          ++wrong;
          ADD_FAILURE() << r.status << " " << r.body;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok + refused, 640);
  EXPECT_GT(ok.load(), 0);
  std::printf("load: %d served, %d refused (429)\n", ok.load(), refused.load());
  EXPECT_EQ(Post(*s, "/v1/completions", Completion("Once", 24, false)).status,
            200);
  // KV caches are allocated at start; the load adds threads and buffers.
  EXPECT_LT(PeakRssKiB(s->pid) - rss_before, 64 * 1024);
}

// A client that goes away mid-stream frees its slot: with one slot and no
// queue, a request sent while the stream runs is refused, one sent after
// the client left is served.
TEST_F(ServeE2E, DisconnectFreesTheSlot) {
  auto s = StartServe(*dir_, SlowModel(*dir_),
                      {"--tokenizer=" + kTokenizer, "--max-batch=1",
                       "--max-queue=0", "--ctx=1024", "--threads=1"});
  ASSERT_NE(s, nullptr);
  std::atomic<bool> got_chunk{false};
  std::atomic<bool> leave{false};
  std::thread streamer([&] {
    httplib::Client c = s->Http();
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body =
        json{{"prompt", "Once"}, {"max_tokens", 900}, {"stream", true}}.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      got_chunk = true;
      return !leave.load();  // false closes the connection
    };
    c.send(req);
  });
  ASSERT_TRUE(
      WaitFor([&] { return got_chunk.load(); }, std::chrono::seconds(30)));
  EXPECT_EQ(Post(*s, "/v1/completions", Completion("Lily", 4, false)).status,
            429);
  leave = true;
  streamer.join();
  int status = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        status =
            Post(*s, "/v1/completions", Completion("Lily", 4, false)).status;
        return status == 200;
      },
      std::chrono::seconds(20)))
      << status << "\n"
      << ReadFile(s->log);
}

TEST_F(ServeE2E, RefusalsAndAuth) {
  const std::string tokens = *dir_ + "/tokens";
  {
    std::ofstream f(tokens);
    f << "client-token-123 client alice\nworker-token-456 worker w1\n";
  }
  auto s = StartServe(*dir_, kModel, {"--auth-tokens=" + tokens});
  ASSERT_NE(s, nullptr);
  const std::string ok_body = Completion("Once", 8, false);
  EXPECT_EQ(Post(*s, "/v1/completions", ok_body).status, 401);
  EXPECT_EQ(Post(*s, "/v1/completions", ok_body, "nope-nope-nope").status, 401);
  EXPECT_EQ(Post(*s, "/v1/completions", ok_body, "worker-token-456").status,
            403);
  const std::string t = "client-token-123";
  EXPECT_EQ(Post(*s, "/v1/completions", ok_body, t).status, 200);
  struct Bad {
    std::string body;
    int status;
  };
  const std::vector<Bad> bad = {
      {"{not json", 400},
      {R"({"prompt": 5, "max_tokens": 4})", 400},
      {R"({"prompt": "a", "max_tokens": -1})", 400},
      {R"({"prompt": "a", "max_tokens": 100000})", 400},
      {R"({"prompt": "a", "max_tokens": "4"})", 400},
      {R"({"prompt": "a", "top_p": 0})", 400},
      {R"({"prompt": "a", "model": "gpt-4"})", 404},
      {R"({"prompt": "a", "n": 2})", 400},
  };
  for (const Bad& b : bad) {
    HttpReply r = Post(*s, "/v1/completions", b.body, t);
    EXPECT_EQ(r.status, b.status) << b.body << " -> " << r.body;
    EXPECT_TRUE(r.json()["error"]["message"].is_string()) << r.body;
  }
  // No chat template on stories260K: 400 saying so.
  HttpReply chat =
      Post(*s, "/v1/chat/completions",
           R"({"messages": [{"role": "user", "content": "hi"}]})", t);
  EXPECT_EQ(chat.status, 400);
  EXPECT_NE(chat.body.find("chat template"), std::string::npos) << chat.body;
  // gRPC: the same tokens.
  Result none = RunSeedlm("complete --server " + s->grpc +
                          " --prompt Once --max-tokens 4");
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("UNAUTHENTICATED"), std::string::npos) << none.err;
  Result with = RunSeedlm("complete --server " + s->grpc +
                          " --prompt Once --max-tokens 4 --token " + t);
  EXPECT_EQ(with.code, 0) << with.err;
  EXPECT_EQ(Post(*s, "/v1/completions", ok_body, t).status, 200);
}

// A model given a ChatML template at compression serves chat completions;
// the OpenAI-client schema script passes against it.
TEST_F(ServeE2E, ChatAndOpenAiClientSchema) {
  const std::string tmpl = *dir_ + "/chatml.jinja";
  {
    std::ofstream f(tmpl);
    f << "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + "
         "m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if "
         "add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif "
         "%}";
  }
  const std::string model = *dir_ + "/chat.seedlm";
  Result c = RunSeedlm("compress " + kModel + " " + model +
                       " --chat-template " + tmpl);
  ASSERT_EQ(c.code, 0) << c.err;
  auto s = StartServe(*dir_, model);
  ASSERT_NE(s, nullptr);
  HttpReply r =
      Post(*s, "/v1/chat/completions",
           R"({"messages": [{"role": "user", "content": "Tell me a story"}],
          "max_tokens": 12})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 10);
  absl::StatusOr<SubprocessResult> py = RunSubprocess(
      {"/usr/bin/env", "python3",
       std::string(SEEDLM_SOURCE_DIR) + "/tests/openai_compat_test.py",
       "http://" + s->host + ":" + std::to_string(s->http_port),
       "--require-chat"});
  ASSERT_TRUE(py.ok()) << py.status();
  EXPECT_EQ(py->exit_code, 0) << py->out << py->err;
}

// SIGTERM: the stream in flight ends normally, then the server exits 0.
TEST_F(ServeE2E, SigtermDrainsStreamsInFlight) {
  auto s = StartServe(*dir_, SlowModel(*dir_),
                      {"--tokenizer=" + kTokenizer, "--ctx=1024", "--threads=1",
                       "--drain-seconds=60"});
  ASSERT_NE(s, nullptr);
  std::atomic<bool> got_chunk{false};
  HttpReply reply;
  std::thread client([&] {
    httplib::Client c = s->Http();
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = json{
        {"prompt", "Once"},
        {"max_tokens", 600},
        {"stream", true},
        {"temperature",
         0}}.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
      reply.body.append(d, n);
      got_chunk = true;
      return true;
    };
    auto res = c.send(req);
    reply.status = res ? res->status : -1;
  });
  ASSERT_TRUE(
      WaitFor([&] { return got_chunk.load(); }, std::chrono::seconds(30)));
  s->process->Kill(SIGTERM);
  client.join();
  auto exit = s->process->Wait(std::chrono::seconds(90));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0) << ReadFile(s->log);
  EXPECT_EQ(reply.status, 200);
  const std::vector<std::string> data = SseData(reply.body);
  ASSERT_GE(data.size(), 2u);
  EXPECT_EQ(data.back(), "[DONE]");
  json last = json::parse(data[data.size() - 2], nullptr, false);
  // The stream ended normally (not cut by the shutdown): a finish reason,
  // no error event.
  const std::string reason = last["choices"][0].value("finish_reason", "");
  EXPECT_TRUE(reason == "length" || reason == "stop") << reply.body;
  EXPECT_EQ(reply.body.find("\"error\""), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace seedlm::testing
