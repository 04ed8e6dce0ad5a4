// Internal: the SIMD versions of the fused i8 kernel (kernels.h), written
// once with 256-bit intrinsics and compiled by kernels_avx2.cc and
// kernels_avx512.cc (where DotBytes is one vpdpbusd). Include only from those
// files, after kernels_simd_impl.h, inside namespace seedlm::kernels::<isa>.
//
// Structure: a tile of kR rows x kG batch vectors; per group of 16 blocks of
// each row, a prepass turns the block words into coefficient byte patterns
// (q_0..q_3 as signed bytes), scales and the group's correction terms
// (vectorised, 8 blocks per register); then every block costs two table loads
// and an XOR (spec §9), one byte dot product against its pattern, a convert,
// (a scale multiply when E > 0) and one FMA per batch vector. The float
// operations are those of FusedRowsReference, in the same order.

struct FusedGroup {
  alignas(32) int32_t pat[fused::kGroup];
  alignas(32) uint32_t off[fused::kGroup];  // byte offsets: lo | hi << 16
  alignas(32) float scale[fused::kGroup];
  __m256 cq[2];  // (float)sq (* scale) of blocks 0..7 and 8..15
};

struct FusedConsts {
  __m256i dup, odd, pmask, sext, ones;
  __m256 scale_lo, scale_hi;  // field_scale[0..7], [8..15] (E = 4)
};

inline FusedConsts MakeFusedConsts(const PackedView& m) {
  FusedConsts k;
  k.dup = _mm256_setr_epi8(0, 0, 1, 1, 4, 4, 5, 5, 8, 8, 9, 9, 12, 12, 13, 13,
                           0, 0, 1, 1, 4, 4, 5, 5, 8, 8, 9, 9, 12, 12, 13, 13);
  k.odd = _mm256_set1_epi16(static_cast<int16_t>(0xFF00));
  const uint32_t used =
      m.codec.P >= 4 ? 0x0F0F0F0Fu : (1u << (8 * m.codec.P)) / 0xFF * 0x0F;
  k.pmask = _mm256_set1_epi32(static_cast<int>(used));
  k.sext =
      _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1,
                       0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
  k.ones = _mm256_set1_epi8(1);
  float s[16] = {};
  for (int i = 0; i < (1 << m.codec.E) && i < 16; ++i) s[i] = m.field_scale[i];
  k.scale_lo = _mm256_loadu_ps(s);
  k.scale_hi = _mm256_loadu_ps(s + 8);
  return k;
}

// Fills g from the n <= 16 block words at `words` (the rest padded with 0).
template <bool kE0>
inline void FusedPrepass(const FusedConsts& k, const uint8_t* words, int n,
                         FusedGroup* g) {
  alignas(32) uint32_t tail[fused::kGroup];
  if (n < fused::kGroup) {
    std::fill_n(tail, fused::kGroup, 0u);
    std::memcpy(tail, words, static_cast<size_t>(n) * 4);
    words = reinterpret_cast<const uint8_t*>(tail);
  }
#pragma GCC unroll 8
  for (int h = 0; h < 2; ++h) {
    const __m256i v =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(words) + h);
    // q_0..q_3 nibbles -> bytes: duplicate the two q bytes, shift the odd
    // copies down a nibble, keep the low nibbles, sign-extend by table.
    const __m256i q = _mm256_srli_epi32(v, kE0 ? 16 : 20);
    __m256i t = _mm256_shuffle_epi8(q, k.dup);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    t = _mm256_mask_blend_epi8(0xAAAAAAAAu, t, _mm256_srli_epi16(t, 4));
#else
    t = _mm256_blendv_epi8(t, _mm256_srli_epi16(t, 4), k.odd);
#endif
    const __m256i pat =
        _mm256_shuffle_epi8(k.sext, _mm256_and_si256(t, k.pmask));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g->pat) + h, pat);
    // Table row offsets in bytes (32 per seed byte): lo | hi << 16.
    const __m256i off = _mm256_or_si256(
        _mm256_and_si256(_mm256_slli_epi32(v, 5), _mm256_set1_epi32(0x1FE0)),
        _mm256_and_si256(_mm256_slli_epi32(v, 13),
                         _mm256_set1_epi32(0x1FE00000)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g->off) + h, off);
    __m256 cq = _mm256_cvtepi32_ps(DotBytes(k.ones, pat));
    if (!kE0) {
      const __m256i idx = _mm256_srli_epi32(v, 16);
#if defined(__AVX512F__) && defined(__AVX512VL__)
      const __m256 sc = _mm256_permutex2var_ps(k.scale_lo, idx, k.scale_hi);
#else
      const __m256 sc =
          _mm256_blendv_ps(_mm256_permutevar8x32_ps(k.scale_lo, idx),
                           _mm256_permutevar8x32_ps(k.scale_hi, idx),
                           _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
#endif
      _mm256_store_ps(g->scale + 8 * h, sc);
      cq = _mm256_mul_ps(cq, sc);
    }
    g->cq[h] = cq;
  }
}

// Rows [r0, r0 + kR) x batch vectors b0 + [0, kG) (vectors past `nb` repeat
// the last one; their results are dropped).
template <int kR, int kG, bool kE0>
void FusedTile(const PackedView& m, const FusedConsts& k, const float* xp,
               const float* sx, int64_t r0, int64_t b0, int nb, float* y,
               int64_t ldy, int64_t row_begin) {
  const int64_t bpr = m.blocks_per_row;
  const int64_t groups = (bpr + fused::kGroup - 1) / fused::kGroup;
  const char* tlo = reinterpret_cast<const char*>(m.raw_tables->lo());
  const char* thi = reinterpret_cast<const char*>(m.raw_tables->hi());
  const float* xb[kG];
  const float* sb[kG];
#pragma GCC unroll 8
  for (int g = 0; g < kG; ++g) {
    const int64_t b = b0 + std::min(g, nb - 1);
    xb[g] = xp + b * bpr * 8;
    sb[g] = sx + b * groups * fused::kGroup;
  }
  const uint8_t* words[kR];
#pragma GCC unroll 8
  for (int i = 0; i < kR; ++i) words[i] = m.data + 4 * (r0 + i) * bpr;
  __m256 acc[kR][kG], corr[kR][kG][2];
#pragma GCC unroll 8
  for (int i = 0; i < kR; ++i) {
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
      acc[i][g] = corr[i][g][0] = corr[i][g][1] = _mm256_setzero_ps();
    }
  }
  FusedGroup grp[kR];
  for (int64_t k0 = 0; k0 < bpr; k0 += fused::kGroup) {
    const int n = static_cast<int>(std::min<int64_t>(fused::kGroup, bpr - k0));
#pragma GCC unroll 8
    for (int i = 0; i < kR; ++i) {
      FusedPrepass<kE0>(k, words[i] + 4 * k0, n, &grp[i]);
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
        for (int h = 0; h < 2; ++h) {
          corr[i][g][h] = _mm256_fmadd_ps(
              grp[i].cq[h], _mm256_loadu_ps(sb[g] + k0 + 8 * h), corr[i][g][h]);
        }
      }
    }
    for (int j = 0; j < n; ++j) {
      __m256 xv[kG];
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g)
        xv[g] = _mm256_loadu_ps(xb[g] + 8 * (k0 + j));
#pragma GCC unroll 8
      for (int i = 0; i < kR; ++i) {
        const uint32_t o = grp[i].off[j];
        const __m256i raw = _mm256_xor_si256(
            _mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(tlo + (o & 0xFFFF))),
            _mm256_loadu_si256(
                reinterpret_cast<const __m256i*>(thi + (o >> 16))));
        __m256 wv =
            _mm256_cvtepi32_ps(DotBytes(raw, _mm256_set1_epi32(grp[i].pat[j])));
        if (!kE0) wv = _mm256_mul_ps(wv, _mm256_set1_ps(grp[i].scale[j]));
#pragma GCC unroll 8
        for (int g = 0; g < kG; ++g) {
          acc[i][g] = _mm256_fmadd_ps(wv, xv[g], acc[i][g]);
        }
      }
    }
  }
  alignas(32) float a[8], c[16];
#pragma GCC unroll 8
  for (int i = 0; i < kR; ++i) {
#pragma GCC unroll 8
    for (int g = 0; g < nb; ++g) {
      _mm256_store_ps(a, acc[i][g]);
      _mm256_store_ps(c, corr[i][g][0]);
      _mm256_store_ps(c + 8, corr[i][g][1]);
      y[(b0 + g) * ldy + (r0 + i - row_begin)] =
          fused::Finish(a, c, kE0, m.field_scale[0]);
    }
  }
}

template <bool kE0>
void FusedRowsT(const PackedView& m, const float* x, int64_t batch,
                int64_t row_begin, int64_t row_end, float* y, int64_t ldy) {
  thread_local std::vector<float> xp, sx;
  fused::PadActivations(x, m.cols, batch, m.blocks_per_row, &xp, &sx);
  const FusedConsts k = MakeFusedConsts(m);
  int64_t r = row_begin;
  if (batch == 1) {
    for (; r + 4 <= row_end; r += 4) {
      FusedTile<4, 1, kE0>(m, k, xp.data(), sx.data(), r, 0, 1, y, ldy,
                           row_begin);
    }
  }
  for (; r < row_end; ++r) {
    for (int64_t b0 = 0; b0 < batch; b0 += 8) {
      const int nb = static_cast<int>(std::min<int64_t>(8, batch - b0));
      auto tile = nb == 1   ? FusedTile<1, 1, kE0>
                  : nb == 2 ? FusedTile<1, 2, kE0>
                  : nb <= 4 ? FusedTile<1, 4, kE0>
                            : FusedTile<1, 8, kE0>;
      tile(m, k, xp.data(), sx.data(), r, b0, nb, y, ldy, row_begin);
    }
  }
}

inline void FusedRowsDispatch(const PackedView& m, const float* x,
                              int64_t batch, int64_t row_begin, int64_t row_end,
                              float* y, int64_t ldy) {
  (m.codec.E == 0 ? FusedRowsT<true>
                  : FusedRowsT<false>)(m, x, batch, row_begin, row_end, y, ldy);
}
