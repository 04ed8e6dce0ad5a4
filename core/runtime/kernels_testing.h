// Test support for the fused i8 kernel (kernels.h): a float64 reference and
// a provable bound on how far the kernel's float32 result may be from it.
// Not for production code paths.
#ifndef SEEDLM_CORE_RUNTIME_KERNELS_TESTING_H_
#define SEEDLM_CORE_RUNTIME_KERNELS_TESTING_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/codec/block_format.h"
#include "core/runtime/kernels.h"

namespace seedlm {
namespace kernels {

struct ExactDot {
  double value = 0;  // sum_c w_c x_c in float64 (w: the normative decode)
  double bound = 0;  // |fused result - value| <= bound
};

// Row r of a fused-kernel matrix against x (cols floats). The bound is the
// classic gamma_n one for the kernel's sums: the lane terms w'_c x_c with
// w' = w + 128 sq s, the correction terms and the block sums Sx, each at most
// n = blocks_per_row + 16 roundings deep, doubled for the final combine.
inline ExactDot FusedExactDot(const PackedView& m, int64_t r, const float* x) {
  std::vector<float> w(static_cast<size_t>(m.cols));
  PackedDecodeRow(m, r, w.data());
  ExactDot out;
  double terms = 0;
  const uint32_t e_mask = (1u << m.codec.E) - 1u;
  for (int64_t k = 0; k < m.blocks_per_row; ++k) {
    uint32_t word;
    std::memcpy(&word, m.data + 4 * (r * m.blocks_per_row + k), 4);
    int sq = 0;
    for (int p = 0; p < m.codec.P; ++p) {
      sq += SignExtend((word >> (16 + m.codec.E + 4 * p)) & 0xF, 4);
    }
    const double s = m.field_scale[(word >> 16) & e_mask];
    double xabs = 0;
    for (int64_t c = 8 * k; c < std::min<int64_t>(8 * k + 8, m.cols); ++c) {
      out.value += static_cast<double>(w[c]) * x[c];
      terms += std::fabs(static_cast<double>(w[c]) * x[c]);
      xabs += std::fabs(x[c]);
    }
    terms += 3 * 128 * std::fabs(sq * s) * xabs;
  }
  const double n = static_cast<double>(m.blocks_per_row + 16);
  const double u = std::ldexp(1.0, -24);
  out.bound = 2 * (n * u / (1 - n * u)) * terms + 1e-30;
  return out;
}

}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_KERNELS_TESTING_H_
