#include "core/compress/tensor_compressor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

double ErrorSums::rel_error() const {
  return sq_norm > 0.0 ? std::sqrt(sq_error / sq_norm) : 0.0;
}

namespace {

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

// Encodes one slice of rows of a trellis codec (row by row, TrellisSearcher)
// and accumulates the error: sq_error per row in row order, sq_norm per
// weight in row-major order.
absl::Status CompressTrellisSlice(const TrellisSearcher& searcher,
                                  const std::vector<float>& w, int64_t r0,
                                  int64_t rows, int64_t cols,
                                  std::vector<uint8_t>* packed,
                                  MatrixStats* stats, ThreadPool* pool,
                                  const SearchCallbacks& cb) {
  const PackedGeometry g = MakeGeometry(searcher.options().codec, rows, cols);
  packed->assign(g.payload_bytes(), 0);
  std::vector<double> row_error(static_cast<size_t>(rows), 0.0);
  RETURN_IF_ERROR(searcher.EncodeRows(w, rows, cols, absl::MakeSpan(*packed),
                                      absl::MakeSpan(row_error), pool, cb, r0));
  for (int64_t r = 0; r < rows; ++r) stats->sq_error += row_error[r];
  for (float v : w) stats->sq_norm += static_cast<double>(v) * v;
  return absl::OkStatus();
}

// Compresses rows [r_begin, r_end) of a matrix of `cols` columns slice by
// slice (slices of RunRowCount rows from r_begin). REQUIRES: r_begin is a
// multiple of kPayloadRowAlignment, 0 <= r_begin <= r_end, cols >= 0.
absl::StatusOr<MatrixStats> StreamRows(
    const BlockSearcher& searcher, int64_t cols, int64_t r_begin, int64_t r_end,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks, int64_t slice_blocks) {
  MatrixStats stats;
  stats.geometry =
      MakeGeometry(searcher.options().codec, r_end - r_begin, cols);
  const int64_t bpr = stats.geometry.blocks_per_row();
  const int64_t total = stats.geometry.num_blocks();
  const int64_t step = RunRowCount(stats.geometry, slice_blocks);
  const TrellisSearcher* trellis = searcher.AsTrellis();
  if (stats.geometry.is_trellis() && trellis == nullptr) {
    return absl::FailedPreconditionError(
        "a trellis codec needs a TrellisSearcher (CreateSearcher)");
  }
  std::vector<float> w;
  std::vector<uint8_t> packed;
  for (int64_t r0 = r_begin; r0 < r_end; r0 += step) {
    const int64_t r1 = std::min(r_end, r0 + step);
    w.assign(static_cast<size_t>((r1 - r0) * cols), 0.0f);
    RETURN_IF_ERROR(read(r0, r1, absl::MakeSpan(w)));
    SearchCallbacks cb;
    cb.cancel = callbacks.cancel;
    if (callbacks.progress) {
      cb.progress = [&](int64_t done, int64_t) {
        callbacks.progress((r0 - r_begin) * bpr + done, total);
      };
    }
    absl::Status s = trellis != nullptr
                         ? CompressTrellisSlice(*trellis, w, r0, r1 - r0, cols,
                                                &packed, &stats, pool, cb)
                         : CompressSlice(searcher, w, r1 - r0, cols, &packed,
                                         &stats, pool, cb);
    if (!s.ok() && trellis != nullptr) return s;  // names its row
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("rows ", r0, "..", r1 - 1, ": ", s.message()));
    }
    RETURN_IF_ERROR(sink(packed));
  }
  return stats;
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
  return StreamRows(searcher, cols, 0, rows, read, sink, pool, callbacks,
                    slice_blocks);
}

int64_t AlignedRowCount(int64_t blocks_per_row, int64_t target_blocks) {
  const int64_t rows = std::max<int64_t>(
      1, target_blocks / std::max<int64_t>(1, blocks_per_row));
  return (rows + kPayloadRowAlignment - 1) / kPayloadRowAlignment *
         kPayloadRowAlignment;
}

int64_t RunRowCount(const PackedGeometry& g, int64_t target_blocks) {
  if (!g.is_trellis()) {
    return AlignedRowCount(g.blocks_per_row(), target_blocks);
  }
  const int64_t cap =
      std::numeric_limits<int64_t>::max() / kTrellisWeightsPerTargetBlock;
  return AlignedRowCount(
      g.cols, std::min(target_blocks, cap) * kTrellisWeightsPerTargetBlock);
}

absl::Status CheckRowRange(int64_t rows, int64_t row_begin, int64_t row_end) {
  if (row_begin < 0 || row_end > rows || row_begin >= row_end) {
    return absl::OutOfRangeError(absl::StrCat("rows ", row_begin, "..", row_end,
                                              " (exclusive) are not a "
                                              "non-empty range of ",
                                              rows, " rows"));
  }
  if (row_begin % kPayloadRowAlignment != 0 ||
      (row_end % kPayloadRowAlignment != 0 && row_end != rows)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rows ", row_begin, "..", row_end, " (exclusive) of ", rows,
        " rows are not aligned: a range starts on a multiple of ",
        kPayloadRowAlignment, " rows and ends on one or at the last row"));
  }
  return absl::OkStatus();
}

PayloadRange RowRangePayload(const PackedGeometry& g, int64_t row_begin,
                             int64_t row_end) {
  PayloadRange r;
  if (g.is_trellis()) {
    r.offset = static_cast<uint64_t>(row_begin) * g.trellis_row_bytes();
    r.bytes =
        static_cast<uint64_t>(row_end - row_begin) * g.trellis_row_bytes();
    return r;
  }
  const uint64_t bpr = static_cast<uint64_t>(g.blocks_per_row());
  r.offset =
      PackedBytes(static_cast<uint64_t>(row_begin) * bpr, g.bits_per_block);
  r.bytes = PackedBytes(static_cast<uint64_t>(row_end - row_begin) * bpr,
                        g.bits_per_block);
  return r;
}

absl::StatusOr<MatrixStats> CompressRowRange(
    const BlockSearcher& searcher, int64_t rows, int64_t cols,
    int64_t row_begin, int64_t row_end, const RowReader& read,
    const PayloadSink& sink, ThreadPool* pool, const SearchCallbacks& callbacks,
    int64_t slice_blocks) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix of ", rows, "x", cols));
  }
  RETURN_IF_ERROR(CheckRowRange(rows, row_begin, row_end));
  return StreamRows(searcher, cols, row_begin, row_end, read, sink, pool,
                    callbacks, slice_blocks);
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

std::vector<int64_t> BiasSampleRowIndices(int64_t rows, int64_t sample_rows) {
  const int64_t n = std::min(rows, sample_rows);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(i * rows / n);
  return out;
}

absl::StatusOr<int> ChooseExponentBias(const SearchOptions& options,
                                       SearchAlgorithm algorithm, int64_t rows,
                                       int64_t cols, const RowReader& read,
                                       ThreadPool* pool,
                                       const SearchCallbacks& callbacks,
                                       int64_t sample_rows) {
  if (options.codec.is_trellis()) {
    return absl::InvalidArgumentError(
        "a trellis codec has no exponent bias to choose");
  }
  const std::vector<int64_t> sample_at =
      BiasSampleRowIndices(rows, sample_rows);
  const int64_t n = static_cast<int64_t>(sample_at.size());
  if (n <= 0 || cols <= 0) return 0;
  std::vector<float> sample(static_cast<size_t>(n * cols));
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = sample_at[i];
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
