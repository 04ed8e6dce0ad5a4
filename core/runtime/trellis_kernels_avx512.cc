// The trellis kernels (trellis_kernels.h) for AVX-512 F/BW/VL/VNNI: sixteen
// states per step (vpshufb windows, vpsrlvd, vpmulld, one vpdpbusd for the
// byte sum and the centring). Compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vnni -mavx2 -mfma -mbmi2 and called only on CPUs that have them;
// the loops are trellis_kernels_impl.h.
#include "core/runtime/trellis_kernels_isa.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/codec/trellis.h"
#include "core/runtime/trellis_kernels.h"

// GCC 12 reports the 512-bit intrinsics' internal _mm512_undefined_*()
// operands as maybe-uninitialized (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace seedlm {
namespace kernels {
namespace avx512 {
namespace {

constexpr int kGroup = 16;

class GroupDecoder {
 public:
  explicit GroupDecoder(int R) {
    alignas(64) uint8_t shuf[64];
    alignas(64) uint32_t shift[16];
    for (int k = 0; k < kGroup; ++k) {
      const int bit = (k + 1) * R;  // lane k's window starts here
      const int o = bit >> 3;
      for (int b = 0; b < 4; ++b)
        shuf[4 * k + b] = static_cast<uint8_t>(o + 3 - b);
      shift[k] = static_cast<uint32_t>(16 - (bit & 7));
    }
    shuffle_ = _mm512_load_si512(shuf);
    shift_ = _mm512_load_si512(shift);
  }

  void Decode(__m128i p, float scale, float* out) const {
    _mm512_storeu_ps(out, Values(p, scale));
  }

  void Accumulate(__m128i p, float scale, const float* x, __m256* acc) const {
    const __m512 prod = _mm512_mul_ps(Values(p, scale), _mm512_loadu_ps(x));
    *acc = _mm256_add_ps(*acc, _mm512_castps512_ps256(prod));
    *acc = _mm256_add_ps(*acc, _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                   _mm512_castps_pd(prod), 1)));
  }

 private:
  __m512 Values(__m128i p, float scale) const {
    const __m512i bytes = _mm512_broadcast_i32x4(p);
    const __m512i s = _mm512_and_si512(
        _mm512_srlv_epi32(_mm512_shuffle_epi8(bytes, shuffle_), shift_),
        _mm512_set1_epi32(0xFFFF));
    const __m512i h = _mm512_add_epi32(
        _mm512_mullo_epi32(
            s, _mm512_set1_epi32(static_cast<int>(kTrellisCodeMul))),
        _mm512_set1_epi32(static_cast<int>(kTrellisCodeAdd)));
    // -510 + the sum of h's four unsigned bytes (times signed 1s): exact.
    const __m512i code = _mm512_dpbusd_epi32(
        _mm512_set1_epi32(-kTrellisCodeCentre), h, _mm512_set1_epi8(1));
    return _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(code));
  }

  __m512i shuffle_;
  __m512i shift_;
};

#include "core/runtime/trellis_kernels_impl.h"  // NOLINT(build/include)
}  // namespace

void TrellisRows(const TrellisView& m, const float* x, int64_t batch,
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  TrellisRowsImpl(m, x, batch, row_begin, row_end, y, ldy);
}

}  // namespace avx512
}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
