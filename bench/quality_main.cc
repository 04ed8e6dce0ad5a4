// The `quality` subcommand of seedlm-bench: flag parsing, output formatting
// and the entry point QualityMain (declared in quality.h).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_flags.h"
#include "bench/quality.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

constexpr char kUsage[] =
    "usage: seedlm-bench quality [flags]\n"
    "Relative Frobenius error ||W - W_hat|| / ||W|| and bits/weight of the\n"
    "SeedLM presets (reference search, normative float32 decode) and of\n"
    "round-to-nearest baselines, on i.i.d. Gaussian weights and on a model's\n"
    "linear tensors. Flags:\n";

// The raw flag values, converted by ToOptions().
struct QualityFlags {
  int64_t blocks = 4096;
  int64_t threads = 0;
  bool json = false;
  std::string model = kDefaultModelPath;
  std::string presets;  // default: all
  std::string modes = "search,fit,paper";
  uint64_t seed = 1;
  std::string data = "all";
  std::string sigmas = "0.02,0.01,0.005";
  int64_t cols = 4096;
};

absl::StatusOr<QualityOptions> ToOptions(const QualityFlags& f) {
  QualityOptions o;
  o.blocks = f.blocks;
  o.threads = static_cast<int>(f.threads);
  o.seed = f.seed;
  o.cols = f.cols;
  o.model_path = f.model;
  o.model_optional = f.model == kDefaultModelPath;
  o.presets = f.presets.empty() ? PresetNames() : SplitList(f.presets);
  for (const std::string& m : SplitList(f.modes)) {
    ASSIGN_OR_RETURN(ExponentMode mode, ParseExponentMode(m));
    o.modes.push_back(mode);
  }
  if (f.data != "all" && f.data != "gaussian" && f.data != "t4" &&
      f.data != "model") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data must be gaussian, t4, model or all (got '", f.data, "')"));
  }
  o.gaussian = f.data == "all" || f.data == "gaussian";
  o.heavy = f.data == "all" || f.data == "t4";
  o.model = f.data == "all" || f.data == "model";
  o.sigmas.clear();
  for (const std::string& s : SplitList(f.sigmas)) {
    double sigma;
    if (!absl::SimpleAtod(s, &sigma)) {
      return absl::InvalidArgumentError(absl::StrCat("bad sigma '", s, "'"));
    }
    o.sigmas.push_back(sigma);
  }
  o.progress = ::isatty(STDERR_FILENO) != 0;
  return o;
}

}  // namespace

std::string FormatQualityTable(const QualityReport& report) {
  std::string out =
      absl::StrFormat("%-15s %-21s %-8s %-7s %8s %9s %8s\n", "data", "method",
                      "preset", "mode", "bits/w", "rel.err", "blocks");
  std::string last_data;
  for (const QualityRow& r : report.rows) {
    if (!last_data.empty() && r.data != last_data) absl::StrAppend(&out, "\n");
    last_data = r.data;
    absl::StrAppendFormat(&out, "%-15s %-21s %-8s %-7s %8.4f %9.4f %8d%s\n",
                          r.data, r.method, r.preset, r.mode, r.bits_per_weight,
                          r.rel_error, r.blocks, r.sampled ? " (sampled)" : "");
  }
  absl::StrAppend(&out, "\nblocks: SeedLM blocks encoded (RTN: groups). ");
  if (report.model_blocks_total > 0) {
    absl::StrAppend(&out, "The model has ", report.model_blocks_total,
                    " blocks at C = 8; \"sampled\" rows encode an evenly "
                    "spread sample, RTN rows cover every tensor. ");
  }
  absl::StrAppendFormat(&out, "Elapsed %.1f s on %d threads.\n",
                        report.elapsed_s, report.threads);
  return out;
}

std::string FormatQualityJson(const QualityReport& report) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const QualityRow& r : report.rows) {
    rows.push_back({{"method", r.method},
                    {"preset", r.preset},
                    {"mode", r.mode},
                    {"data", r.data},
                    {"bits_per_weight", r.bits_per_weight},
                    {"rel_error", r.rel_error},
                    {"blocks", r.blocks},
                    {"weights", r.weights},
                    {"sampled", r.sampled}});
  }
  nlohmann::ordered_json j = {{"rows", rows},
                              {"model_blocks_total", report.model_blocks_total},
                              {"threads", report.threads},
                              {"elapsed_s", report.elapsed_s}};
  return j.dump(1) + "\n";
}

int QualityMain(const std::vector<std::string>& args) {
  QualityFlags f;
  FlagSet flags;
  flags.AddInt("blocks", &f.blocks,
               "N blocks per data set; 0 = every block of the model");
  flags.AddInt("threads", &f.threads, "search threads (0 = all cores)");
  flags.AddBool("json", &f.json, "print JSON instead of a table");
  flags.AddString("model", &f.model, "llama2.c / HF / safetensors / GGUF");
  flags.AddString("presets", &f.presets,
                  "comma-separated presets (default: all)");
  flags.AddString("modes", &f.modes, "comma-separated exponent modes");
  flags.AddUint("seed", &f.seed, "seed of the Gaussian generator");
  flags.AddString("data", &f.data,
                  "gaussian, t4 (Student-t, 4 degrees of freedom), model or "
                  "all");
  flags.AddString("sigmas", &f.sigmas, "standard deviations of the Gaussians");
  flags.AddInt("cols", &f.cols, "columns of the Gaussian matrices");
  absl::Status s = flags.Parse(args);
  if (flags.WantsHelp()) {
    std::printf("%s%s", kUsage, flags.Usage().c_str());
    return 0;
  }
  absl::StatusOr<QualityOptions> options =
      s.ok() ? ToOptions(f) : absl::StatusOr<QualityOptions>(s);
  if (!options.ok()) {
    std::fprintf(stderr,
                 "seedlm-bench quality: %s\n(seedlm-bench quality --help "
                 "lists the flags)\n",
                 options.status().ToString().c_str());
    return 2;
  }
  absl::StatusOr<QualityReport> report = RunQuality(*options);
  if (!report.ok()) {
    std::fprintf(stderr, "seedlm-bench quality: %s\n",
                 report.status().ToString().c_str());
    return 1;
  }
  const std::string out =
      f.json ? FormatQualityJson(*report) : FormatQualityTable(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace seedlm
