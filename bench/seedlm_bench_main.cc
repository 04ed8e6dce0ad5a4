// seedlm-bench: the project's measurement tool. One binary, one subcommand per
// measurement:
//   seedlm-bench quality [flags]   reconstruction error vs. RTN baselines
//   seedlm-bench search [flags]    fast vs reference seed search speed
//   seedlm-bench perplexity [flags] the perplexity/KL table (make quality)
//   seedlm-bench tokens [flags]    generation speed and memory of a model
//   seedlm-bench matvec [flags]    weight-kernel speed (matvec, small batch)
//   seedlm-bench coordinator [flags] a compression coordinator's capacity
//   seedlm-bench serve [flags]     the batching engine under concurrent load
// To add a subcommand, implement `int XMain(const std::vector<std::string>&)`
// and add a line to kSubcommands below.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/coordinator_bench.h"
#include "bench/matvec_bench.h"
#include "bench/ppl_table.h"
#include "bench/quality.h"
#include "bench/search_bench.h"
#include "bench/serve_bench.h"
#include "bench/tokens_bench.h"
#include "core/util/cpu_features.h"
#include "core/util/version.h"

namespace seedlm {
namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Subcommand kSubcommands[] = {
    {"quality", "reconstruction error of the presets vs. RTN baselines",
     &QualityMain},
    {"search", "fast vs reference seed search speed (blocks/s)", &SearchMain},
    {"perplexity", "perplexity/KL of a real model, presets vs RTN (runtime)",
     &PerplexityTableMain},
    {"tokens", "generation tokens/s, load time and peak RSS of one model",
     &TokensMain},
    {"matvec", "weight-kernel speed vs the machine's read bandwidth",
     &MatVecMain},
    {"coordinator", "a compression coordinator's units/s, CPU and memory",
     &CoordinatorMain},
    {"serve", "batched vs unbatched tokens/s and time to first token",
     &ServeMain},
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: seedlm-bench <subcommand> [flags]\n"
               "       seedlm-bench <subcommand> --help\n"
               "       seedlm-bench --version\n"
               "subcommands:\n");
  for (const Subcommand& s : kSubcommands) {
    std::fprintf(out, "  %-10s %s\n", s.name, s.summary);
  }
}

}  // namespace
}  // namespace seedlm

int main(int argc, char** argv) {
  // The SIMD override is read here, once, and passed down (cpu_features.h).
  if (absl::Status simd =
          seedlm::SetSimdLevelCapFrom(std::getenv("SEEDLM_SIMD"));
      !simd.ok()) {
    std::fprintf(stderr, "seedlm-bench: %s\n",
                 std::string(simd.message()).c_str());
    return 2;
  }
  using seedlm::kSubcommands;
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("%s\n", seedlm::VersionLine("seedlm-bench").c_str());
    return 0;
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "help") == 0) {
    seedlm::PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) == 0) {
      return s.run(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  std::fprintf(stderr, "seedlm-bench: unknown subcommand '%s'\n", argv[1]);
  seedlm::PrintUsage(stderr);
  return 2;
}
