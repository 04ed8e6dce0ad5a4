#include "bench/matvec_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "core/codec/block_format.h"
#include "core/codec/codec.h"
#include "core/codec/packed_testing.h"
#include "core/runtime/linear.h"
#include "core/runtime/trellis_linear.h"
#include "core/util/dtype.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench matvec --rows R --cols C --batch B --preset P "
    "[--threads N] [--json]\n"
    "       seedlm-bench matvec --table [--threads N] [--json]\n"
    "Weight-kernel speed (weights/s, effective GB/s, ratio to the measured\n"
    "read bandwidth) for a packed preset (4bit, 3bit, 4bit-i8, 3bit-i8,\n"
    "4bit-p4), a seed-trellis preset (4bit-t, 3bit-t, 2bit-t) or a\n"
    "dense baseline (f32, bf16). Flags:\n";

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A weight with the storage it borrows.
struct BenchWeight {
  std::vector<uint8_t> payload;  // packed presets
  std::unique_ptr<LinearWeight> weight;
};

// A valid trellis payload: uniformly random stream bits, every row's scale
// that of N(0, 0.02^2) weights (0.02 / 150).
std::vector<uint8_t> RandomTrellisPayload(const CodecConfig& c, int64_t rows,
                                          int64_t cols, std::mt19937_64* rng) {
  const uint64_t rb = MakeGeometry(c, rows, cols).trellis_row_bytes();
  std::vector<uint8_t> p(static_cast<size_t>(rows * rb));
  for (uint8_t& b : p) b = static_cast<uint8_t>((*rng)() >> 56);
  const float scale = 0.02f / 150.0f;
  for (int64_t r = 0; r < rows; ++r) std::memcpy(&p[r * rb], &scale, 4);
  return p;
}

absl::StatusOr<BenchWeight> MakeWeight(const std::string& preset, int64_t rows,
                                       int64_t cols, uint64_t seed) {
  BenchWeight w;
  std::mt19937_64 rng(seed);
  if (preset == "f32" || preset == "bf16") {
    std::normal_distribution<float> n(0.0f, 0.02f);
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (float& x : v) x = n(rng);
    if (preset == "f32") {
      w.weight = std::make_unique<DenseLinear>(rows, cols, std::move(v));
      return w;
    }
    std::vector<uint16_t> b(v.size());
    for (size_t i = 0; i < v.size(); ++i) b[i] = FloatToBFloat16(v[i]);
    w.weight = std::make_unique<DenseBf16Linear>(rows, cols, std::move(b));
    return w;
  }
  ASSIGN_OR_RETURN(CodecConfig c, PresetByName(preset));
  if (c.is_trellis()) {
    w.payload = RandomTrellisPayload(c, rows, cols, &rng);
    ASSIGN_OR_RETURN(w.weight, TrellisLinear::Create(c, rows, cols, w.payload));
    return w;
  }
  w.payload = RandomPackedPayload(c, rows, cols, &rng);
  ASSIGN_OR_RETURN(w.weight,
                   PackedLinear::Create(c, -8, rows, cols, w.payload));
  return w;
}

// Best-of-five streaming read bandwidth over `bytes`, GB/s, with the pool's
// threads (each sums its own contiguous share with 16-byte vector loads and
// four independent accumulators, so the loads, not the adds, set the pace).
double ReadBandwidthGbs(ThreadPool* pool, size_t bytes) {
  typedef uint64_t V2 __attribute__((vector_size(16)));
  std::vector<V2> buf(bytes / sizeof(V2));
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = V2{i, ~i};
  const int64_t parts = pool->num_threads();
  std::vector<uint64_t> sums(parts);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t = Clock::now();
    pool->ParallelFor(parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t part = b; part < e; ++part) {
        const size_t n = buf.size() / parts, lo = part * n;
        V2 a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = lo; i + 4 <= lo + n; i += 4) {
          a0 += buf[i];
          a1 += buf[i + 1];
          a2 += buf[i + 2];
          a3 += buf[i + 3];
        }
        const V2 a = (a0 + a1) + (a2 + a3);
        sums[part] = a[0] + a[1];
      }
    });
    best = std::max(best, static_cast<double>(bytes) / Since(t) / 1e9);
  }
  return best;
}

struct Measurement {
  std::string preset;
  int64_t rows = 0, cols = 0, batch = 1;
  int threads = 1;
  double seconds = 0;  // best call
  double weights_per_s = 0, gbytes_per_s = 0, bandwidth_gbs = 0;
  double bandwidth_ratio = 0;
  uint64_t bytes = 0;  // read per call
};

absl::StatusOr<Measurement> Measure(const std::string& preset, int64_t rows,
                                    int64_t cols, int64_t batch,
                                    ThreadPool* pool, double min_seconds,
                                    double bandwidth) {
  ASSIGN_OR_RETURN(BenchWeight w, MakeWeight(preset, rows, cols, 1));
  std::mt19937_64 rng(2);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(batch * cols));
  for (float& v : x) v = n(rng);
  std::vector<float> y(static_cast<size_t>(batch * rows));
  Measurement m;
  m.preset = preset;
  m.rows = rows, m.cols = cols, m.batch = batch;
  m.threads = pool->num_threads();
  m.seconds = 1e30;
  const auto start = Clock::now();
  for (int it = 0; it < 3 || Since(start) < min_seconds; ++it) {
    const auto t = Clock::now();
    if (batch == 1) {
      MatVec(*w.weight, x.data(), y.data(), pool);
    } else {
      MatMul(*w.weight, x.data(), batch, y.data(), pool);
    }
    m.seconds = std::min(m.seconds, Since(t));
  }
  m.bytes = w.weight->StorageBytes() + x.size() * 4;
  m.weights_per_s = static_cast<double>(rows * cols * batch) / m.seconds;
  m.gbytes_per_s = static_cast<double>(m.bytes) / m.seconds / 1e9;
  m.bandwidth_gbs = bandwidth;
  m.bandwidth_ratio = m.gbytes_per_s / bandwidth;
  return m;
}

nlohmann::json ToJson(const Measurement& m) {
  return {{"preset", m.preset},
          {"rows", m.rows},
          {"cols", m.cols},
          {"batch", m.batch},
          {"threads", m.threads},
          {"seconds", m.seconds},
          {"bytes_read", m.bytes},
          {"weights_per_s", m.weights_per_s},
          {"gbytes_per_s", m.gbytes_per_s},
          {"bandwidth_gbs", m.bandwidth_gbs},
          {"bandwidth_ratio", m.bandwidth_ratio}};
}

struct Flags {
  int64_t rows = 4096, cols = 11008, batch = 1, threads = 0;
  std::string preset = "4bit";
  std::string min_seconds = "1";
  bool json = false, table = false;
};

absl::Status RunTable(const Flags& f, ThreadPool* pool, double bandwidth,
                      double min_seconds) {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {4096, 4096}, {4096, 11008}, {11008, 4096}};
  const std::vector<std::string> kinds = {
      "f32",     "bf16",    "4bit",   "3bit",   "4bit-i8",
      "3bit-i8", "4bit-p4", "4bit-t", "3bit-t", "2bit-t"};
  nlohmann::json all = nlohmann::json::array();
  std::string md = absl::StrFormat(
      "read bandwidth %.1f GB/s, %d threads\n\n| shape | batch | kernel | "
      "time (ms) | G weights/s | GB/s read | of bandwidth | vs f32 | "
      "vs 4bit-p4 |\n|---|---|---|---|---|---|---|---|---|\n",
      bandwidth, pool->num_threads());
  for (const auto& [rows, cols] : shapes) {
    for (int64_t batch : {1, 8}) {
      double f32_rate = 0, p4_rate = 0;  // measured before the trellis rows
      for (const std::string& k : kinds) {
        ASSIGN_OR_RETURN(Measurement m, Measure(k, rows, cols, batch, pool,
                                                min_seconds, bandwidth));
        if (k == "f32") f32_rate = m.weights_per_s;
        if (k == "4bit-p4") p4_rate = m.weights_per_s;
        nlohmann::json j = ToJson(m);
        if (p4_rate > 0) j["vs_4bit_p4"] = m.weights_per_s / p4_rate;
        all.push_back(j);
        absl::StrAppendFormat(
            &md,
            "| %dx%d | %d | %s | %.3f | %.2f | %.1f | %.0f%% | %.2fx | %s |\n",
            rows, cols, batch, k, m.seconds * 1e3, m.weights_per_s / 1e9,
            m.gbytes_per_s, 100 * m.bandwidth_ratio, m.weights_per_s / f32_rate,
            p4_rate > 0 ? absl::StrFormat("%.2fx", m.weights_per_s / p4_rate)
                        : "-");
        std::fflush(stdout);
      }
    }
  }
  std::printf("%s", f.json ? (all.dump(2) + "\n").c_str() : md.c_str());
  return absl::OkStatus();
}

absl::Status Run(const Flags& f) {
  double min_seconds = 1;
  if (!absl::SimpleAtod(f.min_seconds, &min_seconds) || min_seconds < 0) {
    return absl::InvalidArgumentError("--min-seconds must be a number >= 0");
  }
  if (f.rows <= 0 || f.cols <= 0 || f.batch <= 0 || f.batch > 64 ||
      f.rows * f.cols > (int64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        "--rows, --cols must be positive (at most 2^32 weights), --batch "
        "1..64");
  }
  ThreadPool pool(static_cast<int>(f.threads));
  const double bandwidth = ReadBandwidthGbs(&pool, size_t{1} << 30);
  if (f.table) return RunTable(f, &pool, bandwidth, min_seconds);
  ASSIGN_OR_RETURN(Measurement m, Measure(f.preset, f.rows, f.cols, f.batch,
                                          &pool, min_seconds, bandwidth));
  if (f.json) {
    std::printf("%s\n", ToJson(m).dump(2).c_str());
  } else {
    absl::PrintF(
        "%s %dx%d batch %d, %d threads: %.3f ms, %.2f G weights/s, %.1f GB/s "
        "(%.0f%% of %.1f GB/s read bandwidth)\n",
        m.preset, m.rows, m.cols, m.batch, m.threads, m.seconds * 1e3,
        m.weights_per_s / 1e9, m.gbytes_per_s, 100 * m.bandwidth_ratio,
        m.bandwidth_gbs);
  }
  return absl::OkStatus();
}

}  // namespace

int MatVecMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags;
  flags.AddInt("rows", &f.rows, "matrix rows (outputs)");
  flags.AddInt("cols", &f.cols, "matrix columns (inputs)");
  flags.AddInt("batch", &f.batch, "vectors per call (1: matvec)");
  flags.AddString("preset", &f.preset,
                  "4bit, 3bit, 4bit-i8, 3bit-i8, 4bit-p4, 4bit-t, 3bit-t, "
                  "2bit-t, f32 or bf16");
  flags.AddInt("threads", &f.threads, "threads (0: all cores)");
  flags.AddString("min-seconds", &f.min_seconds, "time each kernel this long");
  flags.AddBool("json", &f.json, "print JSON");
  flags.AddBool("table", &f.table, "run the docs/PERFORMANCE.md table");
  if (absl::Status s = flags.Parse(args); !s.ok() || flags.WantsHelp()) {
    if (!s.ok()) {
      std::fprintf(stderr, "seedlm-bench matvec: %s\n",
                   std::string(s.message()).c_str());
    }
    std::fprintf(s.ok() ? stdout : stderr, "%s%s", kUsage,
                 flags.Usage().c_str());
    return s.ok() ? 0 : 2;
  }
  if (absl::Status s = Run(f); !s.ok()) {
    std::fprintf(stderr, "seedlm-bench matvec: %s\n",
                 std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace seedlm
