// A matrix stored as packed SeedLM blocks: the geometry (rows of
// ceil(cols / C) blocks, zero-padded) and the scalar reference decode.
//
// Block b of row r is block number r * blocks_per_row + b of the bit stream
// (block_format.h), so any block, and any slice of rows, is addressable in
// O(1). The decode here is the normative one (codec.h DecodeBlock); faster
// kernels are tested against it.
#ifndef SEEDLM_CORE_CODEC_PACKED_MATRIX_H_
#define SEEDLM_CORE_CODEC_PACKED_MATRIX_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"

namespace seedlm {

struct PackedGeometry {
  int64_t rows = 0;
  int64_t cols = 0;
  int C = 8;
  int bits_per_block = 32;

  int64_t blocks_per_row() const { return (cols + C - 1) / C; }
  int64_t num_blocks() const { return rows * blocks_per_row(); }
  uint64_t payload_bytes() const {
    return PackedBytes(static_cast<uint64_t>(num_blocks()), bits_per_block);
  }
  // Bits per weight including row padding.
  double bits_per_weight() const {
    return rows * cols == 0
               ? 0.0
               : static_cast<double>(num_blocks()) * bits_per_block /
                     static_cast<double>(rows * cols);
  }
};

inline PackedGeometry MakeGeometry(const CodecConfig& c, int64_t rows,
                                   int64_t cols) {
  return PackedGeometry{rows, cols, c.C, c.bits_per_block()};
}

// Decodes rows [row_begin, row_end) of a packed matrix into out (row-major,
// (row_end - row_begin) x cols, row padding dropped). INVALID_ARGUMENT if the
// payload or output sizes do not match the geometry, or a block holds seed 0.
absl::Status DecodePackedRows(const CodecConfig& codec, int bias,
                              const PackedGeometry& g,
                              absl::Span<const uint8_t> payload,
                              int64_t row_begin, int64_t row_end,
                              absl::Span<float> out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_PACKED_MATRIX_H_
