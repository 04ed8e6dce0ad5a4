// Compresses one float32 matrix into packed SeedLM blocks with a block
// searcher, and measures what it cost in error. RPC-free; the building block
// of the model compressor (and, later, of remote workers).
//
// The streaming form reads rows and emits packed bytes one slice of rows at a
// time, so memory is bounded by the slice, not the matrix.
#ifndef SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_
#define SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/codec/packed_matrix.h"
#include "core/search/searcher.h"
#include "core/search/searcher_factory.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct MatrixStats {
  PackedGeometry geometry;
  double sq_error = 0.0;  // Σ (w − ŵ)² over real weights, ŵ = float32 decode
  double sq_norm = 0.0;      // Σ w²
  double rel_error() const;  // sqrt(sq_error / sq_norm), 0 for a zero matrix
};

// Fills rows [r0, r1) of the matrix, row-major, into out ((r1 - r0) * cols).
using RowReader =
    std::function<absl::Status(int64_t r0, int64_t r1, absl::Span<float> out)>;
// Receives the packed payload in order, in whole-byte pieces.
using PayloadSink = std::function<absl::Status(absl::Span<const uint8_t>)>;

// Blocks searched per slice by default (~64k: a few MB of buffers).
inline constexpr int64_t kDefaultSliceBlocks = int64_t{1} << 16;

// Compresses a rows x cols matrix: each row is cut into ceil(cols / C)
// blocks of C weights, the last zero-padded; blocks are searched with
// `searcher` (on `pool`, may be null) and packed row by row. Rows are read and
// payload bytes emitted one slice (a multiple of 8 rows, about `slice_blocks`
// blocks) at a time. callbacks.progress sees blocks of the whole matrix.
// INVALID_ARGUMENT for a non-finite weight or bad sizes; CANCELLED; errors of
// `read` or `sink`. Deterministic: same input, same bytes.
absl::StatusOr<MatrixStats> CompressMatrixStreaming(
    const BlockSearcher& searcher, int64_t rows, int64_t cols,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks,
    int64_t slice_blocks = kDefaultSliceBlocks);

struct CompressedMatrix : MatrixStats {
  std::vector<uint8_t> payload;  // geometry.payload_bytes() bytes
};

// In-memory form: compresses the row-major rows x cols matrix `w`.
absl::StatusOr<CompressedMatrix> CompressMatrix(
    const BlockSearcher& searcher, absl::Span<const float> w, int64_t rows,
    int64_t cols, ThreadPool* pool, const SearchCallbacks& callbacks);

// Rows of the sample ChooseExponentBias searches: min(rows, this), spread
// evenly over the matrix (row i * rows / n for i < n).
inline constexpr int64_t kBiasSampleRows = 64;

// The per-tensor exponent bias b (spec §4) that minimises the squared error
// of a sample of rows. It starts at InitialExponentBias(rms of the sample)
// (search_options.h) and moves one step at a time toward
// lower error while the error drops (ties keep the current bias), within the
// int8 range. Deterministic: same rows, same options, same bias. `options`
// gives the codec and mode (its exponent_bias is ignored). Errors as
// CompressMatrixStreaming; an all-zero (or non-finite) sample gives 0.
// `sample_rows` replaces kBiasSampleRows.
absl::StatusOr<int> ChooseExponentBias(const SearchOptions& options,
                                       SearchAlgorithm algorithm, int64_t rows,
                                       int64_t cols, const RowReader& read,
                                       ThreadPool* pool,
                                       const SearchCallbacks& callbacks,
                                       int64_t sample_rows = kBiasSampleRows);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_
