// Compresses one float32 matrix into packed SeedLM blocks with a block
// searcher, and measures what it cost in error. RPC-free; the building block
// of the model compressor (and, later, of remote workers). A trellis codec
// (spec §13) takes the row path: its searcher (TrellisSearcher) encodes each
// row on its own, row r's bytes at r * trellis_row_bytes of the payload.
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

// Squared-error sums of some weights, float64, added in row-major order
// starting from 0.
struct ErrorSums {
  double sq_error = 0.0;  // Σ (w − ŵ)² over real weights, ŵ = float32 decode
  double sq_norm = 0.0;      // Σ w²
  double rel_error() const;  // sqrt(sq_error / sq_norm), 0 for a zero matrix
};

struct MatrixStats : ErrorSums {
  PackedGeometry geometry;
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
// payload bytes emitted one slice (RunRowCount(geometry, slice_blocks) rows)
// at a time. callbacks.progress sees blocks of the whole matrix.
// Trellis codec: each row is encoded by searcher.AsTrellis()->EncodeRows (one
// row per task on `pool`); sq_error sums the rows' errors in row order;
// progress counts rings; cancellation is polled between rows;
// FAILED_PRECONDITION if the searcher is not a TrellisSearcher.
// INVALID_ARGUMENT for a non-finite weight or bad sizes; CANCELLED; errors of
// `read` or `sink`. Deterministic: same input, same bytes.
absl::StatusOr<MatrixStats> CompressMatrixStreaming(
    const BlockSearcher& searcher, int64_t rows, int64_t cols,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks,
    int64_t slice_blocks = kDefaultSliceBlocks);

// The byte-alignment rule of a packed payload. Blocks are packed back to back
// (block_format.h), so row r starts at bit r * blocks_per_row *
// bits_per_block; for r a multiple of kPayloadRowAlignment that is a whole
// byte for every codec and shape. A run of rows that starts on such a row and
// ends on one (or at the matrix's last row) therefore packs, on its own, into
// exactly the bytes it occupies in the whole matrix's payload: runs
// concatenate into the payload. (Finer runs would do for some codecs; this
// rule holds for all.)
inline constexpr int64_t kPayloadRowAlignment = 8;

// Rows in a run of about `target_blocks` blocks of `blocks_per_row` blocks
// each: max(1, target_blocks / blocks_per_row) rounded up to a multiple of
// kPayloadRowAlignment.
int64_t AlignedRowCount(int64_t blocks_per_row, int64_t target_blocks);

// Targets (slice_blocks, a plan's unit_blocks) count blocks of the block
// codec; a trellis run of target t holds about t * this many weights (8, the
// weights of a preset's block), so a trellis unit takes about as long as a
// block unit of the same target.
inline constexpr int64_t kTrellisWeightsPerTargetBlock = 8;

// Rows in a run (a slice of CompressMatrixStreaming, a plan's unit) of about
// `target_blocks` blocks of geometry g: AlignedRowCount(blocks_per_row,
// target_blocks) for the block family, AlignedRowCount(cols, target_blocks *
// kTrellisWeightsPerTargetBlock) for the trellis (whole rows, hence whole
// rings). The slices of CompressMatrixStreaming have this many rows (target
// = slice_blocks), except the last.
int64_t RunRowCount(const PackedGeometry& g, int64_t target_blocks);

// OK iff [row_begin, row_end) is a valid run of rows of a `rows`-row matrix
// under the rule above. OUT_OF_RANGE unless 0 <= row_begin < row_end <= rows;
// INVALID_ARGUMENT if row_begin is not a multiple of kPayloadRowAlignment or
// row_end is neither one nor `rows`. REQUIRES: rows >= 0.
absl::Status CheckRowRange(int64_t rows, int64_t row_begin, int64_t row_end);

// Where the payload of rows [row_begin, row_end) lies in the whole matrix's
// payload of geometry `g` (trellis: offset row_begin * trellis_row_bytes,
// (row_end - row_begin) * trellis_row_bytes bytes; any row boundary is a
// byte boundary there, but ranges still follow CheckRowRange). REQUIRES:
// CheckRowRange(g.rows, ...) is OK.
struct PayloadRange {
  uint64_t offset = 0;
  uint64_t bytes = 0;
};
PayloadRange RowRangePayload(const PackedGeometry& g, int64_t row_begin,
                             int64_t row_end);

// Compresses rows [row_begin, row_end) of a rows x cols matrix, as
// CompressMatrixStreaming would compress them as part of the whole matrix:
// the bytes sent to `sink` are exactly RowRangePayload(...) of the whole
// matrix's payload, for any slicing of the matrix into such ranges. `read`
// is asked only for rows inside the range (absolute row numbers). The
// returned stats cover the range: geometry (row_end - row_begin) x cols,
// sq_error and sq_norm summed over its weights in row order, starting from 0.
// callbacks.progress sees blocks of the range. Errors: those of
// CheckRowRange (before anything is read), INVALID_ARGUMENT for cols < 0,
// then as CompressMatrixStreaming (messages name absolute rows).
absl::StatusOr<MatrixStats> CompressRowRange(
    const BlockSearcher& searcher, int64_t rows, int64_t cols,
    int64_t row_begin, int64_t row_end, const RowReader& read,
    const PayloadSink& sink, ThreadPool* pool, const SearchCallbacks& callbacks,
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

// The rows ChooseExponentBias reads, ascending: i * rows / n for i < n,
// n = min(rows, sample_rows) (none for rows <= 0). A remote worker choosing a
// bias needs exactly these rows; its RowReader is asked for each as [r, r+1).
std::vector<int64_t> BiasSampleRowIndices(
    int64_t rows, int64_t sample_rows = kBiasSampleRows);

// The per-tensor exponent bias b (spec §4) that minimises the squared error
// of a sample of rows. It starts at InitialExponentBias(rms of the sample)
// (search_options.h) and moves one step at a time toward
// lower error while the error drops (ties keep the current bias), within the
// int8 range. Deterministic: same rows, same options, same bias. `options`
// gives the codec and mode (its exponent_bias is ignored). Errors as
// CompressMatrixStreaming, INVALID_ARGUMENT for a trellis codec (no
// exponent); an all-zero (or non-finite) sample gives 0.
// `sample_rows` replaces kBiasSampleRows.
absl::StatusOr<int> ChooseExponentBias(const SearchOptions& options,
                                       SearchAlgorithm algorithm, int64_t rows,
                                       int64_t cols, const RowReader& read,
                                       ThreadPool* pool,
                                       const SearchCallbacks& callbacks,
                                       int64_t sample_rows = kBiasSampleRows);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_
