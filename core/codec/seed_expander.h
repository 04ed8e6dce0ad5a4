// Spec §9: a seed's whole matrix from small tables, without stepping the LFSR.
//
// The LFSR is linear over GF(2), so the raw entries of a seed (the K-bit
// states for the paper's matrices, the top bytes of every 8th state for
// `i8`) are the XOR of the raw entries of its 8-bit chunks:
//   raw(s) = T[0][s & 0xFF] ^ T[1][(s >> 8) & 0xFF] ^ ...   (ceil(K/8) chunks)
// and the centred matrix follows by flipping the top bit and reading the
// result as a signed number (V - 2^(K-1) = signed(V ^ 2^(K-1)); S8 - 128 =
// int8(byte ^ 0x80)). Tables: ceil(K/8) x 256 x C*P uint32 (48 KiB for the
// 4bit preset, 96 KiB for 3bit).
//
// Expand() equals SeedMatrix() for every valid seed (tested exhaustively for
// the presets). Thread-safety: immutable after construction.
#ifndef SEEDLM_CORE_CODEC_SEED_EXPANDER_H_
#define SEEDLM_CORE_CODEC_SEED_EXPANDER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/codec/codec.h"

namespace seedlm {

class SeedExpander {
 public:
  // REQUIRES: config.Validate().ok().
  explicit SeedExpander(const CodecConfig& config);

  // A shared expander per (C, P, K, variant), built on first use and freed
  // when unused (core/util/shared_cache.h; a few recent ones are retained).
  // Thread-safe.
  static std::shared_ptr<const SeedExpander> Get(const CodecConfig& config);

  // out[c * P + p] = M[c][p] of `seed` (spec §3/§8), as SeedMatrix.
  // REQUIRES: 1 <= seed <= num_seeds(); out holds C * P entries.
  void Expand(uint32_t seed, int32_t* out) const {
    uint32_t raw[kMaxC * kMaxP];  // uninitialised: every entry is set below
    const uint32_t* t0 = &table_[(seed & 0xFFu) * cp_];
    for (int j = 0; j < cp_; ++j) raw[j] = t0[j];
    for (int k = 1; k < chunks_; ++k) {
      const uint32_t* t =
          &table_[((k << 8) + ((seed >> (8 * k)) & 0xFFu)) * cp_];
      for (int j = 0; j < cp_; ++j) raw[j] ^= t[j];
    }
    for (int j = 0; j < cp_; ++j) {
      out[j] = static_cast<int32_t>((raw[j] ^ flip_) << shift_) >> shift_;
    }
  }

  int entries() const { return cp_; }
  // Heap bytes of the tables.
  size_t MemoryBytes() const { return table_.size() * sizeof(uint32_t); }

 private:
  int cp_;
  int chunks_;
  uint32_t flip_;                // the top bit of an entry
  int shift_;                    // 32 - entry bits: sign extension by shifts
  std::vector<uint32_t> table_;  // [chunk][byte][entry]
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_SEED_EXPANDER_H_
