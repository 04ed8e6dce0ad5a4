// seedlm-coordinator: compression jobs over gRPC (CompressionService for
// clients, WorkService for workers), state in --state-dir. Flags live here
// only. SIGTERM/SIGINT drain: health NOT_SERVING, streams told to end,
// in-flight calls finish (up to --drain-seconds), then exit 0.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/util/absl_cli.h"
#include "core/util/file_util.h"
#include "proto/rpc/credentials.h"
#include "server/common/http_endpoint.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "server/coordinator/coordinator.h"
#include "server/coordinator/http_api.h"
#include "server/coordinator/services.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "address of CompressionService (and WorkService unless "
          "--worker-listen), host:port; port 0 picks a free one");
ABSL_FLAG(std::string, worker_listen, "",
          "serve WorkService on this address only (e.g. for a network "
          "policy that admits only workers)");
ABSL_FLAG(std::string, state_dir, "", "directory of the job store (required)");
ABSL_FLAG(std::string, model_root, "",
          "models that jobs may name by server path live under here");
ABSL_FLAG(double, lease_timeout, 30,
          "seconds without a heartbeat before a "
          "lease expires");
ABSL_FLAG(int, verify_blocks, 8, "blocks re-searched per completed unit");
ABSL_FLAG(double, retain_hours, 0,
          "remove ended jobs, results and uploads this long after their last "
          "change (0 = keep until deleted)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate: serve TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, auth_tokens, "",
          "file of 'TOKEN ROLE [NAME]' lines (roles client, worker, admin); "
          "without it auth is off");
ABSL_FLAG(std::string, http, "",
          "serve /metrics (Prometheus), the dashboard at / and the JSON API "
          "/api/v1/ on this host:port (port 0 picks a free one); off when "
          "empty");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");
ABSL_FLAG(std::string, log_format, "text", "text, json or logfmt");
ABSL_FLAG(std::string, ready_file, "",
          "once serving, write the bound addresses here as JSON");
ABSL_FLAG(double, drain_seconds, 20, "how long SIGTERM waits for calls");
ABSL_FLAG(int64_t, unit_blocks, 0, "blocks per work unit (0 = default)");
ABSL_FLAG(int64_t, testing_assembly_delay_ms, 0,
          "tests only: pause before each assembly");

namespace {

using seedlm::coordinator::Coordinator;

int Fail(const std::string& message, int code = 1) {
  seedlm::obs::LogError(message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (std::optional<int> done = seedlm::ParseAbslCommandLine(
          argc, argv,
          {.binary = "seedlm-coordinator",
           .synopsis = "--state-dir DIR [--listen ADDR] [flags]",
           .description =
               "Runs compression jobs over gRPC: CompressionService for "
               "clients (seedlm submit), WorkService for seedlm-worker "
               "processes; jobs, leases and results live in --state-dir and "
               "survive a restart. SIGTERM drains and exits 0.",
           .main_file = __FILE__,
           .choices = {{"log-level", seedlm::obs::LogLevelNames()},
                       {"log-format", seedlm::obs::LogFormatNames()}}})) {
    return *done;
  }
  if (absl::Status s = seedlm::obs::InitLoggingFromFlags(
          "seedlm-coordinator", absl::GetFlag(FLAGS_log_level),
          absl::GetFlag(FLAGS_log_format));
      !s.ok()) {
    return Fail(s.ToString(), 2);
  }
  if (absl::GetFlag(FLAGS_state_dir).empty())
    return Fail("--state-dir is required", 2);
  const double lease = absl::GetFlag(FLAGS_lease_timeout);
  if (!(lease >= 0.1 && lease <= 86400))
    return Fail("--lease-timeout: 0.1..86400", 2);
  const int verify = absl::GetFlag(FLAGS_verify_blocks);
  if (verify < 0 || verify > 1 << 20)
    return Fail("--verify-blocks: 0..1048576", 2);
  const double retain = absl::GetFlag(FLAGS_retain_hours);
  if (!(retain >= 0 && retain <= 1e6)) return Fail("--retain-hours: 0..1e6", 2);
  const int64_t unit_blocks = absl::GetFlag(FLAGS_unit_blocks);
  if (unit_blocks < 0 || unit_blocks > (int64_t{1} << 30)) {
    return Fail("--unit-blocks: 0..2^30", 2);
  }

  // Signals are handled by a thread that waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  seedlm::rpc::TokenTable tokens;
  if (!absl::GetFlag(FLAGS_auth_tokens).empty()) {
    auto loaded =
        seedlm::rpc::TokenTable::Load(absl::GetFlag(FLAGS_auth_tokens));
    if (!loaded.ok()) return Fail(loaded.status().ToString(), 2);
    tokens = std::move(*loaded);
  } else {
    seedlm::obs::LogWarn("no --auth-tokens: every caller is an admin");
  }
  auto creds = seedlm::rpc::ServerCredentials(absl::GetFlag(FLAGS_tls_cert),
                                              absl::GetFlag(FLAGS_tls_key));
  if (!creds.ok()) return Fail(creds.status().ToString(), 2);

  seedlm::coordinator::CoordinatorOptions options;
  options.state_dir = absl::GetFlag(FLAGS_state_dir);
  options.model_root = absl::GetFlag(FLAGS_model_root);
  options.lease_timeout = absl::Seconds(lease);
  options.verify_blocks = verify;
  options.retain = absl::Hours(retain);
  if (unit_blocks > 0) options.unit_blocks = unit_blocks;
  const int64_t delay = absl::GetFlag(FLAGS_testing_assembly_delay_ms);
  if (delay < 0 || delay > 600000) {
    return Fail("--testing-assembly-delay-ms: 0..600000", 2);
  }
  options.testing_assembly_delay = absl::Milliseconds(delay);
  seedlm::obs::MetricsRegistry metrics("seedlm-coordinator");
  options.metrics = &metrics;
  auto coordinator = Coordinator::Start(options);
  if (!coordinator.ok()) return Fail(coordinator.status().ToString());

  seedlm::coordinator::CompressionServiceImpl compression(coordinator->get(),
                                                          &tokens);
  seedlm::coordinator::WorkServiceImpl work(coordinator->get(), &tokens);
  const std::string worker_addr = absl::GetFlag(FLAGS_worker_listen);
  int port = 0, worker_port = 0;
  grpc::ServerBuilder builder;
  seedlm::rpc::ConfigureServerBuilder(builder);
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), *creds, &port);
  builder.RegisterService(&compression);
  std::unique_ptr<grpc::Server> worker_server;
  if (worker_addr.empty()) {
    builder.RegisterService(&work);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    return Fail("cannot listen on " + absl::GetFlag(FLAGS_listen));
  }
  if (!worker_addr.empty()) {
    grpc::ServerBuilder wb;
    seedlm::rpc::ConfigureServerBuilder(wb);
    wb.AddListeningPort(worker_addr, *creds, &worker_port);
    wb.RegisterService(&work);
    worker_server = wb.BuildAndStart();
    if (!worker_server || worker_port == 0) {
      return Fail("cannot listen on " + worker_addr);
    }
  }
  auto host_of = [](const std::string& addr) {
    return addr.substr(0, addr.rfind(':'));
  };
  const std::string listen =
      absl::StrCat(host_of(absl::GetFlag(FLAGS_listen)), ":", port);
  const std::string wlisten =
      worker_addr.empty()
          ? listen
          : absl::StrCat(host_of(worker_addr), ":", worker_port);
  // The HTTP port: /metrics, /healthz, the dashboard and its JSON API.
  seedlm::obs::HttpEndpoint http(&metrics, {.threads = 8});
  std::string http_addr;
  if (!absl::GetFlag(FLAGS_http).empty()) {
    seedlm::coordinator::RegisterHttpApi(http, coordinator->get(), &tokens);
    auto bound = http.Start(absl::GetFlag(FLAGS_http));
    if (!bound.ok()) return Fail(bound.status().ToString());
    http_addr = *bound;
  }
  seedlm::obs::LogInfo(
      "serving",
      {{"listen", listen}, {"worker_listen", wlisten}, {"http", http_addr}});
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    absl::Status s = seedlm::WriteFileAtomically(
        absl::GetFlag(FLAGS_ready_file),
        absl::StrCat("{\"listen\": \"", listen, "\", \"worker_listen\": \"",
                     wlisten, "\", \"http\": \"", http_addr,
                     "\", \"pid\": ", getpid(), "}\n"));
    if (!s.ok()) return Fail(s.ToString());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  seedlm::obs::LogInfo("draining", {{"signal", sig}});
  server->GetHealthCheckService()->SetServingStatus(false);
  if (worker_server)
    worker_server->GetHealthCheckService()->SetServingStatus(false);
  compression.StopStreams();
  work.StopStreams();
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(
                            absl::GetFlag(FLAGS_drain_seconds) * 1000));
  (*coordinator)->Shutdown();
  server->Shutdown(deadline);
  if (worker_server) worker_server->Shutdown(deadline);
  http.Stop();
  seedlm::obs::LogInfo("stopped");
  return 0;
}
