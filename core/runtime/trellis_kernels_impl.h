// Internal: the x86 SIMD trellis kernels of trellis_kernels.h, written once
// and compiled twice: trellis_kernels_avx2.cc and trellis_kernels_avx512.cc,
// each of which first defines
//   constexpr int kGroup;        // weights decoded per step (8 or 16)
//   struct GroupDecoder {        // the per-R constants
//     explicit GroupDecoder(int R);
//     // out[k] = scale * (float)TrellisCode(state of lane k), k < kGroup,
//     // where lane k's 16 state bits start at bit (k + 1) * R of the
//     // MSB-first bytes p[0..15].
//     void Decode(const uint8_t* p, float scale, float* out) const;
//   };
// and then includes this file inside namespace seedlm::kernels::<isa>.
// REQUIRES (callers): TrellisFusedSupports(m.layout).
//
// Structure: rows in tiles of kTileRows; each row's ring is copied behind
// the ring's last 16 bits (so that weight i's state window starts at buffer
// bit i * R + R, tail-biting included, and loads past the ring's end stay in
// the buffer); a chunk of kChunk weights per tile row is decoded into float32
// (L1) and then multiplied into every batch element's DotF32 lanes (lane
// c % 8 takes column c: rings start at multiples of T, a multiple of 16).

// The including file provides <immintrin.h>, <algorithm>, <cstring>,
// <vector>, core/codec/trellis.h and core/runtime/trellis_kernels.h.

constexpr int kTileRows = 4;
constexpr int kChunk = 256;  // weights decoded per tile row and pass

// Copies ring bytes [0, ceil(bits / 8)) to buf + 2 behind the ring's last 16
// bits (two bytes, MSB-first), zero-filling 16 bytes past them. REQUIRES:
// bits >= 16; buf holds ceil(bits / 8) + 18 bytes.
inline void FillRing(const uint8_t* ring, uint64_t bits, uint8_t* buf) {
  const uint64_t pos = bits - 16;
  const uint64_t first = pos >> 3;
  const int off = static_cast<int>(pos & 7);
  uint32_t w = (uint32_t{ring[first]} << 16) | (uint32_t{ring[first + 1]} << 8);
  if (off != 0) w |= ring[first + 2];  // only then is a third byte in the ring
  const uint32_t last16 = (w >> (8 - off)) & 0xFFFFu;
  buf[0] = static_cast<uint8_t>(last16 >> 8);
  buf[1] = static_cast<uint8_t>(last16);
  const uint64_t nbytes = (bits + 7) / 8;
  std::memcpy(buf + 2, ring, nbytes);
  std::memset(buf + 2 + nbytes, 0, 16);
}

inline float CombineLanes(const float* s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

// acc[i * 8 + (k % 8)] += w[i][k] * x[k] for k < n, in k order, rows i < nr
// (w[i] = wbuf + i * stride). Lane k % 8 takes term k (the chunk starts at a
// multiple of 8 columns), so this continues DotF32's lanes.
inline void DotChunk(const float* wbuf, int64_t stride, int nr,
                     const float* x, int64_t n, float* acc) {
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

// Rows [r0, r0 + nr) for every batch element: acc[(b * kTileRows + i) * 8]
// holds row r0 + i's DotF32 lanes for x_b on return. `rbuf` holds
// kTileRows ring buffers of `ring_cap` bytes.
inline void TrellisTile(const TrellisView& m, const GroupDecoder& dec,
                        int64_t r0, int nr, const float* x, int64_t batch,
                        uint8_t* rbuf, uint64_t ring_cap, float* wbuf,
                        float* acc) {
  const TrellisLayout& l = m.layout;
  const int64_t rings = TrellisRingsPerRow(l, m.cols);
  const uint64_t ring_bytes = static_cast<uint64_t>(l.T) * l.R / 8;
  constexpr int64_t kStride = kChunk + 16;
  float scale[kTileRows];
  const uint8_t* stream[kTileRows];
  for (int i = 0; i < nr; ++i) {
    const uint8_t* row = m.data + static_cast<uint64_t>(r0 + i) * m.row_bytes;
    scale[i] = TrellisStoredScale(row);
    stream[i] = row + kTrellisScaleBytes;
  }
  std::fill_n(acc, batch * kTileRows * 8, 0.0f);
  for (int64_t j = 0; j < rings; ++j) {
    const int64_t n = TrellisRingLength(l, m.cols, j);
    const int64_t valid = std::min<int64_t>(n, m.cols - j * l.T);
    const uint64_t bits = static_cast<uint64_t>(n) * l.R;
    for (int i = 0; i < nr; ++i) {
      FillRing(stream[i] + j * ring_bytes, bits, rbuf + i * ring_cap);
    }
    for (int64_t c0 = 0; c0 < valid; c0 += kChunk) {
      const int64_t cn = std::min<int64_t>(kChunk, valid - c0);
      for (int i = 0; i < nr; ++i) {
        const uint8_t* buf = rbuf + i * ring_cap;
        float* w = wbuf + i * kStride;
        for (int64_t g = 0; g < cn; g += kGroup) {
          dec.Decode(buf + (c0 + g) * l.R / 8, scale[i], w + g);
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
  const TrellisLayout& l = m.layout;
  const GroupDecoder dec(l.R);
  const uint64_t ring_cap = static_cast<uint64_t>(l.T) * l.R / 8 + 32;
  std::vector<uint8_t> rbuf(kTileRows * ring_cap);
  alignas(64) float wbuf[kTileRows * (kChunk + 16)];
  std::vector<float> acc(static_cast<size_t>(batch * kTileRows * 8));
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kTileRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kTileRows, row_end - r0));
    TrellisTile(m, dec, r0, nr, x, batch, rbuf.data(), ring_cap, wbuf,
                acc.data());
    for (int64_t b = 0; b < batch; ++b) {
      for (int i = 0; i < nr; ++i) {
        y[b * ldy + (r0 - row_begin) + i] =
            CombineLanes(&acc[(b * kTileRows + i) * 8]);
      }
    }
  }
}
