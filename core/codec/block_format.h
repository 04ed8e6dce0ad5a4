// The packed SeedLM block: bit layout and bit-stream packing.
//
// Freestanding (only <cstdint>/<cstddef>) so that the kernels, the FPGA host
// code and the RTL testbenches can share it. This header *is* the on-disk block
// layout; docs/FORMAT.md describes the same thing in words.
//
// A block of the codec (C, P, K, Q, E) occupies K + E + P*Q bits:
//   bits [0, K)                     seed s (unsigned, 1 .. 2^K - 1)
//   bits [K, K+E)                   exponent e (two's complement, E bits)
//   bits [K+E+p*Q, K+E+(p+1)*Q)     coefficient q_p (two's complement, Q bits)
// Blocks are concatenated without padding into a little-endian bit stream: bit
// n of the stream is bit (n % 8) of byte n / 8. Block i starts at bit
// i * (K + E + P*Q), so any block is addressable in O(1).
#ifndef SEEDLM_CORE_CODEC_BLOCK_FORMAT_H_
#define SEEDLM_CORE_CODEC_BLOCK_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace seedlm {

// Limits of the codec parameters (spec §1).
inline constexpr int kMaxC = 64;
inline constexpr int kMaxP = 8;
inline constexpr int kMinK = 2;
inline constexpr int kMaxK = 24;
inline constexpr int kMinQ = 2;
inline constexpr int kMaxQ = 8;
inline constexpr int kMaxE = 8;
// Largest block: 24 + 8 + 8 * 8 bits.
inline constexpr int kMaxBlockBits = kMaxK + kMaxE + kMaxP * kMaxQ;

// One decoded block: the seed, the exponent and P coefficients.
struct Block {
  uint32_t seed = 1;
  int8_t e = 0;
  int8_t q[kMaxP] = {0, 0, 0, 0, 0, 0, 0, 0};  // unused entries stay 0
};

inline bool operator==(const Block& a, const Block& b) {
  if (a.seed != b.seed || a.e != b.e) return false;
  for (int p = 0; p < kMaxP; ++p) {
    if (a.q[p] != b.q[p]) return false;
  }
  return true;
}
inline bool operator!=(const Block& a, const Block& b) { return !(a == b); }

// The field widths of a packed block.
struct BlockLayout {
  int K;  // seed bits
  int E;  // exponent bits (0: no exponent stored, e reads as 0)
  int P;  // coefficients
  int Q;  // bits per coefficient
  constexpr int bits() const { return K + E + P * Q; }
};

// The paper's presets (spec §1): exactly 4 and 3 bits per weight.
inline constexpr BlockLayout kLayout4Bit{16, 4, 3, 4};  // C = 8
inline constexpr BlockLayout kLayout3Bit{16, 4, 4, 4};  // C = 12
static_assert(kLayout4Bit.bits() == 32, "4bit preset: 32 bits per 8 weights");
static_assert(kLayout3Bit.bits() == 36, "3bit preset: 36 bits per 12 weights");
static_assert(kLayout4Bit.bits() == 4 * 8, "4.000 bits per weight");
static_assert(kLayout3Bit.bits() == 3 * 12, "3.000 bits per weight");
static_assert(kMaxBlockBits <= 96, "a block fits in 96 bits");

// Bytes needed for n blocks of `bits` bits each.
constexpr uint64_t PackedBytes(uint64_t n_blocks, int bits) {
  return (n_blocks * static_cast<uint64_t>(bits) + 7) / 8;
}

// Reads `nbits` (0..32) bits starting at bit `pos` of the stream.
inline uint32_t ReadBits(const uint8_t* data, uint64_t pos, int nbits) {
  uint64_t v = 0;
  int got = 0;
  while (got < nbits) {
    const uint64_t byte = pos >> 3;
    const int shift = static_cast<int>(pos & 7);
    int take = 8 - shift;
    if (take > nbits - got) take = nbits - got;
    const uint64_t chunk = (data[byte] >> shift) & ((1u << take) - 1u);
    v |= chunk << got;
    got += take;
    pos += static_cast<uint64_t>(take);
  }
  return static_cast<uint32_t>(v);
}

// Writes the low `nbits` (0..32) bits of `value` at bit `pos`; other bits of
// the touched bytes are preserved.
inline void WriteBits(uint8_t* data, uint64_t pos, int nbits, uint32_t value) {
  int put = 0;
  while (put < nbits) {
    const uint64_t byte = pos >> 3;
    const int shift = static_cast<int>(pos & 7);
    int take = 8 - shift;
    if (take > nbits - put) take = nbits - put;
    const uint32_t mask = ((1u << take) - 1u);
    const uint32_t chunk = (value >> put) & mask;
    data[byte] = static_cast<uint8_t>((data[byte] & ~(mask << shift)) |
                                      (chunk << shift));
    put += take;
    pos += static_cast<uint64_t>(take);
  }
}

// Sign-extends the low `nbits` bits of `v`.
constexpr int32_t SignExtend(uint32_t v, int nbits) {
  if (nbits == 0) return 0;
  const uint32_t m = 1u << (nbits - 1);
  v &= (nbits == 32) ? 0xFFFFFFFFu : ((1u << nbits) - 1u);
  return static_cast<int32_t>((v ^ m) - m);
}

// Packs block `index` of a stream. REQUIRES: fields fit their widths.
inline void PackBlock(const BlockLayout& l, const Block& b, uint8_t* data,
                      uint64_t index) {
  uint64_t pos = index * static_cast<uint64_t>(l.bits());
  WriteBits(data, pos, l.K, b.seed);
  pos += static_cast<uint64_t>(l.K);
  WriteBits(data, pos, l.E, static_cast<uint32_t>(b.e));
  pos += static_cast<uint64_t>(l.E);
  for (int p = 0; p < l.P && p < kMaxP; ++p) {
    WriteBits(data, pos, l.Q, static_cast<uint32_t>(b.q[p]));
    pos += static_cast<uint64_t>(l.Q);
  }
}

// Unpacks block `index` of a stream.
inline Block UnpackBlock(const BlockLayout& l, const uint8_t* data,
                         uint64_t index) {
  Block b;
  uint64_t pos = index * static_cast<uint64_t>(l.bits());
  b.seed = ReadBits(data, pos, l.K);
  pos += static_cast<uint64_t>(l.K);
  b.e = static_cast<int8_t>(SignExtend(ReadBits(data, pos, l.E), l.E));
  pos += static_cast<uint64_t>(l.E);
  for (int p = 0; p < l.P && p < kMaxP; ++p) {
    b.q[p] = static_cast<int8_t>(SignExtend(ReadBits(data, pos, l.Q), l.Q));
    pos += static_cast<uint64_t>(l.Q);
  }
  return b;
}

// UnpackBlock with one 128-bit window read instead of bit-by-bit reads; the
// same result. `size` is the stream's size in bytes: blocks whose window
// would read past it fall back to UnpackBlock. REQUIRES: the block lies
// within the stream.
inline Block UnpackBlockFast(const BlockLayout& l, const uint8_t* data,
                             uint64_t size, uint64_t index) {
  const uint64_t pos = index * static_cast<uint64_t>(l.bits());
  const uint64_t byte = pos >> 3;
  if (byte + 16 > size) return UnpackBlock(l, data, index);
  uint64_t lo, hi;
  std::memcpy(&lo, data + byte, 8);  // little-endian hosts only (x86, arm64)
  std::memcpy(&hi, data + byte + 8, 8);
  unsigned __int128 w = (static_cast<unsigned __int128>(hi) << 64) | lo;
  w >>= (pos & 7);
  auto take = [&w](int n) {
    const uint32_t v =
        static_cast<uint32_t>(w) & ((n >= 32 ? 0u : 1u << n) - 1u);
    w >>= n;
    return v;
  };
  Block b;
  b.seed = take(l.K);
  b.e = static_cast<int8_t>(SignExtend(take(l.E), l.E));
  for (int p = 0; p < l.P && p < kMaxP; ++p) {
    b.q[p] = static_cast<int8_t>(SignExtend(take(l.Q), l.Q));
  }
  return b;
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_BLOCK_FORMAT_H_
