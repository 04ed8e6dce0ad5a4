#include "core/runtime/trellis_kernels.h"

#include <algorithm>
#include <vector>

#include "core/codec/trellis.h"
#include "core/runtime/linear.h"
#include "core/runtime/trellis_kernels_isa.h"

namespace seedlm {
namespace kernels {
namespace {

// `nbits` (1..16) bits at bit `pos` of an MSB-first stream, reading only the
// bytes that hold them.
uint32_t ReadBits(const uint8_t* d, uint64_t pos, int nbits) {
  const uint64_t first = pos >> 3;
  const uint64_t last = (pos + static_cast<uint64_t>(nbits) - 1) >> 3;
  uint32_t w = 0;
  for (uint64_t b = first; b <= last; ++b) w = (w << 8) | d[b];
  const int drop = static_cast<int>((last - first + 1) * 8 - (pos & 7)) - nbits;
  return (w >> drop) & ((1u << nbits) - 1u);
}

}  // namespace

bool TrellisFusedSupports(const TrellisLayout& l) {
  return l.L == 16 && l.R >= 2 && l.R <= 6 && l.T >= 16 && l.T % 16 == 0;
}

void TrellisDecodeRowFast(const TrellisView& m, int64_t r, float* out) {
  const TrellisLayout& l = m.layout;
  const uint8_t* row = m.data + static_cast<uint64_t>(r) * m.row_bytes;
  const float scale = TrellisStoredScale(row);
  const uint8_t* stream = row + kTrellisScaleBytes;
  const uint32_t mask = (1u << l.L) - 1u;
  const int64_t rings = TrellisRingsPerRow(l, m.cols);
  for (int64_t j = 0; j < rings; ++j) {
    const int64_t n = TrellisRingLength(l, m.cols, j);
    const int64_t valid = std::min<int64_t>(n, m.cols - j * l.T);
    const uint8_t* ring = stream + static_cast<uint64_t>(j) * l.T * l.R / 8;
    const uint64_t bits = static_cast<uint64_t>(n) * l.R;
    // The state before weight 0: the ring's last L bits (tail-biting).
    uint32_t s = ReadBits(ring, bits - l.L, l.L);
    float* o = out + j * l.T;
    for (int64_t i = 0; i < valid; ++i) {
      s = ((s << l.R) | ReadBits(ring, static_cast<uint64_t>(i) * l.R, l.R)) &
          mask;
      o[i] = scale * static_cast<float>(TrellisCode(s));
    }
  }
}

void TrellisRowsReference(const TrellisView& m, const float* x, int64_t batch,
                          int64_t row_begin, int64_t row_end, float* y,
                          int64_t ldy) {
  std::vector<float> w(static_cast<size_t>(m.cols));
  for (int64_t r = row_begin; r < row_end; ++r) {
    TrellisDecodeRowFast(m, r, w.data());
    for (int64_t b = 0; b < batch; ++b) {
      y[b * ldy + (r - row_begin)] = DotF32(w.data(), x + b * m.cols, m.cols);
    }
  }
}

void TrellisRows(SimdLevel level, const TrellisView& m, const float* x,
                 int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                 int64_t ldy) {
  const SimdLevel l =
      !TrellisFusedSupports(m.layout)
          ? SimdLevel::kScalar
          : (level == SimdLevel::kAuto ? ResolveSimdLevel(level)
                                       : LowerToSupported(level));
  switch (l) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx512:
      return avx512::TrellisRows(m, x, batch, row_begin, row_end, y, ldy);
    case SimdLevel::kAvx2:
      return avx2::TrellisRows(m, x, batch, row_begin, row_end, y, ldy);
#endif
    default:
      return TrellisRowsReference(m, x, batch, row_begin, row_end, y, ldy);
  }
}

}  // namespace kernels
}  // namespace seedlm
