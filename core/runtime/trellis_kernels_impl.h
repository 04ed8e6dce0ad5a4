// Internal: the x86 SIMD trellis kernels of trellis_kernels.h, written once
// and compiled twice: trellis_kernels_avx2.cc and trellis_kernels_avx512.cc,
// each of which first defines
//   constexpr int kGroup;        // weights decoded per step (8 or 16)
//   struct GroupDecoder {        // the per-R constants
//     explicit GroupDecoder(int R);
//     // out[k] = scale * (float)TrellisCode(state of lane k), k < kGroup,
//     // where lane k's 16 state bits start at bit (k + 1) * R of the
//     // MSB-first 16 bytes `bytes`.
//     void Decode(__m128i bytes, float scale, float* out) const;
//     // The same kGroup values w[k], then acc[k % 8] += w[k] * x[k] in k
//     // order (DotF32's lanes; batch 1 never stores the values).
//     void Accumulate(__m128i bytes, float scale, const float* x,
//                     __m256* acc) const;
//   };
// and then includes this file inside namespace seedlm::kernels::<isa>.
// REQUIRES (callers): TrellisFusedSupports(m.layout).
//
// Structure: rows in tiles of kTileRows. Group g of a ring (weights
// [g, g + kGroup), g a multiple of kGroup) reads the 16 bytes starting at
// ring byte g R / 8 - 2, in place: only group 0's windows wrap (R >= 2), so
// its first two bytes are replaced by the ring's last 16 bits (tail-biting);
// the bytes before a ring are the previous ring's or the row's scale, and
// the bytes after it the next ring's or row's (the matrix's last row is
// copied into a padded buffer, so no load leaves the payload). Lanes past a
// ring's used weights are never accumulated. Batch 1 accumulates in
// registers; a batch decodes a chunk of kChunk weights per tile row into
// float32 (L1) and multiplies it into every batch element's DotF32 lanes
// (lane c % 8 takes column c: rings start at multiples of T, a multiple of
// 16).

// The including file provides <immintrin.h>, <algorithm>, <cstring>,
// <vector>, core/codec/trellis.h and core/runtime/trellis_kernels.h.

constexpr int kTileRows = 4;
constexpr int kChunk = 256;  // weights decoded per tile row and pass

// The 16 bytes of group g of a ring (see above); `last16` is the ring's last
// 16 bits, byte-swapped (first stream byte in the low byte).
inline __m128i GroupBytes(const uint8_t* ring, int64_t g, int R, int last16) {
  const __m128i v =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(ring + (g * R / 8 - 2)));
  return g == 0 ? _mm_insert_epi16(v, last16, 0) : v;
}

// The ring's last 16 bits (stored length n) as GroupBytes wants them.
inline int Last16(const uint8_t* ring, int64_t n, int R) {
  const uint64_t pos = static_cast<uint64_t>(n) * R - 16;
  const uint64_t first = pos >> 3;
  const int off = static_cast<int>(pos & 7);
  uint32_t w = (uint32_t{ring[first]} << 16) | (uint32_t{ring[first + 1]} << 8);
  if (off != 0) w |= ring[first + 2];  // only then is a third byte in the ring
  const uint32_t s = (w >> (8 - off)) & 0xFFFFu;
  return static_cast<int>((s >> 8) | ((s & 0xFFu) << 8));
}

inline float CombineLanes(const float* s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// acc[i * 8 + (k % 8)] += w[i][k] * x[k] for k < n, in k order, rows i < nr
// (w[i] = wbuf + i * stride). Lane k % 8 takes term k (the chunk starts at a
// multiple of 8 columns), so this continues DotF32's lanes.
inline void DotChunk(const float* wbuf, int64_t stride, int nr, const float* x,
                     int64_t n, float* acc) {
  const int64_t nv = n & ~int64_t{7};
  if (nr == kTileRows) {
    __m256 a0 = _mm256_loadu_ps(acc), a1 = _mm256_loadu_ps(acc + 8);
    __m256 a2 = _mm256_loadu_ps(acc + 16), a3 = _mm256_loadu_ps(acc + 24);
    const float *w0 = wbuf, *w1 = wbuf + stride, *w2 = wbuf + 2 * stride,
                *w3 = wbuf + 3 * stride;
    for (int64_t k = 0; k < nv; k += 8) {
      const __m256 xv = _mm256_loadu_ps(x + k);
      a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(w0 + k), xv));
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(w1 + k), xv));
      a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(w2 + k), xv));
      a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(w3 + k), xv));
    }
    _mm256_storeu_ps(acc, a0);
    _mm256_storeu_ps(acc + 8, a1);
    _mm256_storeu_ps(acc + 16, a2);
    _mm256_storeu_ps(acc + 24, a3);
  } else {
    for (int i = 0; i < nr; ++i) {
      __m256 a = _mm256_loadu_ps(acc + i * 8);
      const float* w = wbuf + i * stride;
      for (int64_t k = 0; k < nv; k += 8) {
        a = _mm256_add_ps(
            a, _mm256_mul_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(x + k)));
      }
      _mm256_storeu_ps(acc + i * 8, a);
    }
  }
  for (int i = 0; i < nr; ++i) {  // DotF32's tail: lane j takes term nv + j
    const float* w = wbuf + i * stride + nv;
    for (int64_t j = 0; j < n - nv; ++j) {
      acc[i * 8 + j] = acc[i * 8 + j] + w[j] * x[nv + j];
    }
  }
}

// Batch 1, rows [r0, r0 + NR) of one ring (`valid` weights used):
// acc_mem[8 i..] holds row i's DotF32 lanes. The last valid % kGroup
// weights go through wbuf and DotChunk.
template <int NR>
inline void FusedRing(const GroupDecoder& dec, const uint8_t* const* ring,
                      const int* last16, const float* scale, int R,
                      const float* x, int64_t valid, float* wbuf,
                      float* acc_mem) {
  const int64_t whole = valid & ~int64_t{kGroup - 1};
  __m256 acc[NR];
  for (int i = 0; i < NR; ++i) acc[i] = _mm256_loadu_ps(acc_mem + 8 * i);
  if (whole > 0) {
    for (int i = 0; i < NR; ++i) {
      dec.Accumulate(GroupBytes(ring[i], 0, R, last16[i]), scale[i], x,
                     &acc[i]);
    }
  }
  for (int64_t g = kGroup; g < whole; g += kGroup) {
    for (int i = 0; i < NR; ++i) {
      const __m128i v = _mm_loadu_si128(
          reinterpret_cast<const __m128i*>(ring[i] + (g * R / 8 - 2)));
      dec.Accumulate(v, scale[i], x + g, &acc[i]);
    }
  }
  for (int i = 0; i < NR; ++i) _mm256_storeu_ps(acc_mem + 8 * i, acc[i]);
  if (whole == valid) return;
  constexpr int64_t kStride = kChunk + 16;
  for (int i = 0; i < NR; ++i) {
    dec.Decode(GroupBytes(ring[i], whole, R, last16[i]), scale[i],
               wbuf + i * kStride);
  }
  DotChunk(wbuf, kStride, NR, x + whole, valid - whole, acc_mem);
}

// Rows [r0, r0 + nr) (row i's bytes at rows[i]) for every batch element:
// acc[(b * kTileRows + i) * 8] holds row r0 + i's DotF32 lanes for x_b on
// return.
inline void TrellisTile(const TrellisView& m, const GroupDecoder& dec,
                        const uint8_t* const* rows, int nr, const float* x,
                        int64_t batch, float* wbuf, float* acc) {
  const TrellisLayout& l = m.layout;
  const int64_t rings = TrellisRingsPerRow(l, m.cols);
  const uint64_t ring_bytes = static_cast<uint64_t>(l.T) * l.R / 8;
  constexpr int64_t kStride = kChunk + 16;
  float scale[kTileRows];
  for (int i = 0; i < nr; ++i) scale[i] = TrellisStoredScale(rows[i]);
  std::fill_n(acc, batch * kTileRows * 8, 0.0f);
  for (int64_t j = 0; j < rings; ++j) {
    const int64_t n = TrellisRingLength(l, m.cols, j);
    const int64_t valid = std::min<int64_t>(n, m.cols - j * l.T);
    const uint8_t* ring[kTileRows];
    int last16[kTileRows];
    for (int i = 0; i < nr; ++i) {
      ring[i] = rows[i] + kTrellisScaleBytes + j * ring_bytes;
      last16[i] = Last16(ring[i], n, l.R);
    }
    if (batch == 1) {
      const float* xj = x + j * l.T;
      if (nr == kTileRows) {
        FusedRing<kTileRows>(dec, ring, last16, scale, l.R, xj, valid, wbuf,
                             acc);
      } else {
        for (int i = 0; i < nr; ++i) {
          FusedRing<1>(dec, ring + i, last16 + i, scale + i, l.R, xj, valid,
                       wbuf, acc + 8 * i);
        }
      }
      continue;
    }
    for (int64_t c0 = 0; c0 < valid; c0 += kChunk) {
      const int64_t cn = std::min<int64_t>(kChunk, valid - c0);
      for (int i = 0; i < nr; ++i) {
        float* w = wbuf + i * kStride;
        for (int64_t g = 0; g < cn; g += kGroup) {
          dec.Decode(GroupBytes(ring[i], c0 + g, l.R, last16[i]), scale[i],
                     w + g);
        }
      }
      for (int64_t b = 0; b < batch; ++b) {
        DotChunk(wbuf, kStride, nr, x + b * m.cols + j * l.T + c0, cn,
                 acc + b * kTileRows * 8);
      }
    }
  }
}

void TrellisRowsImpl(const TrellisView& m, const float* x, int64_t batch,
                     int64_t row_begin, int64_t row_end, float* y,
                     int64_t ldy) {
  const GroupDecoder dec(m.layout.R);
  // The matrix's last rows, copied with zero padding: a row's last groups
  // read up to 16 bytes past its end, which for short rows reaches past the
  // payload from any of the last 16 / row_bytes + 1 rows. Rows before
  // `tail_first` read only bytes inside the payload.
  const int64_t tail_rows =
      std::min<int64_t>(m.rows, 16 / static_cast<int64_t>(m.row_bytes) + 2);
  const int64_t tail_first = m.rows - tail_rows;
  std::vector<uint8_t> tail;
  if (row_end > tail_first && row_end > row_begin) {
    tail.assign(tail_rows * m.row_bytes + 32, 0);
    std::memcpy(tail.data(), m.data + tail_first * m.row_bytes,
                tail_rows * m.row_bytes);
  }
  alignas(64) float wbuf[kTileRows * (kChunk + 16)];
  std::vector<float> acc(static_cast<size_t>(batch * kTileRows * 8));
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kTileRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kTileRows, row_end - r0));
    const uint8_t* rows[kTileRows];
    for (int i = 0; i < nr; ++i) {
      rows[i] = r0 + i >= tail_first
                    ? tail.data() + (r0 + i - tail_first) * m.row_bytes
                    : m.data + (r0 + i) * m.row_bytes;
    }
    TrellisTile(m, dec, rows, nr, x, batch, wbuf, acc.data());
    for (int64_t b = 0; b < batch; ++b) {
      for (int i = 0; i < nr; ++i) {
        y[b * ldy + (r0 - row_begin) + i] =
            CombineLanes(&acc[(b * kTileRows + i) * 8]);
      }
    }
  }
}
