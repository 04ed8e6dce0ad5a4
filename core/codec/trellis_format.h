// The seed trellis (docs/SPEC.md §13): row and ring layout, the MSB-first
// bit stream, the state of a weight, and the code that maps a state to a
// value.
//
// Freestanding (only <cstdint>/<cstddef>/<algorithm>) so that the kernels,
// the FPGA host code and the RTL testbenches can share it. This header *is*
// the on-disk layout of a trellis tensor's payload; docs/FORMAT.md and
// docs/SPEC.md §13 describe the same thing in words.
//
// A trellis tensor is a rows x cols matrix (as for the block codec, spec
// §10). Each row is stored in TrellisRowBytes(cols) bytes, rows back to back:
//   bytes [0, 4)   the row's scale, float32 little-endian (finite, >= 0)
//   bytes [4, ..)  the row's stream: R bits per stored weight, MSB-first
//                  (bit n of the stream is bit 7 - n % 8 of byte 4 + n / 8),
//                  zero bits up to the next whole byte.
// A row is cut into rings: ring j holds columns [j*T, min((j+1)*T, cols)),
// its stored length is that count raised to at least MinRing = ceil(L / R)
// (extra weights are zero-padding, encoded and never read back), and its
// n*R stream bits start at stream bit j*T*R (a whole byte: T >= 16).
// Weight i of a ring (0 <= i < n) has the state
//   s_i = the L ring bits ending at ring bit (i+1)*R, read circularly
//         (tail-biting): s_i = sum_m bit[((i+1)*R - L + m) mod n*R] << (L-1-m)
// so s_i = ((s_{i-1} << R) | k_i) mod 2^L where k_i = ring bits
// [i*R, (i+1)*R) as an R-bit integer, and its value is
//   scale * TrellisCode(s_i)         (float32 product, rotated domain).
#ifndef SEEDLM_CORE_CODEC_TRELLIS_FORMAT_H_
#define SEEDLM_CORE_CODEC_TRELLIS_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace seedlm {

// The bytes of a row's scale (float32) at the start of every row.
inline constexpr int kTrellisScaleBytes = 4;
// The seam pass of the search (spec §13.4) looks at this many weights.
inline constexpr int kTrellisSeamWindow = 64;
// The largest rotation block (spec §13.3).
inline constexpr int64_t kTrellisMaxRotationBlock = 4096;

// The layout parameters of a trellis codec (CodecConfig::trellis).
struct TrellisLayout {
  int L;  // state bits
  int R;  // bits per weight
  int T;  // ring length
  // The shortest stored ring: ceil(L / R) weights, so that n*R >= L.
  constexpr int min_ring() const { return (L + R - 1) / R; }
};

// Rings per row: ceil(cols / T) (0 for cols == 0).
constexpr int64_t TrellisRingsPerRow(const TrellisLayout& l, int64_t cols) {
  return (cols + l.T - 1) / l.T;
}

// The stored length of ring j of a row (see above).
constexpr int64_t TrellisRingLength(const TrellisLayout& l, int64_t cols,
                                    int64_t j) {
  const int64_t rest = cols - j * l.T;
  const int64_t n = rest < l.T ? rest : l.T;
  return n < l.min_ring() ? l.min_ring() : n;
}

// Stored weights of a row (cols plus the last ring's padding, if any).
constexpr int64_t TrellisStoredWeights(const TrellisLayout& l, int64_t cols) {
  const int64_t k = TrellisRingsPerRow(l, cols);
  return k == 0 ? 0 : (k - 1) * l.T + TrellisRingLength(l, cols, k - 1);
}

// Bytes of one stored row: the scale and the stream, rounded up to a byte.
constexpr uint64_t TrellisRowBytes(const TrellisLayout& l, int64_t cols) {
  return kTrellisScaleBytes +
         (static_cast<uint64_t>(TrellisStoredWeights(l, cols)) * l.R + 7) / 8;
}

static_assert(TrellisRowBytes(TrellisLayout{16, 4, 256}, 4096) == 2052,
              "4bit-t: 4 + 2048 bytes per row of 4096");
static_assert(TrellisRowBytes(TrellisLayout{16, 3, 256}, 172) == 69,
              "3bit-t: 172 weights in one ring of 516 bits");
static_assert(TrellisStoredWeights(TrellisLayout{16, 4, 256}, 258) == 260,
              "a last ring of 2 is padded to ceil(16/4) = 4");

// Reads `nbits` (0..32) bits at bit `pos` of an MSB-first stream: the first
// bit read is the most significant of the result.
inline uint32_t ReadBitsMsb(const uint8_t* data, uint64_t pos, int nbits) {
  uint32_t v = 0;
  for (int i = 0; i < nbits; ++i, ++pos) {
    v = (v << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1u);
  }
  return v;
}

// Writes the low `nbits` (0..32) bits of `value` at bit `pos`, most
// significant first; other bits of the touched bytes are preserved.
inline void WriteBitsMsb(uint8_t* data, uint64_t pos, int nbits,
                         uint32_t value) {
  for (int i = nbits - 1; i >= 0; --i, ++pos) {
    const uint8_t mask = static_cast<uint8_t>(0x80u >> (pos & 7));
    if ((value >> i) & 1u) {
      data[pos >> 3] = static_cast<uint8_t>(data[pos >> 3] | mask);
    } else {
      data[pos >> 3] = static_cast<uint8_t>(data[pos >> 3] & ~mask);
    }
  }
}

// The state s_i of weight i of a ring of stored length n whose stream starts
// at bit `ring_pos` of `data` (the spec's circular definition, bit by bit).
// REQUIRES: 0 <= i < n, n * R >= L.
inline uint32_t TrellisRingState(const TrellisLayout& l, const uint8_t* data,
                                 uint64_t ring_pos, int64_t n, int64_t i) {
  const int64_t bits = n * l.R;
  uint32_t s = 0;
  for (int m = 0; m < l.L; ++m) {
    int64_t b = (i + 1) * l.R - l.L + m;
    b = ((b % bits) + bits) % bits;
    const uint64_t pos = ring_pos + static_cast<uint64_t>(b);
    s = (s << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1u);
  }
  return s;
}

// The code (spec §13.2): a multiply-add hash of the state, then the sum of
// its four bytes, centred. Values are integers in [-510, 510], roughly
// Gaussian with standard deviation ~147.8. The constants are QTIP's "1MAD"
// (Tseng et al. 2024); of ten odd multipliers measured here most gave
// 0.067-0.068 relative error at R = 4, a few (0x9E3779B1: 0.072) worse.
inline constexpr uint32_t kTrellisCodeMul = 34038481u;
inline constexpr uint32_t kTrellisCodeAdd = 76625530u;
inline constexpr int32_t kTrellisCodeCentre = 510;

constexpr int32_t TrellisCode(uint32_t state) {
  const uint32_t x = state * kTrellisCodeMul + kTrellisCodeAdd;
  return static_cast<int32_t>((x & 0xFFu) + ((x >> 8) & 0xFFu) +
                              ((x >> 16) & 0xFFu) + (x >> 24)) -
         kTrellisCodeCentre;
}

// The sign of column c in the rotation (spec §13.3): -1 when bit 31 of
// Mix32(c) is set, else +1, where Mix32 is MurmurHash3's 32-bit finalizer
// (a multiply-add hash of consecutive columns would flip sign only every
// ~60 columns).
constexpr uint32_t TrellisMix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}
constexpr int TrellisColumnSign(uint64_t c) {
  return (TrellisMix32(static_cast<uint32_t>(c)) >> 31) ? -1 : 1;
}

// The rotation block of a row of `cols` columns: the largest power of two
// that divides cols, at most kTrellisMaxRotationBlock (1 for odd cols; 0 for
// cols == 0).
constexpr int64_t TrellisRotationBlock(int64_t cols) {
  if (cols <= 0) return 0;
  int64_t b = 1;
  while (b < kTrellisMaxRotationBlock && cols % (2 * b) == 0) b *= 2;
  return b;
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_TRELLIS_FORMAT_H_
