// seedlm-verify: checks that the fast seed search returns exactly the
// reference's results (seed, e, q and err bits) on many generated blocks
// (core/search/equivalence.h), for every preset and exponent mode.
//
//   seedlm-verify [--blocks N] [--presets P,...] [--modes M,...]
//                 [--kinds K,...] [--bias B] [--threads T] [--seed S]
//                 [--model PATH [--model-blocks M]] [--json]
//
// N blocks per preset x mode (default 100000, a long run: the reference costs
// ~5 ms per block per thread), spread evenly over the block generators; with
// --model also the blocks of a checkpoint's linear tensors (an evenly spread
// sample of M, or all of them when M = 0), as the quality bench reads them.
// Prints one row per preset x mode x generator and exits 1 if any block
// differs (the first mismatches are printed in full), 2 on a usage error.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "bench/quality_data.h"
#include "core/compress/compress_options.h"
#include "core/search/equivalence.h"
#include "core/search/fast_search.h"
#include "core/search/reference_search.h"
#include "core/util/cpu_features.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr int64_t kNoBias = 1000;  // --bias not given

struct VerifyFlags {
  int64_t blocks = 100000;
  std::string presets;  // default: all
  std::string modes = "search,fit,paper";
  std::string kinds;  // default: all
  int64_t bias = kNoBias;
  int64_t threads = 0;
  uint64_t seed = 1;
  std::string model;
  int64_t model_blocks = 0;
  bool json = false;
};

struct Row {
  std::string preset, mode;
  EquivalenceReport report;
};

// The sampled model blocks of width C (rows zero-padded), as doubles.
std::vector<double> ModelBlocks(const DataSet& data, int C, int64_t n) {
  std::vector<double> w;
  for (const BlockRef& b : SampleBlocks(data, C, n)) {
    const Matrix& m = data.matrices[b.matrix];
    for (int c = 0; c < C; ++c) {
      const int64_t col = b.col0 + c;
      w.push_back(col < m.cols ? m.w[b.row * m.cols + col] : 0.0);
    }
  }
  return w;
}

void Report(const std::string& preset, const SearchOptions& opt,
            EquivalenceReport r, std::vector<Row>* rows) {
  if (r.mismatches > 0) {
    std::fprintf(stderr, "MISMATCH %s %s:\n%s", preset.c_str(),
                 ExponentModeName(opt.mode), FormatMismatches(r, opt).c_str());
  }
  rows->push_back({preset, ExponentModeName(opt.mode), std::move(r)});
}

absl::Status VerifyOne(const SearchOptions& opt, const std::string& preset,
                       const std::vector<BlockKind>& kinds, int64_t blocks,
                       uint64_t seed, const DataSet* model,
                       int64_t model_blocks, ThreadPool* pool,
                       std::vector<Row>* rows) {
  ASSIGN_OR_RETURN(std::unique_ptr<FastSearcher> fast,
                   FastSearcher::Create(opt));
  ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> ref,
                   ReferenceSearcher::Create(opt));
  const int64_t k = static_cast<int64_t>(kinds.size());
  for (int64_t i = 0; i < k; ++i) {
    const int64_t n = blocks / k + (i < blocks % k ? 1 : 0);
    if (n == 0) continue;
    ASSIGN_OR_RETURN(
        EquivalenceReport r,
        CompareSearchers(*fast, *ref, kinds[i], n, seed + i, pool));
    Report(preset, opt, std::move(r), rows);
  }
  if (model != nullptr) {
    const std::vector<double> w =
        ModelBlocks(*model, opt.codec.C, model_blocks);
    ASSIGN_OR_RETURN(EquivalenceReport r,
                     CompareSearchersOnBlocks(*fast, *ref, w, "model", pool));
    Report(preset, opt, std::move(r), rows);
  }
  return absl::OkStatus();
}

std::string FormatTable(const std::vector<Row>& rows, int threads) {
  std::string out =
      absl::StrFormat("%-8s %-6s %-12s %8s %10s %9s %9s\n", "preset", "mode",
                      "kind", "blocks", "mismatch", "fast s", "ref s");
  int64_t blocks = 0, bad = 0;
  for (const Row& r : rows) {
    absl::StrAppendFormat(&out, "%-8s %-6s %-12s %8d %10d %9.2f %9.2f\n",
                          r.preset, r.mode, r.report.data, r.report.blocks,
                          r.report.mismatches, r.report.fast_seconds,
                          r.report.reference_seconds);
    blocks += r.report.blocks;
    bad += r.report.mismatches;
  }
  absl::StrAppendFormat(&out,
                        "%s: %d blocks compared, %d mismatches (%d threads)\n",
                        bad == 0 ? "OK" : "FAILED", blocks, bad, threads);
  return out;
}

std::string FormatJson(const std::vector<Row>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  int64_t blocks = 0, bad = 0;
  for (const Row& r : rows) {
    out.push_back({{"preset", r.preset},
                   {"mode", r.mode},
                   {"kind", r.report.data},
                   {"blocks", r.report.blocks},
                   {"mismatches", r.report.mismatches},
                   {"fast_s", r.report.fast_seconds},
                   {"reference_s", r.report.reference_seconds}});
    blocks += r.report.blocks;
    bad += r.report.mismatches;
  }
  return nlohmann::ordered_json(
             {{"rows", out}, {"blocks", blocks}, {"mismatches", bad}})
             .dump(1) +
         "\n";
}

absl::Status Run(const VerifyFlags& f, std::vector<Row>* rows, int* threads) {
  std::vector<BlockKind> kinds;
  if (f.kinds.empty()) {
    kinds = AllBlockKinds();
  } else {
    for (const std::string& k : SplitList(f.kinds)) {
      ASSIGN_OR_RETURN(BlockKind kind, ParseBlockKind(k));
      kinds.push_back(kind);
    }
  }
  const std::vector<std::string> presets =
      f.presets.empty() ? PresetNames() : SplitList(f.presets);
  std::unique_ptr<DataSet> model;
  if (!f.model.empty()) {
    ASSIGN_OR_RETURN(DataSet d, LoadModelDataSet(f.model));
    model = std::make_unique<DataSet>(std::move(d));
  }
  ThreadPool pool(static_cast<int>(f.threads));
  *threads = pool.num_threads();
  for (const std::string& preset : presets) {
    for (const std::string& mode : SplitList(f.modes)) {
      SearchOptions opt;
      ASSIGN_OR_RETURN(opt.codec, PresetByName(preset));
      ASSIGN_OR_RETURN(opt.mode, ParseExponentMode(mode));
      // Where the compressor would choose the bias (codecs without a block
      // exponent: the bias sets the scale), unless --bias is given, a fixed
      // one: where its bias search starts for the generated sigma = 0.02 data.
      if (f.bias != kNoBias) {
        opt.exponent_bias = static_cast<int>(f.bias);
      } else if (!DefaultExponentBias(opt.codec).has_value()) {
        opt.exponent_bias = InitialExponentBias(0.02);
      }
      RETURN_IF_ERROR(opt.Validate());
      RETURN_IF_ERROR(VerifyOne(opt, preset, kinds, f.blocks, f.seed,
                                model.get(), f.model_blocks, &pool, rows));
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace seedlm

int main(int argc, char** argv) {
  // The SIMD override is read here, once, and passed down (cpu_features.h).
  if (absl::Status simd =
          seedlm::SetSimdLevelCapFrom(std::getenv("SEEDLM_SIMD"));
      !simd.ok()) {
    std::fprintf(stderr, "seedlm-verify: %s\n",
                 std::string(simd.message()).c_str());
    return 2;
  }
  using namespace seedlm;  // NOLINT: a small main
  VerifyFlags f;
  FlagSet flags;
  flags.AddInt("blocks", &f.blocks, "blocks per preset x mode");
  flags.AddString("presets", &f.presets,
                  "comma-separated presets (default all)");
  flags.AddString("modes", &f.modes, "comma-separated exponent modes");
  flags.AddString("kinds", &f.kinds,
                  "comma-separated generators (default all)");
  flags.AddInt("bias", &f.bias,
               "exponent bias b of the searches (default 0; -8 for codecs "
               "without a block exponent)");
  flags.AddInt("threads", &f.threads, "threads (0 = all cores)");
  flags.AddUint("seed", &f.seed, "generator seed");
  flags.AddString("model", &f.model,
                  "also compare on a checkpoint's linear tensors");
  flags.AddInt("model-blocks", &f.model_blocks,
               "model blocks per preset x mode (0 = all)");
  flags.AddBool("json", &f.json, "print JSON instead of a table");
  absl::Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (flags.WantsHelp()) {
    std::printf(
        "usage: seedlm-verify [flags]\nCompares the fast seed search with the "
        "reference, bit for bit, on generated blocks. Flags:\n%s",
        flags.Usage().c_str());
    return 0;
  }
  if (s.ok() && f.blocks < 0) s = absl::InvalidArgumentError("--blocks < 0");
  std::vector<Row> rows;
  int threads = 0;
  if (s.ok()) s = Run(f, &rows, &threads);
  if (!s.ok()) {
    std::fprintf(stderr, "seedlm-verify: %s\n", s.ToString().c_str());
    return s.code() == absl::StatusCode::kInvalidArgument ||
                   s.code() == absl::StatusCode::kNotFound
               ? 2
               : 1;
  }
  const std::string out =
      f.json ? FormatJson(rows) : FormatTable(rows, threads);
  std::fwrite(out.data(), 1, out.size(), stdout);
  int64_t bad = 0;
  for (const Row& r : rows) bad += r.report.mismatches;
  return bad == 0 ? 0 : 1;
}
