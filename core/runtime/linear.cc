#include "core/runtime/linear.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec/block_format.h"
#include "core/codec/packed_matrix.h"
#include "core/util/dtype.h"
#include "core/util/status_macros.h"

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

namespace {

// Rows per parallel chunk: at least about 64k weights (below that, threads
// cost more than they save) and otherwise about four chunks per thread (each
// kernel call has a fixed setup cost: padding x, block sums), a multiple of
// the kernels' 4-row tile. Chunking never changes results (each row is
// computed by one call, in a fixed order).
int64_t RowGrain(const LinearWeight& w, const ThreadPool* pool) {
  int64_t g = 65536 / std::max<int64_t>(1, w.cols());
  if (pool != nullptr) {
    g = std::max<int64_t>(g, w.rows() / (4 * pool->num_threads()));
  }
  return std::max<int64_t>(4, (g + 3) / 4 * 4);
}

}  // namespace

void LinearWeight::MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                              int64_t row_end, float* y) const {
  for (int64_t b = 0; b < batch; ++b) {
    MatVecRows(x + b * cols(), row_begin, row_end, y + b * rows() + row_begin);
  }
}

void MatVec(const LinearWeight& w, const float* x, float* y, ThreadPool* pool) {
  const int64_t rows = w.rows();
  const int64_t grain = RowGrain(w, pool);
  if (pool == nullptr || pool->num_threads() == 1 || rows <= grain) {
    w.MatVecRows(x, 0, rows, y);
    return;
  }
  pool->ParallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    w.MatVecRows(x, begin, end, y + begin);
  });
}

void MatMul(const LinearWeight& w, const float* x, int64_t batch, float* y,
            ThreadPool* pool) {
  const int64_t rows = w.rows();
  const int64_t grain = RowGrain(w, pool);
  if (pool == nullptr || pool->num_threads() == 1 || rows <= grain) {
    w.MatMulRows(x, batch, 0, rows, y);
    return;
  }
  pool->ParallelFor(rows, grain, [&](int64_t begin, int64_t end) {
    w.MatMulRows(x, batch, begin, end, y);
  });
}

DenseLinear::DenseLinear(int64_t rows, int64_t cols, std::vector<float> data)
    : LinearWeight(rows, cols), data_(std::move(data)) {}

void DenseLinear::GetRow(int64_t r, float* out) const {
  std::copy_n(data_.data() + r * cols(), cols(), out);
}

void DenseLinear::MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                             float* y) const {
  kernels::DenseF32Rows(SimdLevel::kAuto, data_.data(), cols(), x, 1, row_begin,
                        row_end, y, 0);
}

void DenseLinear::MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                             int64_t row_end, float* y) const {
  kernels::DenseF32Rows(SimdLevel::kAuto, data_.data(), cols(), x, batch,
                        row_begin, row_end, y + row_begin, rows());
}

DenseBf16Linear::DenseBf16Linear(int64_t rows, int64_t cols,
                                 std::vector<uint16_t> data)
    : LinearWeight(rows, cols), owned_(std::move(data)), data_(owned_) {}

DenseBf16Linear::DenseBf16Linear(int64_t rows, int64_t cols,
                                 absl::Span<const uint16_t> data,
                                 std::shared_ptr<const void> owner)
    : LinearWeight(rows, cols), owner_(std::move(owner)), data_(data) {}

std::unique_ptr<DenseBf16Linear> DenseBf16Linear::FromF32(
    int64_t rows, int64_t cols, absl::Span<const float> data) {
  std::vector<uint16_t> bf(data.size());
  for (size_t i = 0; i < data.size(); ++i) bf[i] = FloatToBFloat16(data[i]);
  return std::make_unique<DenseBf16Linear>(rows, cols, std::move(bf));
}

void DenseBf16Linear::GetRow(int64_t r, float* out) const {
  for (int64_t i = 0; i < cols(); ++i) {
    const uint32_t u = uint32_t{data_[r * cols() + i]} << 16;
    std::memcpy(&out[i], &u, 4);
  }
}

void DenseBf16Linear::MatVecRows(const float* x, int64_t row_begin,
                                 int64_t row_end, float* y) const {
  kernels::DenseBf16Rows(SimdLevel::kAuto, data_.data(), cols(), x, 1,
                         row_begin, row_end, y, 0);
}

void DenseBf16Linear::MatMulRows(const float* x, int64_t batch,
                                 int64_t row_begin, int64_t row_end,
                                 float* y) const {
  kernels::DenseBf16Rows(SimdLevel::kAuto, data_.data(), cols(), x, batch,
                         row_begin, row_end, y + row_begin, rows());
}

absl::StatusOr<std::unique_ptr<PackedLinear>> PackedLinear::Create(
    const CodecConfig& codec, int bias, int64_t rows, int64_t cols,
    absl::Span<const uint8_t> payload, std::shared_ptr<const void> owner) {
  if (absl::Status s = codec.Validate(); !s.ok()) return s;
  if (codec.is_trellis()) {
    return absl::InvalidArgumentError(
        "a trellis codec is served by TrellisLinear (trellis_linear.h)");
  }
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
  RETURN_IF_ERROR(CheckNoSeedZero(codec.layout(), payload,
                                  static_cast<uint64_t>(g.num_blocks()),
                                  PayloadOrigin::kStored, g.blocks_per_row()));
  std::unique_ptr<PackedLinear> w(
      new PackedLinear(codec, bias, g, payload, SeedExpander::Get(codec)));
  w->payload_owner_ = std::move(owner);
  return w;
}

PackedLinear::PackedLinear(const CodecConfig& codec, int bias, PackedGeometry g,
                           absl::Span<const uint8_t> payload,
                           std::shared_ptr<const SeedExpander> expander)
    : LinearWeight(g.rows, g.cols),
      codec_(codec),
      geometry_(g),
      payload_(payload),
      expander_(std::move(expander)),
      // The fused kernel reads only the raw tables.
      tables_(kernels::FusedSupports(codec)
                  ? nullptr
                  : kernels::PackedTables::Get(codec)),
      raw_tables_(kernels::PackedTables::GetRaw(codec)) {
  const uint32_t fields = 1u << codec.E;
  for (uint32_t f = 0; f < fields; ++f) {
    field_scale_.push_back(BlockScale(codec, SignExtend(f, codec.E), bias));
  }
  view_.codec = codec_;
  view_.rows = g.rows;
  view_.cols = g.cols;
  view_.blocks_per_row = g.blocks_per_row();
  view_.data = payload_.data();
  view_.size = payload_.size();
  view_.field_scale = field_scale_.data();
  view_.expander = expander_.get();
  view_.tables = tables_.get();
  view_.raw_tables = raw_tables_.get();
}

// Bit-identical to DecodePackedRows for the same row (the same exact
// integer sums times the same float scale).
void PackedLinear::GetRow(int64_t r, float* out) const {
  kernels::PackedDecodeRow(view_, r, out);
}

void PackedLinear::MatVecRows(const float* x, int64_t row_begin,
                              int64_t row_end, float* y) const {
  kernels::PackedRows(SimdLevel::kAuto, view_, x, 1, row_begin, row_end, y, 0);
}

void PackedLinear::MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                              int64_t row_end, float* y) const {
  kernels::PackedRows(SimdLevel::kAuto, view_, x, batch, row_begin, row_end,
                      y + row_begin, rows());
}

}  // namespace seedlm
