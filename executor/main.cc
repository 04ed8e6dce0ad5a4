// seedlm-executor: attaches to a seedlm-serve server's ExecutorService and
// runs the model layers it assigns (executor/agent.h): on the CPU
// (--kind cpu), or with the packed linear layers on the Verilated SeedLM
// engine (--kind fpga-sim, builds with Verilator only). Flags live here
// only. Exit status: 0 after SIGTERM / SIGINT, 1 when the attachment fails
// for good (refused, weights that fail their check, or a model fpga-sim
// cannot run), 2 for a usage error (also --kind fpga-sim in a build without
// the simulator). A second signal exits at once (128 + signal).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/absl_cli.h"
#include "core/util/file_util.h"
#include "executor/agent.h"
#include "server/common/http_endpoint.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"

ABSL_FLAG(std::string, server, "",
          "host:port of the server's ExecutorService (required)");
ABSL_FLAG(std::string, kind, "cpu",
          "executor kind: cpu, or fpga-sim (the packed linear layers on the "
          "simulated FPGA engine; builds with Verilator only)");
ABSL_FLAG(int, threads, 1, "compute threads, 1..1024 (fpga-sim: 1)");
ABSL_FLAG(int, fpga_bytes_per_cycle, 64,
          "fpga-sim: the engine's memory port, bytes per cycle");
ABSL_FLAG(std::string, max_memory, "0",
          "bytes it may hold (weights + KV caches), with an optional K, M or "
          "G suffix (powers of 1024); 0 = no limit");
ABSL_FLAG(std::string, token, "", "bearer token of role executor (or admin)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle: dial TLS");
ABSL_FLAG(std::string, name, "", "name for the server's listings (host name)");
ABSL_FLAG(std::string, http, "",
          "serve /metrics and /healthz on this host:port (port 0 picks a "
          "free one); off when empty");
ABSL_FLAG(std::string, ready_file, "",
          "once started, write {\"http\": \"HOST:PORT\", \"pid\": N} here "
          "(http \"\" without --http)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");
ABSL_FLAG(std::string, log_format, "text", "text, json or logfmt");

namespace {

constexpr char kSynopsis[] =
    "--server HOST:PORT [--kind cpu|fpga-sim] [--threads N] [flags]";

std::mutex g_mu;
seedlm::executor::ExecutorAgent* g_agent = nullptr;
bool g_stop_requested = false;  // a signal came before the agent existed

void SignalLoop(sigset_t set) {
  for (int count = 0;; ++count) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (count > 0) std::_Exit(128 + sig);
    seedlm::obs::LogInfo("stopping (again to exit now)", {{"signal", sig}});
    std::lock_guard<std::mutex> lock(g_mu);
    g_stop_requested = true;
    if (g_agent != nullptr) g_agent->Stop();
  }
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "seedlm-executor: %s (usage: seedlm-executor %s)\n",
               why.c_str(), kSynopsis);
  return 2;
}

// "123", "64K", "512M", "2G" (powers of 1024). False when malformed or
// past 2^62.
bool ParseBytes(std::string text, uint64_t* out) {
  uint64_t unit = 1;
  if (!text.empty()) {
    switch (absl::ascii_toupper(static_cast<unsigned char>(text.back()))) {
      case 'K':
        unit = uint64_t{1} << 10;
        break;
      case 'M':
        unit = uint64_t{1} << 20;
        break;
      case 'G':
        unit = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (unit != 1) text.pop_back();
  }
  uint64_t n = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &n)) return false;
  if (n > (uint64_t{1} << 62) / unit) return false;
  *out = n * unit;
  return true;
}

// What is wrong with --kind and --fpga-bytes-per-cycle; "" if nothing.
std::string KindError(const seedlm::executor::ExecutorAgentOptions& o) {
  if (o.kind == "fpga-sim") {
    if (!seedlm::executor::kHaveFpgaSim) {
      return "--kind fpga-sim: this build has no FPGA simulator (built "
             "without Verilator)";
    }
    if (o.fpga_bytes_per_cycle < 1 || o.fpga_bytes_per_cycle > 4096) {
      return "--fpga-bytes-per-cycle must be in 1..4096";
    }
    return "";
  }
  if (o.kind != "cpu") {
    return "unknown --kind '" + o.kind + "': this build runs cpu" +
           (seedlm::executor::kHaveFpgaSim ? " and fpga-sim" : "");
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> kinds = {"cpu"};
  if (seedlm::executor::kHaveFpgaSim) kinds.push_back("fpga-sim");
  std::vector<std::string> extra;  // positionals: none are taken
  if (std::optional<int> done = seedlm::ParseAbslCommandLine(
          argc, argv,
          {.binary = "seedlm-executor",
           .synopsis = kSynopsis,
           .description =
               "Attaches to a seedlm-serve server's ExecutorService and runs "
               "the model layers it assigns, on the CPU or (--kind fpga-sim, "
               "builds with Verilator) with the packed linear layers on the "
               "simulated FPGA engine. SIGTERM stops it (exit 0); a second "
               "signal exits at once.",
           .main_file = __FILE__,
           .choices = {{"kind", kinds},
                       {"log-level", seedlm::obs::LogLevelNames()},
                       {"log-format", seedlm::obs::LogFormatNames()}}},
          &extra)) {
    return *done;
  }
  if (!extra.empty()) return Usage("unexpected argument " + extra[0]);
  if (absl::Status s = seedlm::obs::InitLoggingFromFlags(
          "seedlm-executor", absl::GetFlag(FLAGS_log_level),
          absl::GetFlag(FLAGS_log_format));
      !s.ok()) {
    return Usage(std::string(s.message()));
  }
  seedlm::executor::ExecutorAgentOptions o;
  o.server = absl::GetFlag(FLAGS_server);
  o.kind = absl::GetFlag(FLAGS_kind);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.token = absl::GetFlag(FLAGS_token);
  o.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  o.name = absl::GetFlag(FLAGS_name);
  if (o.server.empty()) return Usage("--server is required");
  o.fpga_bytes_per_cycle = absl::GetFlag(FLAGS_fpga_bytes_per_cycle);
  if (const std::string why = KindError(o); !why.empty()) return Usage(why);
  if (o.threads < 1 || o.threads > 1024) {
    return Usage("--threads must be in 1..1024");
  }
  if (o.kind == "fpga-sim" && o.threads != 1) {
    seedlm::obs::LogWarn(
        "--kind fpga-sim runs one thread (one simulated device); --threads "
        "ignored",
        {{"threads", o.threads}});
  }
  const std::string memory = absl::GetFlag(FLAGS_max_memory);
  if (!ParseBytes(memory, &o.max_memory_bytes)) {
    return Usage(
        "--max-memory: bytes with an optional K, M or G suffix, got '" +
        memory + "'");
  }
  if (o.name.size() > 128) return Usage("--name: at most 128 bytes");

  // Block the signals before any thread starts, so only SignalLoop sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(SignalLoop, set).detach();

  // /metrics and /healthz on --http.
  seedlm::obs::MetricsRegistry metrics("seedlm-executor");
  o.metrics = &metrics;
  seedlm::obs::HttpEndpoint endpoint(&metrics);
  std::string http_bound;
  if (!absl::GetFlag(FLAGS_http).empty()) {
    auto bound = endpoint.Start(absl::GetFlag(FLAGS_http));
    if (!bound.ok()) {
      seedlm::obs::LogError(bound.status().ToString());
      return bound.status().code() == absl::StatusCode::kInvalidArgument ? 2
                                                                         : 1;
    }
    seedlm::obs::LogInfo("serving HTTP", {{"http", *bound}});
    http_bound = *bound;
  }

  auto agent = seedlm::executor::ExecutorAgent::Create(o);
  if (!agent.ok()) {
    seedlm::obs::LogError(agent.status().ToString());
    return agent.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // The agent registered its metrics: /metrics shows every series now.
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    const absl::Status w = seedlm::WriteFileAtomically(
        absl::GetFlag(FLAGS_ready_file),
        absl::StrCat("{\"http\": \"", http_bound, "\", \"pid\": ", getpid(),
                     "}\n"));
    if (!w.ok()) {
      seedlm::obs::LogError(w.ToString());
      return 1;
    }
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_agent = agent->get();
    if (g_stop_requested) g_agent->Stop();
  }
  const absl::Status s = (*agent)->Run();
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_agent = nullptr;
  }
  if (!s.ok()) {
    seedlm::obs::LogError(s.ToString());
    return 1;
  }
  return 0;
}
