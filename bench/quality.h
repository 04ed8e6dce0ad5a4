// `seedlm-bench quality`: the reconstruction error of SeedLM presets and of
// round-to-nearest baselines (rtn.h) at their exact bits per weight.
//
// For every selected preset x exponent mode, the blocks of every data set
// (quality_data.h) are encoded with the reference search (spec §5), decoded
// with the normative float32 DecodeBlock (spec §4), and measured as
//   rel_error = ||W - W_hat||_F / ||W||_F     over the real (unpadded) weights
//   bits_per_weight = blocks * (K + E + P*Q) / real weights, padding counted,
//     over the population the blocks stand for (all blocks of the encoded
//     rows; for a model sample, every block of the selected tensors).
// Data sets:
//   gaussian-<sigma>: one [R, cols] matrix (cols = 4096 by default) with
//     R = ceil(N * 12 / cols) rows for N = --blocks (12 = the largest preset
//     C); a preset with block size C encodes every block of the first
//     ceil(N * C / cols) rows, so "N blocks' worth" of weights, rounded up to
//     whole rows. RTN baselines quantize the whole matrix.
//   model: the checkpoint's linear tensors; SeedLM encodes an evenly spread
//     sample of N blocks (SampleBlocks), or every block when N = 0 or N is at
//     least the model's block count; RTN baselines always quantize every
//     tensor in full.
#ifndef SEEDLM_BENCH_QUALITY_H_
#define SEEDLM_BENCH_QUALITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/codec.h"

namespace seedlm {

// Relative to the working directory (the repository root under make/ctest).
inline constexpr char kDefaultModelPath[] =
    "../shared/data/stories260K/stories260K.bin";

struct QualityOptions {
  int64_t blocks = 4096;  // N; 0 = every model block (Gaussian: 4096)
  int threads = 0;        // 0 = hardware concurrency
  std::vector<std::string> presets;  // preset names, in table order
  std::vector<ExponentMode> modes;
  uint64_t seed = 1;     // Gaussian generator seed
  bool gaussian = true;  // --data gaussian|t4|model|all
  bool heavy = true;     // Student-t (4 degrees of freedom) at the sigmas
  bool model = true;
  std::vector<double> sigmas = {0.02, 0.01, 0.005};
  int64_t cols = 4096;  // columns of the Gaussian matrices
  std::string model_path = kDefaultModelPath;
  // When the model path is the default and the file is missing, the model
  // data set is skipped with a warning instead of failing.
  bool model_optional = true;
  bool progress = false;  // progress lines on stderr
};

// One line of the result table.
struct QualityRow {
  std::string method;  // "seedlm" or the RTN baseline's name
  std::string preset;  // SeedLM preset ("" for RTN)
  std::string mode;    // exponent mode ("" for RTN)
  std::string data;    // data set name
  double bits_per_weight = 0.0;
  double rel_error = 0.0;
  int64_t blocks = 0;    // SeedLM: blocks encoded; RTN: groups quantized
  int64_t weights = 0;   // real weights measured
  bool sampled = false;  // SeedLM on a sample of the data set's blocks
};

struct QualityReport {
  std::vector<QualityRow> rows;    // by data set, then SeedLM rows, then RTN
  int64_t model_blocks_total = 0;  // blocks of the model at C = 8 (0: none)
  int threads = 0;
  double elapsed_s = 0.0;
};

// Runs the bench. INVALID_ARGUMENT for bad options; model errors as
// LoadModelDataSet.
absl::StatusOr<QualityReport> RunQuality(const QualityOptions& options);

// Aligned human-readable table (with a trailing newline).
std::string FormatQualityTable(const QualityReport& report);
// {"rows":[{"method","preset","mode","data","bits_per_weight","rel_error",
//   "blocks","weights","sampled"}...],"threads":..,"elapsed_s":..}
std::string FormatQualityJson(const QualityReport& report);

// The subcommand: parses `args` (after "quality"), runs, prints to stdout.
// Returns the process exit code.
int QualityMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_QUALITY_H_
