#include "core/runtime/linear.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec/block_format.h"

namespace seedlm {

float DotF32(const float* a, const float* b, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i + j < n; ++j) s[j] += a[i + j] * b[i + j];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void MatVec(const LinearWeight& w, const float* x, float* y, ThreadPool* pool) {
  const int64_t rows = w.rows();
  // About 64k weights per chunk: below that, threads cost more than they
  // save. Chunking never changes results (each row is one DotF32).
  const int64_t grain =
      std::max<int64_t>(1, 65536 / std::max<int64_t>(1, w.cols()));
  if (pool == nullptr || pool->num_threads() == 1 || rows <= grain) {
    w.MatVecRows(x, 0, rows, y);
    return;
  }
  pool->ParallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    w.MatVecRows(x, begin, end, y + begin);
  });
}

DenseLinear::DenseLinear(int64_t rows, int64_t cols, std::vector<float> data)
    : LinearWeight(rows, cols), data_(std::move(data)) {}

void DenseLinear::GetRow(int64_t r, float* out) const {
  std::copy_n(data_.data() + r * cols(), cols(), out);
}

void DenseLinear::MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                             float* y) const {
  for (int64_t r = row_begin; r < row_end; ++r) {
    y[r - row_begin] = DotF32(data_.data() + r * cols(), x, cols());
  }
}

absl::StatusOr<std::unique_ptr<PackedLinear>> PackedLinear::Create(
    const CodecConfig& codec, int bias, int64_t rows, int64_t cols,
    absl::Span<const uint8_t> payload) {
  if (absl::Status s = codec.Validate(); !s.ok()) return s;
  if (bias < -128 || bias > 127) {
    return absl::InvalidArgumentError(
        absl::StrCat("exponent bias ", bias, " outside the int8 range"));
  }
  if (rows < 0 || cols <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad packed shape ", rows, " x ", cols));
  }
  const PackedGeometry g = MakeGeometry(codec, rows, cols);
  if (payload.size() != g.payload_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("packed payload is ", payload.size(), " bytes, expected ",
                     g.payload_bytes(), " for ", rows, " x ", cols));
  }
  return std::unique_ptr<PackedLinear>(
      new PackedLinear(codec, bias, g, payload, SeedExpander::Get(codec)));
}

PackedLinear::PackedLinear(const CodecConfig& codec, int bias, PackedGeometry g,
                           absl::Span<const uint8_t> payload,
                           std::shared_ptr<const SeedExpander> expander)
    : LinearWeight(g.rows, g.cols),
      codec_(codec),
      geometry_(g),
      payload_(payload),
      expander_(std::move(expander)) {
  for (int e = codec.e_lo(); e <= codec.e_hi(); ++e) {
    scales_.push_back(BlockScale(codec, e, bias));
  }
}

// Bit-identical to DecodePackedRows for the same row (the same exact
// integer sums times the same float scale).
void PackedLinear::GetRow(int64_t r, float* out) const {
  const BlockLayout layout = codec_.layout();
  const int64_t bpr = geometry_.blocks_per_row();
  const int C = codec_.C, P = codec_.P;
  int32_t m[kMaxC * kMaxP];
  for (int64_t b = 0; b < bpr; ++b) {
    const Block block =
        UnpackBlockFast(layout, payload_.data(), payload_.size(),
                        static_cast<uint64_t>(r * bpr + b));
    const int64_t c0 = b * C;
    const int n = static_cast<int>(std::min<int64_t>(C, cols() - c0));
    if (block.seed == 0) {  // invalid; never produced by a valid file
      std::fill_n(out + c0, n, 0.0f);
      continue;
    }
    expander_->Expand(block.seed, m);
    const float scale = scales_[block.e - codec_.e_lo()];
    for (int c = 0; c < n; ++c) {
      int32_t sum = 0;
      for (int p = 0; p < P; ++p) sum += m[c * P + p] * block.q[p];
      out[c0 + c] = static_cast<float>(sum) * scale;
    }
  }
}

void PackedLinear::MatVecRows(const float* x, int64_t row_begin,
                              int64_t row_end, float* y) const {
  std::vector<float> row(static_cast<size_t>(cols()));
  for (int64_t r = row_begin; r < row_end; ++r) {
    GetRow(r, row.data());
    y[r - row_begin] = DotF32(row.data(), x, cols());
  }
}

}  // namespace seedlm
