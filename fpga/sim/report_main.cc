// seedlm-fpga-report: the cycle table of fpga/README.md, from simulation.
//
// For each matrix size and memory-port width it runs one y = W x through
// the Verilated SeedLM engine (random 4bit-p4 blocks, and 3bit at 64 B/cycle)
// and through the bf16 baseline engine (random bf16 rows), checks both
// against the CPU kernels bit for bit, and prints cycles and speed-ups
// beside the paper's figures. Then it checks the analytic cycle model
// (cycle_model.h) against those runs and uses it for Llama-2-7B- and
// 70B-shaped models at a stated clock.
//
//   seedlm-fpga-report [--sizes 512x512,...] [--ports 64,128] [--clock-mhz 300]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/codec/packed_testing.h"
#include "core/runtime/kernels.h"
#include "core/runtime/linear.h"
#include "core/util/absl_cli.h"
#include "fpga/sim/cycle_model.h"
#include "fpga/sim/engine.h"

ABSL_FLAG(std::string, sizes,
          "512x512,1024x1024,2048x2048,4096x4096,4096x11008",
          "matrices, rows x cols");
ABSL_FLAG(std::string, ports, "64,128", "memory port widths, bytes/cycle");
ABSL_FLAG(double, clock_mhz, 300, "clock for the tokens/s table");

namespace seedlm::fpga {
namespace {

// The paper's speed-ups of its 4-bit SeedLM engine over its FP16 engine (64
// B/cycle, 128 vs 32 MACs), for the square sizes it reports.
const char* PaperSpeedup(const std::string& preset, int port, int64_t rows,
                         int64_t cols) {
  if (rows != cols || port != 64 || preset != "4bit-p4") return "";
  if (rows == 512) return "3.67";
  if (rows == 1024) return "3.92";
  if (rows == 2048) return "3.98";
  return "";
}

struct Run {
  MatVecStats stats;
  double seconds = 0;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "seedlm-fpga-report: %s\n", what.c_str());
  return 1;
}

// Random valid blocks of `preset` (packed_testing.h, a test helper: the
// report is a measurement tool); y through the engine, checked against the CPU.
absl::StatusOr<Run> PackedRun(const std::string& preset, int64_t rows,
                              int64_t cols, int port, std::mt19937_64& rng) {
  absl::StatusOr<CodecConfig> c = PresetByName(preset);
  if (!c.ok()) return c.status();
  const std::vector<uint8_t> payload =
      RandomPackedPayload(*c, rows, cols, &rng);
  absl::StatusOr<std::unique_ptr<PackedLinear>> w =
      PackedLinear::Create(*c, -8, rows, cols, payload);
  if (!w.ok()) return w.status();
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(cols));
  for (float& v : x) v = normal(rng);
  absl::StatusOr<std::unique_ptr<PackedEngine>> e =
      CreatePackedEngine(*c, {port, 0});
  if (!e.ok()) return e.status();
  std::vector<float> want(static_cast<size_t>(rows)), got(want.size());
  kernels::PackedRows(SimdLevel::kAuto, (*w)->view(), x.data(), 1, 0, rows,
                      want.data(), 0);
  Run run;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<MatVecStats> s =
      (*e)->MatVec((*w)->view(), x.data(), 0, rows, got.data());
  run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!s.ok()) return s.status();
  if (std::memcmp(want.data(), got.data(), want.size() * 4) != 0) {
    return absl::InternalError(preset + ": engine and CPU differ");
  }
  run.stats = *s;
  return run;
}

absl::StatusOr<Run> Bf16Run(int64_t rows, int64_t cols, int port,
                            std::mt19937_64& rng) {
  std::vector<uint16_t> w(static_cast<size_t>(rows * cols));
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (uint16_t& v : w) {
    const float f = normal(rng);
    uint32_t b;
    std::memcpy(&b, &f, 4);
    v = static_cast<uint16_t>(b >> 16);
  }
  std::vector<float> x(static_cast<size_t>(cols));
  for (float& v : x) v = normal(rng);
  absl::StatusOr<std::unique_ptr<Bf16Engine>> e = CreateBf16Engine({port, 0});
  if (!e.ok()) return e.status();
  std::vector<float> want(static_cast<size_t>(rows)), got(want.size());
  kernels::DenseBf16Rows(SimdLevel::kAuto, w.data(), cols, x.data(), 1, 0, rows,
                         want.data(), 0);
  Run run;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<MatVecStats> s =
      (*e)->MatVec(w.data(), rows, cols, x.data(), 0, rows, got.data());
  run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!s.ok()) return s.status();
  if (std::memcmp(want.data(), got.data(), want.size() * 4) != 0) {
    return absl::InternalError("bf16: engine and CPU differ");
  }
  run.stats = *s;
  return run;
}

struct Size {
  int64_t rows, cols;
};

int Main() {
  std::vector<Size> sizes;
  for (absl::string_view s :
       absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',', absl::SkipEmpty())) {
    std::vector<std::string> rc = absl::StrSplit(s, 'x');
    Size z{};
    if (rc.size() != 2 || !absl::SimpleAtoi(rc[0], &z.rows) ||
        !absl::SimpleAtoi(rc[1], &z.cols) || z.rows < 1 || z.cols < 1) {
      return Fail("--sizes: ROWSxCOLS,... got '" + std::string(s) + "'");
    }
    sizes.push_back(z);
  }
  std::vector<int> ports;
  for (absl::string_view s :
       absl::StrSplit(absl::GetFlag(FLAGS_ports), ',', absl::SkipEmpty())) {
    int p = 0;
    if (!absl::SimpleAtoi(s, &p)) return Fail("--ports: bytes,...");
    ports.push_back(p);
  }
  std::mt19937_64 rng(2024);
  std::printf(
      "| matrix | port B/cycle | engine | MACs | cycles | bf16 cycles | "
      "speed-up | paper | model error | sim s |\n"
      "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Size& z : sizes) {
    for (int port : ports) {
      absl::StatusOr<Run> base = Bf16Run(z.rows, z.cols, port, rng);
      if (!base.ok()) return Fail(base.status().ToString());
      for (const char* preset : {"4bit-p4", "3bit"}) {
        if (std::string(preset) == "3bit" && port > 64) continue;
        absl::StatusOr<Run> r = PackedRun(preset, z.rows, z.cols, port, rng);
        if (!r.ok()) return Fail(r.status().ToString());
        const CycleModel m = CycleModel::ForPreset(preset, port);
        const double model = m.MatVecCycles(z.rows, z.cols);
        std::printf(
            "| %lldx%lld | %d | %s | %d | %llu | %llu | %.2f | %s | %+.2f%% | "
            "%.1f |\n",
            static_cast<long long>(z.rows), static_cast<long long>(z.cols),
            port, preset, m.macs(),
            static_cast<unsigned long long>(r->stats.cycles),
            static_cast<unsigned long long>(base->stats.cycles),
            static_cast<double>(base->stats.cycles) / r->stats.cycles,
            PaperSpeedup(preset, port, z.rows, z.cols),
            100.0 * (model - r->stats.cycles) / r->stats.cycles,
            r->seconds + base->seconds);
        std::fflush(stdout);
      }
    }
  }
  std::printf("\n");
  PrintTokenTable(absl::GetFlag(FLAGS_clock_mhz), ports);
  return 0;
}

}  // namespace
}  // namespace seedlm::fpga

int main(int argc, char** argv) {
  if (std::optional<int> done = seedlm::ParseAbslCommandLine(
          argc, argv,
          {.binary = "seedlm-fpga-report",
           .synopsis = "[--sizes R1xC1,...] [--ports 64,128] [--clock-mhz 300]",
           .description =
               "The cycle table of fpga/README.md, from simulation: one y = "
               "W x per matrix size and memory-port width through the "
               "Verilated SeedLM engine and the bf16 baseline engine, both "
               "checked against the CPU kernels bit for bit, then the cycle "
               "model for Llama-2-7B- and 70B-shaped models.",
           .main_file = __FILE__})) {
    return *done;
  }
  return seedlm::fpga::Main();
}
