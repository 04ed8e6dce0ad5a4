// The trellis kernels (trellis_kernels.h) for AVX2 + FMA + BMI2: eight states
// per step (vpshufb windows, vpsrlvd, vpmulld, vpmaddubsw + vpmaddwd byte
// sums). Compiled with -mavx2 -mfma -mbmi2 and called only on CPUs that have
// them; the loops are trellis_kernels_impl.h.
#include "core/runtime/trellis_kernels_isa.h"

#if defined(SEEDLM_HAVE_X86_KERNELS)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/codec/trellis.h"
#include "core/runtime/trellis_kernels.h"

namespace seedlm {
namespace kernels {
namespace avx2 {
namespace {

constexpr int kGroup = 8;

class GroupDecoder {
 public:
  explicit GroupDecoder(int R) {
    alignas(32) uint8_t shuf[32];
    alignas(32) uint32_t shift[8];
    for (int k = 0; k < kGroup; ++k) {
      const int bit = (k + 1) * R;  // lane k's window starts here
      const int o = bit >> 3;
      for (int b = 0; b < 4; ++b)
        shuf[4 * k + b] = static_cast<uint8_t>(o + 3 - b);
      shift[k] = static_cast<uint32_t>(16 - (bit & 7));
    }
    shuffle_ = _mm256_load_si256(reinterpret_cast<const __m256i*>(shuf));
    shift_ = _mm256_load_si256(reinterpret_cast<const __m256i*>(shift));
  }

  void Decode(__m128i p, float scale, float* out) const {
    _mm256_storeu_ps(out, Values(p, scale));
  }

  void Accumulate(__m128i p, float scale, const float* x, __m256* acc) const {
    *acc = _mm256_add_ps(*acc,
                         _mm256_mul_ps(Values(p, scale), _mm256_loadu_ps(x)));
  }

 private:
  __m256 Values(__m128i p, float scale) const {
    const __m256i bytes = _mm256_broadcastsi128_si256(p);
    const __m256i s = _mm256_and_si256(
        _mm256_srlv_epi32(_mm256_shuffle_epi8(bytes, shuffle_), shift_),
        _mm256_set1_epi32(0xFFFF));
    const __m256i h = _mm256_add_epi32(
        _mm256_mullo_epi32(
            s, _mm256_set1_epi32(static_cast<int>(kTrellisCodeMul))),
        _mm256_set1_epi32(static_cast<int>(kTrellisCodeAdd)));
    const __m256i sum = _mm256_madd_epi16(
        _mm256_maddubs_epi16(h, _mm256_set1_epi8(1)), _mm256_set1_epi16(1));
    const __m256i code =
        _mm256_sub_epi32(sum, _mm256_set1_epi32(kTrellisCodeCentre));
    return _mm256_mul_ps(_mm256_set1_ps(scale), _mm256_cvtepi32_ps(code));
  }

  __m256i shuffle_;
  __m256i shift_;
};

#include "core/runtime/trellis_kernels_impl.h"  // NOLINT(build/include)
}  // namespace

void TrellisRows(const TrellisView& m, const float* x, int64_t batch,
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  TrellisRowsImpl(m, x, batch, row_begin, row_end, y, ldy);
}

}  // namespace avx2
}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_HAVE_X86_KERNELS
