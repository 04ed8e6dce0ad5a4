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
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"
#include "core/codec/trellis_format.h"

namespace seedlm {

// The geometry of a compressed matrix of either family. For the trellis
// family (trellis_format.h) a "block" is a ring: progress, plans and work
// units count rings, and a row's payload is TrellisRowBytes(cols) bytes
// (scale and stream); C and bits_per_block are then unused.
struct PackedGeometry {
  int64_t rows = 0;
  int64_t cols = 0;
  int C = 8;
  int bits_per_block = 32;
  CodecFamily family = CodecFamily::kBlock;
  TrellisLayout trellis{16, 4, 256};  // kTrellis only

  bool is_trellis() const { return family == CodecFamily::kTrellis; }
  // Blocks (trellis: rings) per row.
  int64_t blocks_per_row() const {
    return is_trellis() ? TrellisRingsPerRow(trellis, cols)
                        : (cols + C - 1) / C;
  }
  int64_t num_blocks() const { return rows * blocks_per_row(); }
  // Trellis only: the bytes of one stored row.
  uint64_t trellis_row_bytes() const { return TrellisRowBytes(trellis, cols); }
  uint64_t payload_bytes() const {
    if (is_trellis()) return static_cast<uint64_t>(rows) * trellis_row_bytes();
    return PackedBytes(static_cast<uint64_t>(num_blocks()), bits_per_block);
  }
  // Bits per weight, every stored bit included (padding, trellis scales).
  double bits_per_weight() const {
    if (rows * cols == 0) return 0.0;
    if (is_trellis()) {
      return static_cast<double>(payload_bytes()) * 8.0 /
             static_cast<double>(rows * cols);
    }
    return static_cast<double>(num_blocks()) * bits_per_block /
           static_cast<double>(rows * cols);
  }
};

inline TrellisLayout MakeTrellisLayout(const TrellisParams& t) {
  return TrellisLayout{t.L, t.R, t.T};
}

inline PackedGeometry MakeGeometry(const CodecConfig& c, int64_t rows,
                                   int64_t cols) {
  if (c.is_trellis()) {
    PackedGeometry g{rows, cols, 1, 0};
    g.family = CodecFamily::kTrellis;
    g.trellis = MakeTrellisLayout(c.trellis);
    return g;
  }
  return PackedGeometry{rows, cols, c.C, c.bits_per_block()};
}

// Seed 0 is the LFSR's fixed point and never a valid block (docs/SPEC.md §2):
// one check and one message for every place that meets packed blocks. The
// status code depends on where the blocks came from.
enum class PayloadOrigin {
  kStored,       // a file, a checkpoint, bytes received: DATA_LOSS
  kCallerInput,  // an argument a caller built: INVALID_ARGUMENT
};

// "[what: ]block I has seed 0", or with blocks_per_row > 0
// "[what: ]block B of row R has seed 0" (I = R * blocks_per_row + B).
absl::Status SeedZeroError(PayloadOrigin origin, uint64_t index,
                           int64_t blocks_per_row = 0,
                           absl::string_view what = "");

// OK if none of the first `num_blocks` blocks of `payload` (laid out by
// `layout`, spec §10) has seed 0, else SeedZeroError for the first that does.
// REQUIRES: payload holds num_blocks blocks. ~1 ns per block.
absl::Status CheckNoSeedZero(const BlockLayout& layout,
                             absl::Span<const uint8_t> payload,
                             uint64_t num_blocks, PayloadOrigin origin,
                             int64_t blocks_per_row = 0,
                             absl::string_view what = "");

// The argument checks shared by DecodePackedRows and DecodeTrellisRows:
// INVALID_ARGUMENT unless payload_size == g.payload_bytes(), 0 <= row_begin
// <= row_end <= g.rows and out_size == (row_end - row_begin) * g.cols.
absl::Status CheckDecodeRowsArgs(const PackedGeometry& g, uint64_t payload_size,
                                 int64_t row_begin, int64_t row_end,
                                 uint64_t out_size);

// Decodes rows [row_begin, row_end) of a packed matrix into out (row-major,
// (row_end - row_begin) x cols, row padding dropped). INVALID_ARGUMENT if the
// payload or output sizes do not match the geometry, or a block holds seed 0
// (SeedZeroError with kCallerInput: readers of stored data re-code it).
absl::Status DecodePackedRows(const CodecConfig& codec, int bias,
                              const PackedGeometry& g,
                              absl::Span<const uint8_t> payload,
                              int64_t row_begin, int64_t row_end,
                              absl::Span<float> out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_PACKED_MATRIX_H_
