#include "core/compress/tensor_compressor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

double MatrixStats::rel_error() const {
  return sq_norm > 0.0 ? std::sqrt(sq_error / sq_norm) : 0.0;
}

namespace {

// Rows per slice: about `slice_blocks` blocks, and a multiple of 8 rows so
// that every slice but the last ends on a byte boundary of the bit stream.
int64_t RowsPerSlice(int64_t blocks_per_row, int64_t slice_blocks) {
  const int64_t rows =
      std::max<int64_t>(1, slice_blocks / std::max<int64_t>(1, blocks_per_row));
  return (rows + 7) / 8 * 8;
}

// Searches and packs one slice of rows; accumulates the error into `stats`.
absl::Status CompressSlice(const BlockSearcher& searcher,
                           const std::vector<float>& w, int64_t rows,
                           int64_t cols, std::vector<uint8_t>* packed,
                           MatrixStats* stats, ThreadPool* pool,
                           const SearchCallbacks& cb) {
  const SearchOptions& opt = searcher.options();
  const int C = opt.codec.C;
  const PackedGeometry g = MakeGeometry(opt.codec, rows, cols);
  const int64_t bpr = g.blocks_per_row();
  std::vector<double> blocks(static_cast<size_t>(g.num_blocks()) * C, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(&w[r * cols], &w[r * cols] + cols, &blocks[r * bpr * C]);
  }
  std::vector<BlockResult> results(static_cast<size_t>(g.num_blocks()));
  RETURN_IF_ERROR(searcher.Search(blocks, absl::MakeSpan(results), pool, cb));
  packed->assign(g.payload_bytes(), 0);
  for (int64_t i = 0; i < g.num_blocks(); ++i) {
    PackBlock(opt.codec.layout(), results[i].block, packed->data(),
              static_cast<uint64_t>(i));
  }
  std::vector<float> decoded(w.size());
  RETURN_IF_ERROR(DecodePackedRows(opt.codec, opt.exponent_bias, g, *packed, 0,
                                   rows, absl::MakeSpan(decoded)));
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - decoded[i];
    stats->sq_error += d * d;
    stats->sq_norm += static_cast<double>(w[i]) * w[i];
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MatrixStats> CompressMatrixStreaming(
    const BlockSearcher& searcher, int64_t rows, int64_t cols,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks, int64_t slice_blocks) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix of ", rows, "x", cols));
  }
  MatrixStats stats;
  stats.geometry = MakeGeometry(searcher.options().codec, rows, cols);
  const int64_t bpr = stats.geometry.blocks_per_row();
  const int64_t total = stats.geometry.num_blocks();
  const int64_t step = RowsPerSlice(bpr, slice_blocks);
  std::vector<float> w;
  std::vector<uint8_t> packed;
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t r1 = std::min(rows, r0 + step);
    w.assign(static_cast<size_t>((r1 - r0) * cols), 0.0f);
    RETURN_IF_ERROR(read(r0, r1, absl::MakeSpan(w)));
    SearchCallbacks cb;
    cb.cancel = callbacks.cancel;
    if (callbacks.progress) {
      cb.progress = [&](int64_t done, int64_t) {
        callbacks.progress(r0 * bpr + done, total);
      };
    }
    absl::Status s =
        CompressSlice(searcher, w, r1 - r0, cols, &packed, &stats, pool, cb);
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("rows ", r0, "..", r1 - 1, ": ", s.message()));
    }
    RETURN_IF_ERROR(sink(packed));
  }
  return stats;
}

absl::StatusOr<CompressedMatrix> CompressMatrix(
    const BlockSearcher& searcher, absl::Span<const float> w, int64_t rows,
    int64_t cols, ThreadPool* pool, const SearchCallbacks& callbacks) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(w.size()) != rows * cols) {
    return absl::InvalidArgumentError(absl::StrCat(
        "matrix of ", rows, "x", cols, " given ", w.size(), " weights"));
  }
  CompressedMatrix out;
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> dst) {
    std::memcpy(dst.data(), &w[r0 * cols], (r1 - r0) * cols * sizeof(float));
    return absl::OkStatus();
  };
  auto sink = [&](absl::Span<const uint8_t> bytes) {
    out.payload.insert(out.payload.end(), bytes.begin(), bytes.end());
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(MatrixStats stats,
                   CompressMatrixStreaming(searcher, rows, cols, read, sink,
                                           pool, callbacks));
  static_cast<MatrixStats&>(out) = stats;
  return out;
}

absl::StatusOr<int> ChooseExponentBias(const SearchOptions& options,
                                       SearchAlgorithm algorithm, int64_t rows,
                                       int64_t cols, const RowReader& read,
                                       ThreadPool* pool,
                                       const SearchCallbacks& callbacks,
                                       int64_t sample_rows) {
  const int64_t n = std::min(rows, sample_rows);
  if (n <= 0 || cols <= 0) return 0;
  std::vector<float> sample(static_cast<size_t>(n * cols));
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = i * rows / n;
    absl::Span<float> row = absl::MakeSpan(&sample[i * cols], cols);
    RETURN_IF_ERROR(read(r, r + 1, row));
    for (float v : row) sum_sq += static_cast<double>(v) * v;
  }
  if (!(sum_sq > 0.0) || !std::isfinite(sum_sq)) return 0;
  const double rms = std::sqrt(sum_sq / static_cast<double>(sample.size()));
  std::map<int, double> tried;
  auto error = [&](int b) -> absl::StatusOr<double> {
    auto it = tried.find(b);
    if (it != tried.end()) return it->second;
    SearchOptions o = options;
    o.exponent_bias = b;
    ASSIGN_OR_RETURN(std::unique_ptr<BlockSearcher> searcher,
                     CreateSearcher(o, algorithm));
    ASSIGN_OR_RETURN(
        CompressedMatrix m,
        CompressMatrix(*searcher, sample, n, cols, pool,
                       SearchCallbacks{nullptr, callbacks.cancel}));
    tried[b] = m.sq_error;
    return m.sq_error;
  };
  int best = InitialExponentBias(rms);
  ASSIGN_OR_RETURN(double best_err, error(best));
  for (int dir : {+1, -1}) {
    while (best + dir >= -128 && best + dir <= 127) {
      ASSIGN_OR_RETURN(double e, error(best + dir));
      if (!(e < best_err)) break;
      best += dir;
      best_err = e;
    }
  }
  return best;
}

}  // namespace seedlm
