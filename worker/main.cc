// seedlm-worker: runs compression work units for a coordinator
// (worker/worker.h). Flags are parsed here only. Exit status: 0 after a
// drain (SIGTERM / SIGINT), 1 when the worker fails or is refused, 2 for a
// usage error. A second SIGTERM / SIGINT exits at once (128 + signal).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/cli_surface.h"
#include "core/util/file_util.h"
#include "core/util/version.h"
#include "server/common/http_endpoint.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "worker/worker.h"

namespace {

using seedlm::FlagDoc;
using K = seedlm::FlagValueKind;

// The worker's table (core/util/cli_surface.h): what the parser accepts,
// --help lists and --completion-bash completes. Every flag but the last
// three takes a value.
const seedlm::CommandDoc& WorkerDoc() {
  static const seedlm::CommandDoc* doc = new seedlm::CommandDoc{
      .name = "seedlm-worker",
      .synopsis = "--coordinator HOST:PORT [flags]",
      .summary = "runs compression work units for a coordinator",
      .description =
          "Registers with a seedlm-coordinator, leases compression work "
          "units, compresses them on its threads and returns the results; "
          "reconnects and re-registers through a coordinator restart. The "
          "first SIGTERM/SIGINT drains (exit 0), a second exits at once.",
      .flags =
          {{"coordinator", K::kText, "HOST:PORT",
            "the coordinator's WorkService address (required)"},
           {"threads",
            K::kNumber,
            "N",
            "compression threads, 1..4096",
            {},
            false,
            "all cores"},
           {"model-root", K::kDir, "DIR",
            "read the rows of units that name a model under here itself"},
           {"token", K::kText, "T", "bearer token of role worker"},
           {"tls-ca", K::kFile, "CA.pem", "PEM CA bundle: dial TLS"},
           {"name", K::kText, "S", "name in the coordinator's listings"},
           {"drain-seconds",
            K::kNumber,
            "S",
            "how long a drain may take, 0..86400",
            {},
            false,
            "60"},
           {"testing-corrupt-units", K::kNumber, "N",
            "tests only: corrupt the results of this many units"},
           {"http", K::kText, "HOST:PORT",
            "serve /metrics and /healthz here (port 0 picks a free one)"},
           {"ready-file", K::kFile, "F",
            "once started, write {\"http\": \"HOST:PORT\", \"pid\": N} here"},
           {"log-level", K::kChoice, "L", "the lowest level logged",
            seedlm::obs::LogLevelNames(), false, "info"},
           {"log-format", K::kChoice, "F", "the log line format",
            seedlm::obs::LogFormatNames(), false, "text"},
           seedlm::HelpFlagDoc(),
           seedlm::VersionFlagDoc(),
           seedlm::CompletionBashFlagDoc()},
      .positionals = seedlm::PositionalKind::kNone};
  return *doc;
}

bool TakesValue(const std::string& name) {
  for (const FlagDoc& f : WorkerDoc().flags) {
    if (f.name == name) return f.kind != K::kNone;
  }
  return false;
}

// The worker the signal thread stops; cleared before it is destroyed.
std::mutex g_mu;
seedlm::worker::Worker* g_worker = nullptr;
bool g_stop_requested = false;  // a signal came before the worker existed

// Waits for SIGTERM / SIGINT (blocked in every thread): the first drains,
// the second exits at once.
void SignalLoop(sigset_t set) {
  for (int count = 0;; ++count) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (count > 0) std::_Exit(128 + sig);
    seedlm::obs::LogInfo("draining (again to exit now)", {{"signal", sig}});
    std::lock_guard<std::mutex> lock(g_mu);
    g_stop_requested = true;
    if (g_worker != nullptr) g_worker->Stop();
  }
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "seedlm-worker: %s (usage: seedlm-worker %s)\n",
               why.c_str(), WorkerDoc().synopsis.c_str());
  return 2;
}

// --help / -h, --version, --completion-bash: what to print, or nullopt.
std::optional<std::string> SurfaceOutput(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      return seedlm::CommandHelpText("seedlm-worker", WorkerDoc());
    }
    if (arg == "--version") return seedlm::VersionLine("seedlm-worker") + "\n";
    if (arg == "--completion-bash") {
      return seedlm::BashCompletionScript("seedlm-worker", WorkerDoc(), {});
    }
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::optional<std::string> out = SurfaceOutput(argc, argv)) {
    std::fwrite(out->data(), 1, out->size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  seedlm::worker::WorkerOptions o;
  std::string threads, drain, corrupt, http, ready_file;
  std::string log_level = "info", log_format = "text";
  const std::map<std::string, std::string*> flags = {
      {"coordinator", &o.coordinator},
      {"threads", &threads},
      {"model-root", &o.model_root},
      {"token", &o.token},
      {"tls-ca", &o.tls_ca},
      {"name", &o.name},
      {"drain-seconds", &drain},
      {"testing-corrupt-units", &corrupt},
      {"http", &http},
      {"ready-file", &ready_file},
      {"log-level", &log_level},
      {"log-format", &log_format}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Usage("unexpected argument " + arg);
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (!TakesValue(name)) {
      return Usage("unknown flag --" + name);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage("--" + name + " needs a value");
    }
    auto it = flags.find(name);
    if (it == flags.end() || !TakesValue(name)) {
      return Usage("unknown flag --" + name);
    }
    *it->second = value;
  }
  if (absl::Status s = seedlm::obs::InitLoggingFromFlags("seedlm-worker",
                                                         log_level, log_format);
      !s.ok()) {
    return Usage(std::string(s.message()));
  }
  if (o.coordinator.empty()) return Usage("--coordinator is required");
  if (!threads.empty() && (!absl::SimpleAtoi(threads, &o.threads) ||
                           o.threads < 1 || o.threads > 4096)) {
    return Usage("--threads must be an integer in 1..4096, got '" + threads +
                 "'");
  }
  if (!corrupt.empty() &&
      (!absl::SimpleAtoi(corrupt, &o.testing_corrupt_units) ||
       o.testing_corrupt_units < 0)) {
    return Usage("--testing-corrupt-units must be a count, got '" + corrupt +
                 "'");
  }
  if (!drain.empty()) {
    int seconds = 0;
    if (!absl::SimpleAtoi(drain, &seconds) || seconds < 0 || seconds > 86400) {
      return Usage("--drain-seconds must be an integer in 0..86400, got '" +
                   drain + "'");
    }
    o.drain_deadline = absl::Seconds(seconds);
  }

  // Block the signals before any thread starts, so only SignalLoop sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(SignalLoop, set).detach();

  // /metrics and /healthz on --http.
  seedlm::obs::MetricsRegistry metrics("seedlm-worker");
  o.metrics = &metrics;
  seedlm::obs::HttpEndpoint endpoint(&metrics);
  if (!http.empty()) {
    auto bound = endpoint.Start(http);
    if (!bound.ok()) {
      seedlm::obs::LogError(bound.status().ToString());
      return bound.status().code() == absl::StatusCode::kInvalidArgument ? 2
                                                                         : 1;
    }
    seedlm::obs::LogInfo("serving HTTP", {{"http", *bound}});
    http = *bound;
  }
  // {"http": "host:port" ("" without --http), "pid": N}, written once the
  // HTTP port is bound (tests read the port from it).
  if (!ready_file.empty()) {
    absl::Status s = seedlm::WriteFileAtomically(
        ready_file,
        absl::StrCat("{\"http\": \"", http, "\", \"pid\": ", getpid(), "}\n"));
    if (!s.ok()) {
      seedlm::obs::LogError(s.ToString());
      return 1;
    }
  }

  auto worker = seedlm::worker::Worker::Create(o);
  if (!worker.ok()) {
    seedlm::obs::LogError(worker.status().ToString());
    return worker.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_worker = worker->get();
    if (g_stop_requested) g_worker->Stop();
  }
  const absl::Status s = (*worker)->Run();
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_worker = nullptr;
  }
  if (!s.ok()) {
    seedlm::obs::LogError(s.ToString());
    return 1;
  }
  return 0;
}
