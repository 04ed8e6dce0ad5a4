#include "bench/quality.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/quality_data.h"
#include "bench/quality_trellis.h"
#include "bench/rtn.h"
#include "core/compress/compress_options.h"
#include "core/compress/tensor_compressor.h"
#include "core/search/reference_search.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"

namespace seedlm {
namespace {

// Number of Gaussian blocks when --blocks is 0 (which means "all" only for
// the model).
constexpr int64_t kDefaultGaussianBlocks = 4096;
// The largest C among the presets: it fixes the Gaussian matrix height.
constexpr int kGaussianMaxC = 12;

// Running sums of one (method, data set) measurement.
struct ErrorSum {
  double err2 = 0.0;
  double norm2 = 0.0;
  double bits = 0.0;
  int64_t weights = 0;
  int64_t blocks = 0;

  void Add(const float* w, const float* w_hat, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(w[i]) - w_hat[i];
      err2 += d * d;
      norm2 += static_cast<double>(w[i]) * w[i];
    }
    weights += n;
  }
  double RelError() const { return norm2 > 0 ? std::sqrt(err2 / norm2) : 0; }
  double BitsPerWeight() const { return weights > 0 ? bits / weights : 0; }
};

// The blocks of one data set that a preset with block size C encodes, and
// the population they stand for (bits per weight are those of the
// population: a sample's own padding share is noise).
struct Selection {
  const DataSet* data = nullptr;
  std::vector<BlockRef> blocks;
  bool sampled = false;
  int64_t population_blocks = 0;
  int64_t population_weights = 0;
};

int64_t GaussianBlocks(const QualityOptions& o) {
  return o.blocks > 0 ? o.blocks : kDefaultGaussianBlocks;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::vector<Selection> SelectBlocks(const QualityOptions& o,
                                    const std::vector<DataSet>& sets, int C) {
  std::vector<Selection> out;
  for (const DataSet& d : sets) {
    Selection s;
    s.data = &d;
    if (d.name == "model") {
      s.blocks = SampleBlocks(d, C, o.blocks);
      s.population_blocks = d.NumBlocks(C);
      s.population_weights = d.NumWeights();
      s.sampled = static_cast<int64_t>(s.blocks.size()) < s.population_blocks;
    } else {
      const int64_t rows = CeilDiv(GaussianBlocks(o) * C, o.cols);
      s.blocks = LeadingRowBlocks(d, C, rows);
      s.population_blocks = static_cast<int64_t>(s.blocks.size());
      for (const Matrix& m : d.matrices) {
        s.population_weights += std::min(rows, m.rows) * m.cols;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Copies one block (zero-padded past the end of its row) as doubles.
void GatherBlock(const Matrix& m, const BlockRef& b, int C, double* out) {
  const float* row = &m.w[static_cast<size_t>(b.row * m.cols)];
  for (int c = 0; c < C; ++c) {
    out[c] = b.col0 + c < m.cols ? row[b.col0 + c] : 0.0;
  }
}

class Progress {
 public:
  explicit Progress(bool on) : on_(on) {}
  void Update(const std::string& what, int64_t done, int64_t total) const {
    if (!on_) return;
    std::fprintf(stderr, "\r%-40s %8lld / %lld blocks", what.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total));
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool on_;
};

// The selected blocks of one data set, concatenated, as doubles.
std::vector<double> GatherBlocks(const Selection& s, int C) {
  std::vector<double> w(s.blocks.size() * C);
  for (size_t i = 0; i < s.blocks.size(); ++i) {
    const BlockRef& b = s.blocks[i];
    GatherBlock(s.data->matrices[b.matrix], b, C, &w[i * C]);
  }
  return w;
}

// Decodes the results of one data set's blocks (starting at results[*next])
// and measures them. The float32 decode must agree with the search's own
// float64 error (padding included) to 1e-4 relative: a larger gap means the
// decode and the search disagree about a block, which is a bug (INTERNAL).
absl::StatusOr<QualityRow> Measure(const SearchOptions& so, const Selection& s,
                                   const std::vector<BlockResult>& results,
                                   size_t* next) {
  const int C = so.codec.C;
  ErrorSum sum;
  double padded_err2 = 0.0;
  double search_err2 = 0.0;
  double w_pad[kMaxC];
  float w_hat[kMaxC];
  for (const BlockRef& b : s.blocks) {
    const Matrix& m = s.data->matrices[b.matrix];
    const BlockResult& r = results[(*next)++];
    DecodeBlock(so.codec, so.exponent_bias, r.block, w_hat);
    const int64_t n = std::min<int64_t>(C, m.cols - b.col0);
    sum.Add(&m.w[static_cast<size_t>(b.row * m.cols + b.col0)], w_hat, n);
    ++sum.blocks;
    GatherBlock(m, b, C, w_pad);
    for (int c = 0; c < C; ++c) {
      padded_err2 += (w_pad[c] - w_hat[c]) * (w_pad[c] - w_hat[c]);
    }
    search_err2 += r.err;
  }
  if (std::fabs(padded_err2 - search_err2) > 1e-4 * search_err2 + 1e-30) {
    return absl::InternalError(absl::StrFormat(
        "%s/%s on %s: decoded error %.9g differs from the search's %.9g",
        PresetName(so.codec), ExponentModeName(so.mode), s.data->name,
        padded_err2, search_err2));
  }
  QualityRow row;
  row.method = "seedlm";
  row.preset = PresetName(so.codec);
  row.mode = ExponentModeName(so.mode);
  row.data = s.data->name;
  row.bits_per_weight = static_cast<double>(s.population_blocks) *
                        so.codec.bits_per_block() /
                        static_cast<double>(s.population_weights);
  row.rel_error = sum.RelError();
  row.blocks = sum.blocks;
  row.weights = sum.weights;
  row.sampled = s.sampled;
  return row;
}

// Encodes every selected block with one (preset, mode) and returns one row
// per data set. Codecs whose bias the compressor chooses (DefaultExponentBias
// unset: those without a block exponent) get a bias per data set, chosen as
// the compressor chooses one per tensor (ChooseExponentBias, on up to 1024 of
// the set's blocks taken as rows of C weights).
absl::StatusOr<std::vector<QualityRow>> RunSeedLm(
    const std::string& preset, ExponentMode mode,
    const std::vector<Selection>& selections, ThreadPool* pool,
    const Progress& progress) {
  SearchOptions base;
  ASSIGN_OR_RETURN(base.codec, PresetByName(preset));
  base.mode = mode;
  const int C = base.codec.C;
  std::vector<QualityRow> rows;
  for (const Selection& s : selections) {
    const std::vector<double> w = GatherBlocks(s, C);
    const int64_t nblocks = static_cast<int64_t>(w.size()) / C;
    SearchOptions so = base;
    if (!DefaultExponentBias(so.codec).has_value()) {
      auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
        for (int64_t i = 0; i < (r1 - r0) * C; ++i) {
          out[i] = static_cast<float>(w[r0 * C + i]);
        }
        return absl::OkStatus();
      };
      ASSIGN_OR_RETURN(so.exponent_bias,
                       ChooseExponentBias(so, SearchAlgorithm::kFast, nblocks,
                                          C, read, pool, {}, 1024));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> searcher,
                     ReferenceSearcher::Create(so));
    std::vector<BlockResult> results(static_cast<size_t>(nblocks));
    const std::string what =
        absl::StrCat("quality: ", preset, " / ", ExponentModeName(mode), " / ",
                     s.data->name);
    SearchCallbacks callbacks;
    callbacks.progress = [&](int64_t done, int64_t total) {
      progress.Update(what, done, total);
    };
    RETURN_IF_ERROR(
        searcher->Search(w, absl::MakeSpan(results), pool, callbacks));
    size_t next = 0;
    ASSIGN_OR_RETURN(QualityRow row, Measure(so, s, results, &next));
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<QualityRow> RunRtn(const RtnConfig& config,
                                  const DataSet& data) {
  ErrorSum sum;
  std::vector<float> w_hat;
  for (const Matrix& m : data.matrices) {
    w_hat.resize(m.w.size());
    RETURN_IF_ERROR(
        RtnQuantizeMatrix(config, m.w, m.rows, m.cols, absl::MakeSpan(w_hat)));
    sum.Add(m.w.data(), w_hat.data(), m.rows * m.cols);
    sum.bits += config.BitsPerWeight(m.cols) * static_cast<double>(m.rows) *
                static_cast<double>(m.cols);
    sum.blocks += m.rows * config.GroupsPerRow(m.cols);
  }
  QualityRow row;
  row.method = config.name;
  row.data = data.name;
  row.bits_per_weight = sum.BitsPerWeight();
  row.rel_error = sum.RelError();
  row.blocks = sum.blocks;
  row.weights = sum.weights;
  return row;
}

absl::Status ValidateOptions(const QualityOptions& o) {
  if (o.blocks < 0) return absl::InvalidArgumentError("--blocks must be >= 0");
  if (o.cols < 1) return absl::InvalidArgumentError("--cols must be >= 1");
  if (o.presets.empty() || o.modes.empty()) {
    return absl::InvalidArgumentError("no presets or no modes selected");
  }
  for (const std::string& p : o.presets) {
    RETURN_IF_ERROR(PresetByName(p).status());
  }
  for (double s : o.sigmas) {
    if (!(s > 0) || !std::isfinite(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sigma ", s, " must be positive and finite"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DataSet>> MakeDataSets(const QualityOptions& o,
                                                  int64_t* model_blocks) {
  std::vector<DataSet> sets;
  if (o.gaussian) {
    const int64_t rows = CeilDiv(GaussianBlocks(o) * kGaussianMaxC, o.cols);
    for (double sigma : o.sigmas) {
      sets.push_back(MakeGaussian(sigma, rows, o.cols, o.seed));
    }
  }
  if (o.heavy) {
    const int64_t rows = CeilDiv(GaussianBlocks(o) * kGaussianMaxC, o.cols);
    for (double sigma : o.sigmas) {
      sets.push_back(MakeStudentT4(sigma, rows, o.cols, o.seed));
    }
  }
  if (o.model) {
    if (o.model_optional && !std::filesystem::exists(o.model_path)) {
      std::fprintf(stderr, "quality: %s not found, skipping the model data\n",
                   o.model_path.c_str());
    } else {
      ASSIGN_OR_RETURN(DataSet d, LoadModelDataSet(o.model_path));
      *model_blocks = d.NumBlocks(8);
      sets.push_back(std::move(d));
    }
  }
  if (sets.empty()) return absl::InvalidArgumentError("no data selected");
  return sets;
}

}  // namespace

absl::StatusOr<QualityReport> RunQuality(const QualityOptions& o) {
  RETURN_IF_ERROR(ValidateOptions(o));
  const auto start = std::chrono::steady_clock::now();
  QualityReport report;
  ASSIGN_OR_RETURN(const std::vector<DataSet> sets,
                   MakeDataSets(o, &report.model_blocks_total));
  ThreadPool pool(o.threads);
  report.threads = pool.num_threads();
  const Progress progress(o.progress);
  // rows_by_set[i]: the rows of data set i, SeedLM first.
  std::vector<std::vector<QualityRow>> rows_by_set(sets.size());
  std::map<int, std::vector<Selection>> selections;  // by block size C
  for (const std::string& preset : o.presets) {
    if (PresetByName(preset)->is_trellis()) {  // one row per set, no modes
      ASSIGN_OR_RETURN(
          std::vector<QualityRow> rows,
          RunTrellisQuality(preset, sets, GaussianBlocks(o), &pool,
                            [&](const std::string& what, int64_t d, int64_t t) {
                              progress.Update(what, d, t);
                            }));
      for (size_t i = 0; i < rows.size(); ++i) {
        rows_by_set[i].push_back(rows[i]);
      }
      continue;
    }
    const int C = PresetByName(preset)->C;
    if (selections.count(C) == 0) selections[C] = SelectBlocks(o, sets, C);
    for (ExponentMode mode : o.modes) {
      ASSIGN_OR_RETURN(std::vector<QualityRow> rows,
                       RunSeedLm(preset, mode, selections[C], &pool, progress));
      for (size_t i = 0; i < rows.size(); ++i) {
        rows_by_set[i].push_back(rows[i]);
      }
    }
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    for (const RtnConfig& rtn : RtnBaselines()) {
      ASSIGN_OR_RETURN(QualityRow row, RunRtn(rtn, sets[i]));
      rows_by_set[i].push_back(std::move(row));
    }
    for (QualityRow& r : rows_by_set[i]) report.rows.push_back(std::move(r));
  }
  report.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

}  // namespace seedlm
