// `seedlm-executor --kind fpga-sim` as users meet it (issue 18): a real
// seedlm-serve and real seedlm-executor processes over loopback, on
// stories260K compressed with the default preset. The executor's packed
// linear layers run on the Verilated SeedLM engine, which computes exactly
// the CPU kernels' products, so a greedy completion (tokens, log-probs and
// top alternatives) and a Score are identical with no executor, with a cpu
// executor and with an fpga-sim executor; the fpga-sim executor reports
// simulated cycles (log and /metrics). A seed-trellis model, which the
// engine cannot run, fails the attach with a message naming the codec, and
// the server keeps serving in-process.
#include <signal.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "client/lib/inference_client.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"
#include "tests/serve_test_util.h"

namespace seedlm::testing {
namespace {

using nlohmann::json;

const std::string kText =
    "Once upon a time, there was a little girl named Lily. She loved to play "
    "outside in the sun with her dog.";

class FpgaExecutorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/fpga_executor_e2e." +
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

  struct Executor {
    std::unique_ptr<Subprocess> process;
    std::string log;
  };
  // Starts seedlm-executor --kind `kind` against `s`, with `extra` flags.
  static Executor StartExecutor(const Served& s, const std::string& kind,
                                const std::vector<std::string>& extra = {}) {
    static int n = 0;
    Executor e;
    e.log = *dir_ + "/executor" + std::to_string(++n) + ".log";
    std::vector<std::string> argv = {Bin("seedlm-executor"),
                                     "--server=" + s.grpc, "--kind=" + kind,
                                     "--name=e" + std::to_string(n)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    SubprocessOptions opt;
    opt.stderr_path = e.log;
    opt.timeout = std::chrono::minutes(5);
    auto p = Subprocess::Start(argv, opt);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) e.process = std::move(*p);
    return e;
  }
  // SIGTERM, then its exit within 30 s.
  static void Stop(Executor& e) {
    if (e.process == nullptr) return;
    e.process->Kill(SIGTERM);
    auto r = e.process->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << ReadFile(e.log);
  }

  // GET /v1/executors.
  static json Executors(const Served& s) {
    httplib::Client c = s.Http();
    auto res = c.Get("/v1/executors");
    if (!res || res->status != 200) return json();
    return json::parse(res->body, nullptr, false);
  }
  // Waits (60 s) until `n` executors are attached, the first of `kind` (if
  // given) holding all `n_layers` layers.
  static bool WaitForPlan(const Served& s, int n, int n_layers,
                          const std::string& kind = "") {
    return WaitFor(
        [&] {
          json j = Executors(s);
          if (!j.is_object() || j["executors"].size() != size_t(n)) {
            return false;
          }
          if (n == 0) return true;
          const json& e = j["executors"][0];
          return e["layers"][0] == 0 && e["layers"][1] == n_layers &&
                 (kind.empty() || e.value("kind", "") == kind);
        },
        std::chrono::seconds(60));
  }

  // A greedy completion of 24 tokens with log-probs and top alternatives,
  // and Score over kText (a double sum of the same float log-probs: exact).
  static json Outputs(const Served& s) {
    json out = json::array();
    HttpReply r = Post(s, "/v1/completions",
                       json{{"prompt", "Once upon a time"},
                            {"max_tokens", 24},
                            {"temperature", 0},
                            {"logprobs", 3}}
                           .dump());
    EXPECT_EQ(r.status, 200) << r.body;
    out.push_back(r.json()["choices"]);
    client::InferenceClientOptions o;
    o.address = s.grpc;
    auto c = client::InferenceClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) {
      auto score = (*c)->Score(kText);
      EXPECT_TRUE(score.ok()) << score.status();
      if (score.ok()) out.push_back({score->tokens(), score->log_likelihood()});
    }
    return out;
  }

  static std::string* dir_;
};

std::string* FpgaExecutorE2E::dir_ = nullptr;

// The value of the unlabelled sample `name` in the /metrics of the
// executor whose ready file is `ready`; -1 when absent or unreachable.
double ExecutorMetric(const std::string& ready, const std::string& name) {
  json r = json::parse(ReadFile(ready), nullptr, false);
  if (!r.is_object()) return -1;
  const std::string http = r.value("http", "");
  if (http.rfind(':') == std::string::npos) return -1;
  httplib::Client c(http.substr(0, http.rfind(':')),
                    std::stoi(http.substr(http.rfind(':') + 1)));
  c.set_read_timeout(10, 0);
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string key = "\n" + name + " ";
  const std::string body = "\n" + res->body;
  const size_t at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::atof(body.c_str() + at + key.size());
}

TEST_F(FpgaExecutorE2E, FpgaSimGivesTheCpuOutputsAndCountsCycles) {
  auto s = StartServe(*dir_, Compressed(), {"--max-batch=4", "--ctx=256"});
  ASSERT_NE(s, nullptr);
  const json want = Outputs(*s);  // in-process
  ASSERT_EQ(want.size(), 2u);

  Executor cpu = StartExecutor(*s, "cpu");
  ASSERT_TRUE(WaitForPlan(*s, 1, 5, "cpu"))
      << Executors(*s).dump() << ReadFile(cpu.log);
  EXPECT_EQ(Outputs(*s), want) << "cpu executor";
  Stop(cpu);
  ASSERT_TRUE(WaitForPlan(*s, 0, 5)) << Executors(*s).dump();

  const std::string ready = *dir_ + "/fpga_ready";
  Executor fpga = StartExecutor(
      *s, "fpga-sim", {"--http=127.0.0.1:0", "--ready-file=" + ready});
  ASSERT_TRUE(WaitForPlan(*s, 1, 5, "fpga-sim"))
      << Executors(*s).dump() << ReadFile(fpga.log);
  EXPECT_EQ(ExecutorMetric(ready, "seedlm_executor_fpga_cycles_total"), 0);
  EXPECT_EQ(Outputs(*s), want) << "fpga-sim executor\n" << ReadFile(fpga.log);
  EXPECT_GT(ExecutorMetric(ready, "seedlm_executor_steps_total"), 0);
  EXPECT_GT(ExecutorMetric(ready, "seedlm_executor_fpga_cycles_total"), 0);
  EXPECT_GT(ExecutorMetric(ready, "seedlm_executor_fpga_cycles_per_token"), 0);
  const std::string log = ReadFile(fpga.log);
  // 5 layers x 7 packed matrices on the engine; cycles per token logged.
  EXPECT_NE(log.find("fpga-sim: 35 linear layers on seedlm_engine 4bit-p4"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("on fpga-sim (seedlm_engine 4bit-p4"), std::string::npos)
      << log;
  EXPECT_NE(log.find("simulated cycles per token"), std::string::npos) << log;
  Stop(fpga);
}

// The engine has no trellis decoder: a 4bit-t model fails the attach (the
// executor exits 1 naming the codec, the server logs the executor's
// report) and the server keeps serving in-process.
TEST_F(FpgaExecutorE2E, TrellisModelFailsToAttach) {
  auto s = StartServe(*dir_, Compressed("4bit-t"));
  ASSERT_NE(s, nullptr);
  Executor e = StartExecutor(*s, "fpga-sim");
  auto r = e.process->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string log = ReadFile(e.log);
  EXPECT_EQ(r->exit_code, 1) << log;
  const std::string why =
      "is seed-trellis (codec 4bit-t): the FPGA engine runs the block codecs "
      "only";
  EXPECT_NE(log.find(why), std::string::npos) << log;
  EXPECT_TRUE(
      WaitFor([&] { return ReadFile(s->log).find(why) != std::string::npos; },
              std::chrono::seconds(10)))
      << ReadFile(s->log);
  EXPECT_TRUE(WaitForPlan(*s, 0, 5));
  EXPECT_EQ(Post(*s, "/v1/completions",
                 json{{"prompt", "Once"}, {"max_tokens", 4}}.dump())
                .status,
            200);
}

}  // namespace
}  // namespace seedlm::testing
