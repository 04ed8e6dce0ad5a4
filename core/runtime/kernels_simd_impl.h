// Internal: the x86 SIMD kernels of kernels.h, written once with 256-bit
// intrinsics and compiled twice: kernels_avx2.cc (AVX2 + FMA + BMI2) and
// kernels_avx512.cc (adds AVX-512 VL/BW/VNNI: one vpdpbusd instead of
// vpmaddubsw + vpmaddwd for the `i8` entries). Include only from those files,
// inside namespace seedlm::kernels::<isa>.
//
// Numerics are those of kernels.h: the float32 products and sums are the
// same operations, in the same order, as DotF32 (8 lanes, a lane per
// accumulator register), and packed blocks decode through exact integer
// arithmetic followed by the one float multiply of spec §4.
//
// Structure: rows are processed in tiles of kTileRows (independent add
// chains), columns in chunks that fit L1; a packed tile's chunk is decoded
// to float32 once and then used for every batch element.

// The including file provides <immintrin.h>, <algorithm>, <cstring>,
// core/codec/block_format.h and core/runtime/kernels.h (this file is
// textually included inside a namespace, so it includes nothing itself).

constexpr int kTileRows = 4;
constexpr int kBatchGroup = 16;  // accumulators on the stack per pass
constexpr int kMaxChunk = 512;   // columns decoded per tile row and pass

inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline float Widen(float v) { return v; }
inline float Widen(uint16_t v) {
  const uint32_t u = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// acc[i * 8 + j] += w[i][k] * x[k] over k < n with k % 8 == j, in order.
// REQUIRES: n % 8 == 0.
template <typename T>
inline void DotTile(const T* const* w, const float* x, int64_t n, float* acc) {
  __m256 a0 = _mm256_loadu_ps(acc), a1 = _mm256_loadu_ps(acc + 8);
  __m256 a2 = _mm256_loadu_ps(acc + 16), a3 = _mm256_loadu_ps(acc + 24);
  const T *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  for (int64_t k = 0; k < n; k += 8) {
    const __m256 xv = _mm256_loadu_ps(x + k);
    a0 = _mm256_add_ps(a0, _mm256_mul_ps(Load8(w0 + k), xv));
    a1 = _mm256_add_ps(a1, _mm256_mul_ps(Load8(w1 + k), xv));
    a2 = _mm256_add_ps(a2, _mm256_mul_ps(Load8(w2 + k), xv));
    a3 = _mm256_add_ps(a3, _mm256_mul_ps(Load8(w3 + k), xv));
  }
  _mm256_storeu_ps(acc, a0);
  _mm256_storeu_ps(acc + 8, a1);
  _mm256_storeu_ps(acc + 16, a2);
  _mm256_storeu_ps(acc + 24, a3);
}

// The last n < 8 terms, lane j taking term j (DotF32's tail).
template <typename T>
inline void DotTail(const T* const* w, const float* x, int64_t n, float* acc) {
  for (int i = 0; i < kTileRows; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      acc[i * 8 + j] = acc[i * 8 + j] + Widen(w[i][j]) * x[j];
    }
  }
}

inline float Combine(const float* s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// Runs the dot products of one tile: rows rows[0..3] (pointers at column
// c0), columns [c0, c0 + n), for batch elements [b0, b0 + nb). `last`: this
// chunk ends the row, and its n % 8 trailing columns are the DotF32 tail.
template <typename T>
inline void TileDots(const T* const* rows, const float* x, int64_t cols,
                     int64_t c0, int64_t n, bool last, int64_t b0, int nb,
                     float* acc) {
  const int64_t nv = last ? (n & ~int64_t{7}) : n;
  const T* tail[kTileRows];
  for (int i = 0; i < kTileRows; ++i) tail[i] = rows[i] + nv;
  for (int b = 0; b < nb; ++b) {
    const float* xb = x + (b0 + b) * cols + c0;
    DotTile(rows, xb, nv, acc + b * kTileRows * 8);
    if (n > nv) DotTail(tail, xb + nv, n - nv, acc + b * kTileRows * 8);
  }
}

inline void StoreTile(const float* acc, int nb, int nr, int64_t b0,
                      int64_t row_off, float* y, int64_t ldy) {
  for (int b = 0; b < nb; ++b) {
    for (int i = 0; i < nr; ++i) {
      y[(b0 + b) * ldy + row_off + i] = Combine(acc + (b * kTileRows + i) * 8);
    }
  }
}

template <typename T>
void DenseRows(const T* w, int64_t cols, const float* x, int64_t batch,
               int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  alignas(32) float acc[kBatchGroup * kTileRows * 8];
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kTileRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kTileRows, row_end - r0));
    for (int64_t b0 = 0; b0 < batch; b0 += kBatchGroup) {
      const int nb =
          static_cast<int>(std::min<int64_t>(kBatchGroup, batch - b0));
      std::fill_n(acc, nb * kTileRows * 8, 0.0f);
      for (int64_t c0 = 0; c0 < cols; c0 += kMaxChunk) {
        const int64_t n = std::min<int64_t>(kMaxChunk, cols - c0);
        const T* rows[kTileRows];
        for (int i = 0; i < kTileRows; ++i) {
          rows[i] = w + (r0 + std::min(i, nr - 1)) * cols + c0;
        }
        TileDots(rows, x, cols, c0, n, c0 + n == cols, b0, nb, acc);
      }
      StoreTile(acc, nb, nr, b0, r0 - row_begin, y, ldy);
    }
  }
}

// --- Packed blocks ---

// sum_k a_k * b_k over each 4-byte group, a unsigned, b signed, into int32.
// REQUIRES (AVX2 form): each pair of products fits int16.
inline __m256i DotBytes(__m256i a_u8, __m256i b_s8) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), a_u8, b_s8);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(a_u8, b_s8),
                           _mm256_set1_epi16(1));
#endif
}

// The constants of one codec's field extraction.
struct BlockFields {
  int bits, E, C;
  uint32_t e_mask;
  uint64_t q_mask;   // P * Q bits
  uint64_t deposit;  // pdep mask: Q bits per byte (i8) / int16 (paper)
  uint64_t sign;     // the top bit of every deposited field
  uint64_t extend;   // multiplier that copies a sign bit over the lane
  uint32_t offset8;  // i8: 2^(Q-1) in every used byte
};

inline BlockFields MakeFields(const CodecConfig& c) {
  BlockFields f;
  f.bits = c.bits_per_block();
  f.E = c.E;
  f.C = c.C;
  f.e_mask = (1u << c.E) - 1u;
  f.q_mask = (uint64_t{1} << (c.P * c.Q)) - 1u;
  const int lane = c.variant == Variant::kI8 ? 8 : 16;
  f.deposit = f.sign = 0;
  f.offset8 = 0;
  for (int p = 0; p < c.P; ++p) {
    f.deposit |= ((uint64_t{1} << c.Q) - 1u) << (lane * p);
    f.sign |= uint64_t{1} << (lane * p + c.Q - 1);
    if (lane == 8) f.offset8 |= 1u << (8 * p + c.Q - 1);
  }
  f.extend = ((uint64_t{1} << lane) - (uint64_t{1} << c.Q)) >> (c.Q - 1);
  return f;
}

// The 16 + E + P*Q bits of block `index`, starting at bit 0.
inline uint64_t BlockWord(const PackedView& m, const BlockFields& f,
                          uint64_t index) {
  const uint64_t pos = index * static_cast<uint64_t>(f.bits);
  const uint64_t byte = pos >> 3;
  if (byte + 8 <= m.size) {
    uint64_t w;
    std::memcpy(&w, m.data + byte, 8);
    return w >> (pos & 7);
  }
  const int lo = std::min(f.bits, 32);
  uint64_t w = ReadBits(m.data, pos, lo);
  if (f.bits > 32) w |= uint64_t{ReadBits(m.data, pos + 32, f.bits - 32)} << 32;
  return w;
}

// Decodes blocks [b0, b1) of row r into out (C floats per block; up to
// cpad - C floats past the last block are overwritten with junk).
template <bool kI8, int kCpad>
void DecodeBlocks(const PackedView& m, const BlockFields& f, int64_t r,
                  int64_t b0, int64_t b1, float* out) {
  const PackedTables& t = *m.tables;
  const int rw = t.row_words();
  const uint32_t* tlo = t.lo();
  const uint32_t* thi = t.hi();
  const uint64_t first = static_cast<uint64_t>(r * m.blocks_per_row + b0);
  for (int64_t b = b0; b < b1; ++b, out += f.C) {
    const uint64_t w = BlockWord(m, f, first + static_cast<uint64_t>(b - b0));
    const uint32_t* lo = tlo + (w & 0xFF) * rw;
    const uint32_t* hi = thi + ((w >> 8) & 0xFF) * rw;
    const __m256 scale = _mm256_set1_ps(m.field_scale[(w >> 16) & f.e_mask]);
    const uint64_t qf = (w >> (16 + f.E)) & f.q_mask;
    auto row = [&](int h) {  // 8 columns starting at column 8h
      const __m256i* L = reinterpret_cast<const __m256i*>(lo) + h;
      const __m256i* H = reinterpret_cast<const __m256i*>(hi) + h;
      if (kI8) {
        // sum_p M q = sum_p M (q + 2^(Q-1)) - sum_p M 2^(Q-1).
        const uint32_t u =
            static_cast<uint32_t>(_pdep_u64(qf, f.deposit)) ^ f.offset8;
        const __m256i mm =
            _mm256_xor_si256(_mm256_loadu_si256(L), _mm256_loadu_si256(H));
        return _mm256_sub_epi32(
            DotBytes(_mm256_set1_epi32(static_cast<int>(u)), mm),
            DotBytes(_mm256_set1_epi32(static_cast<int>(f.offset8)), mm));
      }
      const uint64_t x = _pdep_u64(qf, f.deposit);
      const uint64_t q16 = x | ((x & f.sign) * f.extend);
      const __m256i a =
          _mm256_xor_si256(_mm256_loadu_si256(L), _mm256_loadu_si256(H));
      const __m256i c = _mm256_xor_si256(_mm256_loadu_si256(L + kCpad / 8),
                                         _mm256_loadu_si256(H + kCpad / 8));
      return _mm256_add_epi32(
          _mm256_madd_epi16(a, _mm256_set1_epi32(static_cast<int>(q16))),
          _mm256_madd_epi16(c, _mm256_set1_epi32(static_cast<int>(q16 >> 32))));
    };
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(row(0)), scale));
    if (kCpad == 16) {
      _mm256_storeu_ps(out + 8,
                       _mm256_mul_ps(_mm256_cvtepi32_ps(row(1)), scale));
    }
  }
}

template <bool kI8, int kCpad>
void PackedRowsT(const PackedView& m, const float* x, int64_t batch,
                 int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  const BlockFields f = MakeFields(m.codec);
  const int C = m.codec.C;
  const int64_t chunk_blocks = 8 * std::max(1, (kMaxChunk / 8) / C);
  alignas(32) float buf[kTileRows][kMaxChunk + 16];
  alignas(32) float acc[kBatchGroup * kTileRows * 8];
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kTileRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kTileRows, row_end - r0));
    const float* rows[kTileRows];
    for (int i = 0; i < kTileRows; ++i) rows[i] = buf[std::min(i, nr - 1)];
    for (int64_t b0 = 0; b0 < batch; b0 += kBatchGroup) {
      const int nb =
          static_cast<int>(std::min<int64_t>(kBatchGroup, batch - b0));
      std::fill_n(acc, nb * kTileRows * 8, 0.0f);
      for (int64_t k0 = 0; k0 < m.blocks_per_row; k0 += chunk_blocks) {
        const int64_t k1 = std::min(m.blocks_per_row, k0 + chunk_blocks);
        for (int i = 0; i < nr; ++i) {
          DecodeBlocks<kI8, kCpad>(m, f, r0 + i, k0, k1, buf[i]);
        }
        const int64_t c0 = k0 * C;
        const int64_t n = std::min(m.cols, k1 * C) - c0;
        TileDots(rows, x, m.cols, c0, n, k1 == m.blocks_per_row, b0, nb, acc);
      }
      StoreTile(acc, nb, nr, b0, r0 - row_begin, y, ldy);
    }
  }
}

inline void PackedRowsDispatch(const PackedView& m, const float* x,
                               int64_t batch, int64_t row_begin,
                               int64_t row_end, float* y, int64_t ldy) {
  const bool i8 = m.codec.variant == Variant::kI8;
  if (m.tables->cpad() == 8) {
    (i8 ? PackedRowsT<true, 8> : PackedRowsT<false, 8>)(m, x, batch, row_begin,
                                                        row_end, y, ldy);
  } else {
    (i8 ? PackedRowsT<true, 16>
        : PackedRowsT<false, 16>)(m, x, batch, row_begin, row_end, y, ldy);
  }
}
