// seedlm-health-probe: exits 0 when a SeedLM process is healthy, for
// container HEALTHCHECKs and Kubernetes exec probes (client/probe/probe.h).
// gRPC servers (seedlm-coordinator, seedlm-serve) through the standard
// grpc.health.v1.Health/Check, workers and executors through GET /healthz.
// Exit status: 0 SERVING, 1 not (one line on stderr says why), 2 usage.
#include <cstdio>
#include <string>
#include <vector>

#include "client/probe/probe.h"
#include "core/util/version.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = seedlm::probe::ParseProbeArgs(args);
  if (!options.ok()) {
    std::fprintf(stderr, "seedlm-health-probe: %s (try --help)\n",
                 std::string(options.status().message()).c_str());
    return seedlm::probe::kExitUsage;
  }
  if (options->help) {
    std::printf("%s\n", seedlm::probe::UsageText());
    return 0;
  }
  if (options->version) {
    std::printf("%s\n", seedlm::VersionLine("seedlm-health-probe").c_str());
    return 0;
  }
  const seedlm::probe::ProbeResult result = seedlm::probe::RunProbe(*options);
  if (result.exit_code == seedlm::probe::kExitServing) {
    std::printf("%s\n", result.message.c_str());
  } else {
    std::fprintf(stderr, "seedlm-health-probe: %s\n", result.message.c_str());
  }
  return result.exit_code;
}
