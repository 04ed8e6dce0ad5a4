#include "core/compress/tensor_compressor.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

double CompressedMatrix::rel_error() const {
  return sq_norm > 0.0 ? std::sqrt(sq_error / sq_norm) : 0.0;
}

absl::StatusOr<CompressedMatrix> CompressMatrix(
    const BlockSearcher& searcher, absl::Span<const float> w, int64_t rows,
    int64_t cols, ThreadPool* pool, const SearchCallbacks& callbacks) {
  const SearchOptions& opt = searcher.options();
  const CodecConfig& codec = opt.codec;
  if (rows < 0 || cols < 0 || static_cast<int64_t>(w.size()) != rows * cols) {
    return absl::InvalidArgumentError(absl::StrCat(
        "matrix of ", rows, "x", cols, " given ", w.size(), " weights"));
  }
  CompressedMatrix out;
  out.geometry = MakeGeometry(codec, rows, cols);
  const int64_t bpr = out.geometry.blocks_per_row();
  const int64_t n_blocks = out.geometry.num_blocks();
  // Blocks as float64, zero-padded at row ends.
  std::vector<double> blocks(static_cast<size_t>(n_blocks) * codec.C, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double* dst = &blocks[static_cast<size_t>(r * bpr) * codec.C];
    for (int64_t c = 0; c < cols; ++c) dst[c] = w[r * cols + c];
  }
  std::vector<BlockResult> results(static_cast<size_t>(n_blocks));
  RETURN_IF_ERROR(
      searcher.Search(blocks, absl::MakeSpan(results), pool, callbacks));
  out.payload.assign(out.geometry.payload_bytes(), 0);
  const BlockLayout layout = codec.layout();
  for (int64_t i = 0; i < n_blocks; ++i) {
    PackBlock(layout, results[i].block, out.payload.data(),
              static_cast<uint64_t>(i));
  }
  // Error of the normative float32 decode against the original weights.
  std::vector<float> decoded(w.size());
  RETURN_IF_ERROR(DecodePackedRows(codec, opt.exponent_bias, out.geometry,
                                   out.payload, 0, rows,
                                   absl::MakeSpan(decoded)));
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - decoded[i];
    out.sq_error += d * d;
    out.sq_norm += static_cast<double>(w[i]) * w[i];
  }
  return out;
}

}  // namespace seedlm
