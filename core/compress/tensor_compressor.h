// Compresses one float32 matrix into packed SeedLM blocks with a block
// searcher, and measures what it cost in error. RPC-free; the building block
// of the model compressor (and, later, of remote workers).
#ifndef SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_
#define SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/codec/packed_matrix.h"
#include "core/search/searcher.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct CompressedMatrix {
  PackedGeometry geometry;
  std::vector<uint8_t> payload;  // geometry.payload_bytes() bytes
  double sq_error = 0.0;  // Σ (w − ŵ)² over real weights, ŵ = float32 decode
  double sq_norm = 0.0;   // Σ w²
  double rel_error() const;  // sqrt(sq_error / sq_norm), 0 for a zero matrix
};

// Compresses the row-major rows x cols matrix `w`: each row is cut into
// ceil(cols / C) blocks of C weights, the last zero-padded; blocks are
// searched with `searcher` (on `pool`, may be null) and packed row by row.
// INVALID_ARGUMENT for a size mismatch or a non-finite weight; CANCELLED if
// the callbacks cancel. Deterministic: same input, same bytes.
absl::StatusOr<CompressedMatrix> CompressMatrix(
    const BlockSearcher& searcher, absl::Span<const float> w, int64_t rows,
    int64_t cols, ThreadPool* pool, const SearchCallbacks& callbacks);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_TENSOR_COMPRESSOR_H_
