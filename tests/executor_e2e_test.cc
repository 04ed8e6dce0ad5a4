// Attached executors as users meet them (issue 15): a real seedlm-serve and
// real seedlm-executor processes over loopback. The tokens and the
// log-probabilities (hence the logits) do not depend on how the layers are
// split: 0, 1, 2 and 3 attached executors give identical completions and
// identical Score results, on the default-preset stories260K and on a
// Hugging Face-format model with grouped-query heads. An executor killed
// during a stream fails that request with UNAVAILABLE / 503 and the next
// one succeeds on the re-planned executors; an executor attached while
// requests run leaves them intact; tampered weights and wrong-role tokens
// are refused.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "client/lib/inference_client.h"
#include "core/model/synth.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"
#include "tests/serve_test_util.h"

namespace seedlm::testing {
namespace {

using nlohmann::json;

const std::string kTokenizer = SharedDataPath("data/stories260K/tok512.bin");
const std::string kText =
    "Once upon a time, there was a little girl named Lily. She loved to play "
    "outside in the sun with her dog.";

class ExecutorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/executor_e2e." +
                           std::to_string(::getpid()));
    std::filesystem::create_directories(*dir_);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  // stories260K compressed with the default preset, or with `preset`.
  static std::string Compressed(const std::string& preset = "") {
    return CompressedStories(*dir_, preset);
  }
  // A Hugging Face-format checkpoint with grouped-query heads (3 query
  // heads per kv head), bf16 as synth writes it, served uncompressed.
  static std::string HfModel(int dim, int layers) {
    const std::string out =
        *dir_ + "/hf" + std::to_string(dim) + "x" + std::to_string(layers);
    if (std::filesystem::exists(out)) return out;
    SynthOptions so;
    so.dim = dim;
    so.hidden = dim * 2;
    so.layers = layers;
    so.heads = 6;
    so.kv_heads = 2;
    so.vocab = 512;  // tok512.bin's
    EXPECT_TRUE(WriteSyntheticModel(out, so).ok());
    return out;
  }

  // Starts seedlm-executor against `s`; its log is kept for messages.
  struct Executor {
    std::unique_ptr<Subprocess> process;
    std::string log;
  };
  static Executor StartExecutor(const Served& s,
                                const std::vector<std::string>& extra = {}) {
    static int n = 0;
    Executor e;
    e.log = *dir_ + "/executor" + std::to_string(++n) + ".log";
    std::vector<std::string> argv = {Bin("seedlm-executor"),
                                     "--server=" + s.grpc, "--threads=1",
                                     "--name=e" + std::to_string(n)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    SubprocessOptions opt;
    opt.stderr_path = e.log;
    opt.timeout = std::chrono::minutes(10);
    auto p = Subprocess::Start(argv, opt);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) e.process = std::move(*p);
    return e;
  }

  // GET /v1/executors.
  static json Executors(const Served& s, const std::string& token = "") {
    httplib::Client c = s.Http();
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto res = c.Get("/v1/executors", h);
    if (!res || res->status != 200) return json();
    return json::parse(res->body, nullptr, false);
  }
  // Waits until `n` attached executors hold layers that cover the model.
  static bool WaitForPlan(const Served& s, int n, int n_layers) {
    return WaitFor(
        [&] {
          json j = Executors(s);
          if (!j.is_object()) return false;
          int with_layers = 0, covered = 0;
          for (const json& e : j["executors"]) {
            const int b = e["layers"][0], end = e["layers"][1];
            if (end > b) ++with_layers;
            covered += end - b;
          }
          return with_layers == n && (n == 0 || covered == n_layers);
        },
        std::chrono::seconds(60));
  }

  // What a split must not change: greedy completions with their
  // log-probabilities and top alternatives, and Score over kText.
  static json Outputs(const Served& s) {
    json out = json::array();
    for (const char* prompt : {"Once upon a time", "The dog"}) {
      HttpReply r = Post(s, "/v1/completions",
                         json{{"prompt", prompt},
                              {"max_tokens", 20},
                              {"temperature", 0},
                              {"logprobs", 3}}
                             .dump());
      EXPECT_EQ(r.status, 200) << r.body;
      out.push_back(r.json()["choices"]);
    }
    client::InferenceClientOptions o;
    o.address = s.grpc;
    auto c = client::InferenceClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) {
      auto score = (*c)->Score(kText);
      EXPECT_TRUE(score.ok()) << score.status();
      if (score.ok()) {
        // Exact: a double sum of the same float log-probabilities.
        out.push_back({score->tokens(), score->log_likelihood()});
      }
    }
    return out;
  }

  static std::string* dir_;
};

std::string* ExecutorE2E::dir_ = nullptr;

// The value of the unlabelled sample `name` in the /metrics of host:port;
// -1 when absent or unreachable.
double MetricAt(const std::string& host, int port, const std::string& name) {
  httplib::Client c(host, port);
  c.set_read_timeout(10, 0);
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string key = "\n" + name + " ";
  const std::string body = "\n" + res->body;
  const size_t at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::atof(body.c_str() + at + key.size());
}

// 0, 1, 2, 3 executors attached one after another: identical outputs each
// time, on compressed containers (block and trellis codecs) and on an
// uncompressed HF checkpoint.
TEST_F(ExecutorE2E, OutputsDoNotDependOnTheSplit) {
  struct Case {
    std::string model;
    std::vector<std::string> flags;
    int n_layers;
  };
  const std::vector<Case> cases = {
      {Compressed(), {}, 5},
      {Compressed("4bit-t"), {}, 5},  // seed-trellis tensors (spec §13)
      {HfModel(96, 4), {"--tokenizer=" + kTokenizer}, 4}};
  for (const Case& k : cases) {
    std::vector<std::string> flags = k.flags;
    flags.insert(flags.end(), {"--max-batch=4", "--ctx=256"});
    auto s = StartServe(*dir_, k.model, flags);
    ASSERT_NE(s, nullptr);
    const json want = Outputs(*s);
    ASSERT_EQ(want.size(), 3u);
    std::vector<Executor> executors;
    // The first executor serves /metrics; its ready file names the port.
    const std::string ready =
        *dir_ + "/executor_ready" + std::to_string(&k - cases.data());
    for (int n = 1; n <= 3; ++n) {
      executors.push_back(StartExecutor(
          *s, n == 1 ? std::vector<std::string>{"--http=127.0.0.1:0",
                                                "--ready-file=" + ready}
                     : std::vector<std::string>{}));
      ASSERT_TRUE(WaitForPlan(*s, n, k.n_layers))
          << Executors(*s).dump() << ReadFile(executors.back().log);
      EXPECT_EQ(Outputs(*s), want) << k.model << " with " << n;
      // Metrics (issue 16): the server counts its executors and the bytes
      // it streamed; the first executor its steps and what it holds.
      EXPECT_EQ(
          MetricAt(s->host, s->http_port, "seedlm_serve_executors_attached"),
          n);
      EXPECT_GT(MetricAt(s->host, s->http_port,
                         "seedlm_serve_weight_bytes_streamed_total"),
                0);
      if (n == 1) {
        json r = json::parse(ReadFile(ready), nullptr, false);
        ASSERT_TRUE(r.is_object()) << ReadFile(ready);
        const std::string http = r.value("http", "");
        const std::string host = http.substr(0, http.rfind(':'));
        const int port = std::stoi(http.substr(http.rfind(':') + 1));
        EXPECT_GT(MetricAt(host, port, "seedlm_executor_steps_total"), 0);
        EXPECT_GT(MetricAt(host, port, "seedlm_executor_step_seconds_count"),
                  0);
        EXPECT_GT(MetricAt(host, port, "seedlm_executor_weight_bytes_held"), 0);
        EXPECT_EQ(MetricAt(host, port, "seedlm_executor_layers_held"),
                  k.n_layers);
      }
      client::InferenceClientOptions o;
      o.address = s->grpc;
      auto c = client::InferenceClient::Connect(o);
      ASSERT_TRUE(c.ok());
      auto info = (*c)->ModelInfo();
      ASSERT_TRUE(info.ok());
      EXPECT_EQ(info->executors_size(), n);
      int64_t bytes = 0;
      for (const auto& p : info->executors()) bytes += p.weight_bytes();
      EXPECT_GT(bytes, 0);
    }
  }
}

// Streams `max_tokens` greedy tokens over gRPC; `on_first` runs once the
// first token arrived. Returns the status and the tokens.
absl::Status StreamTokens(const Served& s, int max_tokens,
                          const std::function<void()>& on_first,
                          std::vector<int>* tokens) {
  client::InferenceClientOptions o;
  o.address = s.grpc;
  auto c = client::InferenceClient::Connect(o);
  if (!c.ok()) return c.status();
  v1::GenerateRequest req;
  req.set_text("Once");
  req.set_max_tokens(max_tokens);
  req.set_temperature(0);
  req.set_ignore_eos(true);
  bool first = true;
  auto sum = (*c)->Generate(req, [&](const v1::GenerateToken& t) {
    tokens->push_back(t.id());
    if (first && on_first) on_first();
    first = false;
    return absl::OkStatus();
  });
  return sum.status();
}

// SIGKILL one of two executors while a stream runs through it: that request
// fails with UNAVAILABLE naming the executor; the next succeeds on the
// re-planned executor with the tokens the in-process server gives.
TEST_F(ExecutorE2E, KilledExecutorFailsItsRequestAndTheServerReplans) {
  auto s = StartServe(*dir_, SlowModel(*dir_),
                      {"--tokenizer=" + kTokenizer, "--ctx=1024", "--threads=1",
                       "--executor-timeout=3"});
  ASSERT_NE(s, nullptr);
  std::vector<int> want;
  ASSERT_TRUE(StreamTokens(*s, 64, nullptr, &want).ok());
  Executor a = StartExecutor(*s);
  Executor b = StartExecutor(*s);
  ASSERT_TRUE(WaitForPlan(*s, 2, 4)) << Executors(*s).dump();
  std::vector<int> got;
  const absl::Status st = StreamTokens(
      *s, 900, [&] { b.process->Kill(SIGKILL); }, &got);
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_NE(st.message().find("executor"), std::string::npos) << st;
  EXPECT_LT(got.size(), 900u);
  // The next request waits for the re-plan and runs on the survivor.
  std::vector<int> again;
  const absl::Status st2 = StreamTokens(*s, 64, nullptr, &again);
  EXPECT_TRUE(st2.ok()) << st2 << ReadFile(s->log);
  EXPECT_EQ(again, want);
  EXPECT_TRUE(WaitForPlan(*s, 1, 4)) << Executors(*s).dump();
  // Over HTTP the failure of a request is a 503.
  std::atomic<int> http_status{0};
  std::thread killer;
  std::thread streamer([&] {
    HttpReply r =
        Post(*s, "/v1/completions",
             json{{"prompt", "Once"}, {"max_tokens", 900}, {"temperature", 0}}
                 .dump());
    http_status = r.status;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  a.process->Kill(SIGKILL);
  streamer.join();
  EXPECT_EQ(http_status.load(), 503);
  // No executor left: back in-process, same tokens.
  std::vector<int> local;
  EXPECT_TRUE(StreamTokens(*s, 64, nullptr, &local).ok());
  EXPECT_EQ(local, want);
}

// An executor attaching while requests run: they complete with the tokens
// of the old plan (identical anyway); the next ones use the new plan.
TEST_F(ExecutorE2E, AttachWhileRequestsRun) {
  auto s =
      StartServe(*dir_, SlowModel(*dir_),
                 {"--tokenizer=" + kTokenizer, "--ctx=1024", "--threads=1"});
  ASSERT_NE(s, nullptr);
  std::vector<int> want;
  ASSERT_TRUE(StreamTokens(*s, 200, nullptr, &want).ok());
  std::vector<int> got;
  Executor e;
  const absl::Status st = StreamTokens(
      *s, 200, [&] { e = StartExecutor(*s); }, &got);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got, want);
  ASSERT_TRUE(WaitForPlan(*s, 1, 4)) << ReadFile(e.log);
  std::vector<int> after;
  EXPECT_TRUE(StreamTokens(*s, 200, nullptr, &after).ok());
  EXPECT_EQ(after, want);
}

// A weight chunk tampered with on the way (the server's test hook) is
// refused by the executor's CRC check: the attach fails cleanly (the
// executor exits 1 saying so) and the server keeps serving in-process.
TEST_F(ExecutorE2E, TamperedWeightsAreRefused) {
  auto s = StartServe(*dir_, Compressed(), {"--testing-corrupt-weights"});
  ASSERT_NE(s, nullptr);
  Executor e = StartExecutor(*s);
  auto r = e.process->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 1) << ReadFile(e.log);
  EXPECT_NE(ReadFile(e.log).find("CRC"), std::string::npos) << ReadFile(e.log);
  EXPECT_TRUE(WaitForPlan(*s, 0, 5));
  EXPECT_EQ(Post(*s, "/v1/completions",
                 json{{"prompt", "Once"}, {"max_tokens", 8}}.dump())
                .status,
            200);
}

// Only an executor (or admin) token attaches; an executor token cannot
// generate.
TEST_F(ExecutorE2E, RolesAreEnforced) {
  const std::string tokens = *dir_ + "/tokens";
  {
    std::ofstream f(tokens);
    f << "client-token-123 client alice\nexec-token-456 executor e1\n";
  }
  auto s = StartServe(*dir_, Compressed(), {"--auth-tokens=" + tokens});
  ASSERT_NE(s, nullptr);
  Executor wrong = StartExecutor(*s, {"--token=client-token-123"});
  auto r = wrong.process->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 1) << ReadFile(wrong.log);
  EXPECT_NE(ReadFile(wrong.log).find("PERMISSION_DENIED"), std::string::npos)
      << ReadFile(wrong.log);
  Executor right = StartExecutor(*s, {"--token=exec-token-456"});
  EXPECT_TRUE(WaitFor(
      [&] {
        json j = Executors(*s, "client-token-123");
        return j.is_object() && j["executors"].size() == 1 &&
               j["executors"][0]["layers"][1] == 5;
      },
      std::chrono::seconds(60)))
      << ReadFile(right.log);
  const std::string body = json{{"prompt", "Once"}, {"max_tokens", 4}}.dump();
  EXPECT_EQ(Post(*s, "/v1/completions", body, "exec-token-456").status, 403);
  EXPECT_EQ(Post(*s, "/v1/completions", body, "client-token-123").status, 200);
}

}  // namespace
}  // namespace seedlm::testing
