#include "core/runtime/trellis_linear.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/codec/trellis.h"
#include "core/util/status_macros.h"

namespace seedlm {

absl::StatusOr<std::unique_ptr<TrellisLinear>> TrellisLinear::Create(
    const CodecConfig& codec, int64_t rows, int64_t cols,
    absl::Span<const uint8_t> payload, std::shared_ptr<const void> owner) {
  RETURN_IF_ERROR(codec.Validate());
  if (!codec.is_trellis()) {
    return absl::InvalidArgumentError("TrellisLinear needs a trellis codec");
  }
  if (rows < 0 || cols <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad trellis shape ", rows, " x ", cols));
  }
  const PackedGeometry g = MakeGeometry(codec, rows, cols);
  if (payload.size() != g.payload_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trellis payload is ", payload.size(), " bytes, expected ",
                     g.payload_bytes(), " for ", rows, " x ", cols));
  }
  RETURN_IF_ERROR(CheckTrellisScales(g, payload, PayloadOrigin::kStored));
  return std::unique_ptr<TrellisLinear>(
      new TrellisLinear(codec, g, payload, std::move(owner)));
}

TrellisLinear::TrellisLinear(const CodecConfig& codec, PackedGeometry g,
                             absl::Span<const uint8_t> payload,
                             std::shared_ptr<const void> owner)
    : LinearWeight(g.rows, g.cols),
      codec_(codec),
      geometry_(g),
      payload_(payload),
      owner_(std::move(owner)) {
  view_.layout = MakeTrellisLayout(codec.trellis);
  view_.rows = g.rows;
  view_.cols = g.cols;
  view_.row_bytes = g.trellis_row_bytes();
  view_.data = payload_.data();
}

void TrellisLinear::GetRow(int64_t r, float* out) const {
  TrellisDecodeRow(codec_.trellis, cols(), view_.data + r * view_.row_bytes,
                   out);
}

std::unique_ptr<float[]> TrellisLinear::Rotated(const float* x,
                                                int64_t batch) const {
  const int64_t n = batch * cols();
  std::unique_ptr<float[]> xr(new float[static_cast<size_t>(n)]);
  std::copy_n(x, n, xr.get());
  if (codec_.trellis.rotate) {
    for (int64_t b = 0; b < batch; ++b) TrellisRotate(cols(), &xr[b * cols()]);
  }
  return xr;
}

void TrellisLinear::MatVecRows(const float* x, int64_t row_begin,
                               int64_t row_end, float* y) const {
  const std::unique_ptr<float[]> xr = Rotated(x, 1);
  kernels::TrellisRows(SimdLevel::kAuto, view_, xr.get(), 1, row_begin, row_end,
                       y, 0);
}

void TrellisLinear::MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                               int64_t row_end, float* y) const {
  const std::unique_ptr<float[]> xr = Rotated(x, batch);
  kernels::TrellisRows(SimdLevel::kAuto, view_, xr.get(), batch, row_begin,
                       row_end, y + row_begin, rows());
}

absl::StatusOr<std::unique_ptr<LinearWeight>> CreateCompressedLinear(
    const CodecConfig& codec, int bias, int64_t rows, int64_t cols,
    absl::Span<const uint8_t> payload, std::shared_ptr<const void> owner) {
  if (codec.is_trellis()) {
    ASSIGN_OR_RETURN(auto w, TrellisLinear::Create(codec, rows, cols, payload,
                                                   std::move(owner)));
    return std::unique_ptr<LinearWeight>(std::move(w));
  }
  ASSIGN_OR_RETURN(auto w, PackedLinear::Create(codec, bias, rows, cols,
                                                payload, std::move(owner)));
  return std::unique_ptr<LinearWeight>(std::move(w));
}

}  // namespace seedlm
