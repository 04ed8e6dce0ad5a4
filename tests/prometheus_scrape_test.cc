// A real Prometheus server (Debian's /usr/bin/prometheus, temporary config
// and data directory, stopped by PID) scrapes a real seedlm-coordinator and
// two seedlm-workers (--http on 127.0.0.1:0, ports read from their ready
// files) every second while they compress a small synthetic model. PromQL
// through Prometheus's HTTP API must then show every target up, the
// workers' blocks searched at least the job's block count, and the
// coordinator's accepted row blocks equal to it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/model/synth.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/service_test_util.h"

namespace seedlm {
namespace {

using testing::Bin;
using testing::ReadFile;
using testing::Subprocess;
using testing::SubprocessOptions;
using testing::WaitFor;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

// A port that was free a moment ago (bind 127.0.0.1:0, read it, close).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// A process started with a --ready-file, and the JSON it wrote.
struct Started {
  std::unique_ptr<Subprocess> process;
  nlohmann::json ready;
};

Started StartWithReadyFile(std::vector<std::string> argv,
                           const std::string& ready, const std::string& log) {
  argv.push_back("--ready-file=" + ready);
  SubprocessOptions opt;
  opt.stderr_path = log;
  opt.timeout = std::chrono::minutes(3);
  Started s;
  auto p = Subprocess::Start(argv, opt);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return s;
  s.process = std::move(*p);
  EXPECT_TRUE(WaitFor([&] { return std::filesystem::exists(ready); },
                      std::chrono::seconds(30)))
      << argv[0] << " did not start:\n"
      << ReadFile(log);
  s.ready = nlohmann::json::parse(ReadFile(ready), nullptr, false);
  return s;
}

class PrometheusScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPrometheus)) {
      const char* require = std::getenv("SEEDLM_REQUIRE_SHARED_DATA");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << kPrometheus << " is missing (apt-get install prometheus)";
      }
      GTEST_SKIP() << kPrometheus << " is missing";
    }
    dir_ = ::testing::TempDir() + "/prometheus_scrape." +
           std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts Prometheus scraping `targets` (job name -> host:port list) every
  // second, on a free port (retried: the port may be taken meanwhile).
  // Returns false when it never became ready.
  bool StartPrometheus(
      const std::vector<std::pair<std::string, std::vector<std::string>>>&
          targets) {
    std::ofstream cfg(dir_ + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n";
    for (const auto& [job, addrs] : targets) {
      cfg << "  - job_name: " << job << "\n    static_configs:\n"
          << "      - targets: [";
      for (size_t i = 0; i < addrs.size(); ++i) {
        cfg << (i ? ", " : "") << "'" << addrs[i] << "'";
      }
      cfg << "]\n";
    }
    cfg.close();
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreePort();
      SubprocessOptions opt;
      opt.stderr_path = dir_ + "/prometheus.log";
      opt.timeout = std::chrono::minutes(3);
      auto p = Subprocess::Start(
          {kPrometheus, "--config.file=" + dir_ + "/prometheus.yml",
           "--storage.tsdb.path=" + dir_ + "/tsdb",
           "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
          opt);
      if (!p.ok()) continue;
      prometheus_ = std::move(*p);
      if (WaitFor(
              [&] {
                httplib::Client c("127.0.0.1", port_);
                c.set_connection_timeout(1);
                auto r = c.Get("/-/ready");
                return r && r->status == 200;
              },
              std::chrono::seconds(30))) {
        return true;
      }
      prometheus_->Kill(SIGKILL);
      (void)prometheus_->Wait(std::chrono::seconds(10));
      prometheus_.reset();
    }
    return false;
  }

  // The samples of an instant PromQL query: (labels, value) pairs; empty
  // on any error.
  std::vector<std::pair<nlohmann::json, double>> Query(const std::string& q) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(5);
    auto r = c.Get("/api/v1/query", httplib::Params{{"query", q}},
                   httplib::Headers{});
    std::vector<std::pair<nlohmann::json, double>> out;
    if (!r || r->status != 200) return out;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "success") return out;
    for (const auto& s : j["data"]["result"]) {
      out.emplace_back(
          s["metric"],
          std::strtod(s["value"][1].get<std::string>().c_str(), nullptr));
    }
    return out;
  }
  // The single value of a query, or -1.
  double Scalar(const std::string& q) {
    auto v = Query(q);
    return v.size() == 1 ? v[0].second : -1;
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> prometheus_;
};

TEST_F(PrometheusScrapeTest, ScrapesCoordinatorAndWorkersDuringAJob) {
  const auto start = std::chrono::steady_clock::now();
  SynthOptions so;
  so.dim = 64;
  so.hidden = 128;
  so.layers = 2;
  so.heads = 4;
  so.vocab = 256;
  const std::string model = dir_ + "/model";
  ASSERT_TRUE(WriteSyntheticModel(model, so).ok());

  Started c = StartWithReadyFile(
      {Bin("seedlm-coordinator"), "--state-dir=" + dir_ + "/state",
       "--listen=127.0.0.1:0", "--http=127.0.0.1:0", "--unit-blocks=512"},
      dir_ + "/coordinator.json", dir_ + "/coordinator.log");
  ASSERT_TRUE(c.ready.is_object()) << ReadFile(dir_ + "/coordinator.log");
  const std::string address = c.ready.value("listen", "");
  const std::string coordinator_http = c.ready.value("http", "");
  ASSERT_FALSE(coordinator_http.empty());
  std::vector<Started> workers;
  std::vector<std::string> worker_http;
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i);
    workers.push_back(StartWithReadyFile(
        {Bin("seedlm-worker"), "--coordinator=" + address, "--threads=1",
         "--http=127.0.0.1:0"},
        dir_ + "/worker" + n + ".json", dir_ + "/worker" + n + ".log"));
    ASSERT_TRUE(workers.back().ready.is_object());
    worker_http.push_back(workers.back().ready.value("http", ""));
    ASSERT_FALSE(worker_http.back().empty());
  }
  ASSERT_TRUE(StartPrometheus({{"seedlm-coordinator", {coordinator_http}},
                               {"seedlm-worker", worker_http}}))
      << ReadFile(dir_ + "/prometheus.log");

  const std::string out = dir_ + "/out.seedlm";
  Result r = RunSeedlm("submit --coordinator " + address + " " + model + " " +
                       out + " --preset 4bit");
  ASSERT_EQ(r.code, 0) << r.err << "\n" << ReadFile(dir_ + "/coordinator.log");
  nlohmann::json job = testing::FirstJob(address);
  ASSERT_TRUE(job.is_object());
  ASSERT_EQ(job["state"], "succeeded");
  const double blocks = job["blocks_total"].get<double>();
  ASSERT_GT(blocks, 1000);

  // Scrapes after the job ended carry its final counts.
  const char* kWorkerSum = "sum(seedlm_worker_blocks_searched_total)";
  const char* kAccepted = "seedlm_coordinator_blocks_accepted_total";
  const char* kReported = "seedlm_coordinator_blocks_searched_total";
  WaitFor(
      [&] {
        // Heartbeats (every 5 s) bring the searched blocks to the
        // coordinator.
        return Scalar(kAccepted) == blocks && Scalar(kWorkerSum) >= blocks &&
               Scalar(kReported) >= blocks && Scalar("count(up == 1)") == 3;
      },
      std::chrono::seconds(30));
  EXPECT_EQ(Scalar(kAccepted), blocks) << ReadFile(dir_ + "/prometheus.log");
  EXPECT_GE(Scalar(kWorkerSum), blocks);
  // Both workers did part of it; the coordinator heard of it by heartbeat.
  EXPECT_EQ(Scalar("count(seedlm_worker_blocks_searched_total > 0)"), 2);
  EXPECT_GE(Scalar(kReported), blocks);
  EXPECT_EQ(Scalar("seedlm_coordinator_jobs{state=\"succeeded\"}"), 1);
  EXPECT_EQ(Scalar("seedlm_coordinator_workers_connected"), 2);
  const auto up = Query("up");
  ASSERT_EQ(up.size(), 3u);
  for (const auto& [labels, value] : up) {
    EXPECT_EQ(value, 1) << labels.dump();
  }
  std::cerr << "job of " << blocks << " blocks; worker sum "
            << Scalar(kWorkerSum) << "; test took "
            << std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " s\n";
}

}  // namespace
}  // namespace seedlm
