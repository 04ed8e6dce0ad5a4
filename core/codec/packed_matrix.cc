#include "core/codec/packed_matrix.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/codec/trellis.h"

namespace seedlm {

absl::Status SeedZeroError(PayloadOrigin origin, uint64_t index,
                           int64_t blocks_per_row, absl::string_view what) {
  std::string msg(what.empty() ? "" : absl::StrCat(what, ": "));
  if (blocks_per_row > 0) {
    const uint64_t bpr = static_cast<uint64_t>(blocks_per_row);
    absl::StrAppend(&msg, "block ", index % bpr, " of row ", index / bpr,
                    " has seed 0");
  } else {
    absl::StrAppend(&msg, "block ", index, " has seed 0");
  }
  return origin == PayloadOrigin::kStored ? absl::DataLossError(msg)
                                          : absl::InvalidArgumentError(msg);
}

absl::Status CheckNoSeedZero(const BlockLayout& layout,
                             absl::Span<const uint8_t> payload,
                             uint64_t num_blocks, PayloadOrigin origin,
                             int64_t blocks_per_row, absl::string_view what) {
  const uint64_t bits = static_cast<uint64_t>(layout.bits());
  for (uint64_t b = 0; b < num_blocks; ++b) {
    if (ReadBits(payload.data(), b * bits, layout.K) == 0) {
      return SeedZeroError(origin, b, blocks_per_row, what);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDecodeRowsArgs(const PackedGeometry& g, uint64_t payload_size,
                                 int64_t row_begin, int64_t row_end,
                                 uint64_t out_size) {
  if (payload_size != g.payload_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("packed payload is ", payload_size, " bytes, expected ",
                     g.payload_bytes()));
  }
  if (row_begin < 0 || row_end > g.rows || row_begin > row_end) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rows [", row_begin, ", ", row_end, ") outside 0..", g.rows));
  }
  if (static_cast<int64_t>(out_size) != (row_end - row_begin) * g.cols) {
    return absl::InvalidArgumentError("output size does not match the rows");
  }
  return absl::OkStatus();
}

absl::Status DecodePackedRows(const CodecConfig& codec, int bias,
                              const PackedGeometry& g,
                              absl::Span<const uint8_t> payload,
                              int64_t row_begin, int64_t row_end,
                              absl::Span<float> out) {
  if (codec.is_trellis()) {
    return DecodeTrellisRows(codec, g, payload, row_begin, row_end, out);
  }
  if (absl::Status s = CheckDecodeRowsArgs(g, payload.size(), row_begin,
                                           row_end, out.size());
      !s.ok()) {
    return s;
  }
  const BlockLayout layout = codec.layout();
  const int64_t bpr = g.blocks_per_row();
  float buf[kMaxC];
  for (int64_t r = row_begin; r < row_end; ++r) {
    float* row_out = &out[(r - row_begin) * g.cols];
    for (int64_t b = 0; b < bpr; ++b) {
      const Block block = UnpackBlock(layout, payload.data(),
                                      static_cast<uint64_t>(r * bpr + b));
      if (block.seed == 0) {
        return SeedZeroError(PayloadOrigin::kCallerInput,
                             static_cast<uint64_t>(r * bpr + b), bpr);
      }
      DecodeBlock(codec, bias, block, buf);
      const int64_t c0 = b * codec.C;
      const int64_t n = std::min<int64_t>(codec.C, g.cols - c0);
      std::copy(buf, buf + n, row_out + c0);
    }
  }
  return absl::OkStatus();
}

}  // namespace seedlm
