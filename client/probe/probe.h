// seedlm-health-probe's logic (a grpc_health_probe for SeedLM): parse the
// flags, ask a server's standard gRPC health service
// (grpc.health.v1.Health/Check, which seedlm-coordinator and seedlm-serve
// serve) or a process's HTTP GET /healthz (seedlm-worker, seedlm-executor),
// and turn the answer into an exit code and one line of explanation. Used
// by container HEALTHCHECKs and Kubernetes exec probes; main.cc only prints.
#ifndef SEEDLM_CLIENT_PROBE_PROBE_H_
#define SEEDLM_CLIENT_PROBE_PROBE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace seedlm::probe {

// Exit codes, as grpc_health_probe uses them (0 healthy, 1 not).
inline constexpr int kExitServing = 0;
inline constexpr int kExitUnhealthy = 1;
inline constexpr int kExitUsage = 2;

// The largest --timeout, seconds.
inline constexpr double kMaxTimeoutSeconds = 3600;

struct ProbeOptions {
  std::string addr;            // --addr host:port: gRPC health check
  std::string http;            // --http host:port: GET /healthz instead
  std::string service;         // --service: "" = the server as a whole
  double timeout_seconds = 5;  // --timeout: connect + request, together
  std::string tls_ca;          // --tls-ca: dial TLS trusting this PEM CA
  bool help = false;           // --help
  bool version = false;        // --version
};

// The usage line --help prints.
const char* UsageText();

// Parses the arguments after the program name ("--flag value" or
// "--flag=value"). INVALID_ARGUMENT saying why for an unknown flag, a
// missing value, a bad --timeout, neither or both of --addr and --http, or
// --service with --http. --help and --version need nothing else.
absl::StatusOr<ProbeOptions> ParseProbeArgs(
    const std::vector<std::string>& args);

// What a check found: the exit code and one line saying why.
struct ProbeResult {
  int exit_code = kExitUnhealthy;
  std::string message;
};

// The verdict for a completed Check: `serving_status` is the response's
// HealthCheckResponse.ServingStatus number (1 SERVING: exit 0).
ProbeResult FromServingStatus(int serving_status, const std::string& service);

// The verdict for a failed Check RPC (NOT_FOUND: the service is unknown to
// the server; UNAVAILABLE: nothing serves at `addr`; ...): always exit 1.
ProbeResult FromRpcError(const grpc::Status& status, const ProbeOptions& o);

// grpc.health.v1.Health/Check on o.addr for o.service, with one deadline of
// o.timeout_seconds for connecting and the call. Exit 2 when --tls-ca cannot
// be read.
ProbeResult CheckGrpc(const ProbeOptions& o);

// GET /healthz on o.http (https with o.tls_ca when given): exit 0 on HTTP
// 200, else 1. cpp-httplib has no overall deadline: connecting and reading
// each get o.timeout_seconds (at most twice that in all).
ProbeResult CheckHttp(const ProbeOptions& o);

// CheckHttp when o.http is set, else CheckGrpc.
ProbeResult RunProbe(const ProbeOptions& o);

}  // namespace seedlm::probe

#endif  // SEEDLM_CLIENT_PROBE_PROBE_H_
