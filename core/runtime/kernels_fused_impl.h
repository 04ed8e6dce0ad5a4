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
  alignas(64) int32_t pat[fused::kGroup];
  alignas(64) uint32_t off[fused::kGroup];  // byte offsets: lo | hi << 16
  alignas(64) float scale[fused::kGroup];
  alignas(64) float cq[fused::kGroup];  // (float)sq (* scale)
};

struct FusedConsts {
  __m256i dup, odd, pmask, sext, ones, seed;
  __m256 scale_lo, scale_hi;  // field_scale[0..7], [8..15] (E = 4)
};

// Byte shuffle that repeats a dword pattern a0 a1 a2 a3 in every dword.
inline __m256i DwordShuffle(int a0, int a1, int a2, int a3) {
  const int v =
      (a0 & 0xFF) | (a1 & 0xFF) << 8 | (a2 & 0xFF) << 16 | (a3 & 0xFF) << 24;
  return _mm256_add_epi8(
      _mm256_set1_epi32(v),
      _mm256_setr_epi32(0, 0x04040404, 0x08080808, 0x0C0C0C0C, 0, 0x04040404,
                        0x08080808, 0x0C0C0C0C));
}

inline FusedConsts MakeFusedConsts(const PackedView& m) {
  FusedConsts k;
  const bool e0 = m.codec.E == 0;
  const int z = 0x80;  // a shuffle index that yields 0 (never offset: < 0)
  // The q bytes of a word (E = 0: bytes 2, 3 = q1q0, q3q2; E = 4: byte 2's
  // high nibble is q0, byte 3 = q2q1) spread so that, with a copy shifted
  // right by a nibble, each byte has one q in its low nibble.
  k.dup = e0 ? DwordShuffle(2, 2, 3, 3) : DwordShuffle(2, 3, 3, z);
  k.odd = _mm256_set1_epi16(static_cast<int16_t>(e0 ? 0xFF00 : 0x00FF));
  const uint32_t used =
      m.codec.P >= 4 ? 0x0F0F0F0Fu : (1u << (8 * m.codec.P)) / 0xFF * 0x0F;
  k.pmask = _mm256_set1_epi32(static_cast<int>(used));
  k.sext =
      _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1,
                       0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1);
  k.ones = _mm256_set1_epi8(1);
  k.seed = DwordShuffle(0, z, 1, z);  // seed bytes -> 16-bit halves
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
    // q_0..q_3 -> signed bytes: spread, take the shifted copy where the q is
    // in the high nibble, keep the low nibbles, sign-extend by table.
    __m256i t = _mm256_shuffle_epi8(v, k.dup);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    t = _mm256_mask_blend_epi8(kE0 ? 0xAAAAAAAAu : 0x55555555u, t,
                               _mm256_srli_epi16(t, 4));
#else
    t = _mm256_blendv_epi8(t, _mm256_srli_epi16(t, 4), k.odd);
#endif
    const __m256i pat =
        _mm256_shuffle_epi8(k.sext, _mm256_and_si256(t, k.pmask));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g->pat) + h, pat);
    // Table row offsets in bytes (32 per seed byte): lo | hi << 16.
    _mm256_store_si256(reinterpret_cast<__m256i*>(g->off) + h,
                       _mm256_slli_epi32(_mm256_shuffle_epi8(v, k.seed), 5));
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
    _mm256_store_ps(g->cq + 8 * h, cq);
  }
}

#define SEEDLM_FUSED_INLINE inline __attribute__((always_inline))

// Raw entries R of the block whose table offsets are `off` (two 32-byte table
// rows XORed, spec §9).
SEEDLM_FUSED_INLINE __m256i FusedRaw(const char* tlo, const char* thi,
                                     const uint32_t* off) {
  uint16_t lo, hi;
  std::memcpy(&lo, reinterpret_cast<const char*>(off), 2);
  std::memcpy(&hi, reinterpret_cast<const char*>(off) + 2, 2);
  return _mm256_xor_si256(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tlo + lo)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(thi + hi)));
}

// The 16 accumulator and 16 correction lanes of one (row, vector): one
// 512-bit register each on AVX-512, two 256-bit ones on AVX2 (same sums).
#if defined(__AVX512F__)
struct FusedAcc {
  __m512 acc = _mm512_setzero_ps(), corr = _mm512_setzero_ps();
  void Store(float* a, float* c) const {
    _mm512_store_ps(a, acc);
    _mm512_store_ps(c, corr);
  }
};
#else
struct FusedAcc {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  __m256 corr[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  void Store(float* a, float* c) const {
    for (int h = 0; h < 2; ++h) {
      _mm256_store_ps(a + 8 * h, acc[h]);
      _mm256_store_ps(c + 8 * h, corr[h]);
    }
  }
};
#endif

// One group of 16 blocks of kR rows against kG vectors: the correction lanes
// take the group's cq * Sx, the accumulator lanes every block's w' * x. xb,
// sb: the vectors' padded activations and block sums at the group's start.
template <int kR, int kG, bool kE0>
SEEDLM_FUSED_INLINE void FusedGroupBlocks(const FusedGroup* gr,
                                          const float* const* xb,
                                          const float* const* sb,
                                          const char* tlo, const char* thi,
                                          FusedAcc (&a)[kR][kG]) {
#if defined(__AVX512F__)
  __m512i pat[kR];
  __m512 sc[kR];
#pragma GCC unroll 8
  for (int i = 0; i < kR; ++i) {
    pat[i] = _mm512_load_si512(gr[i].pat);
    if (!kE0) sc[i] = _mm512_load_ps(gr[i].scale);
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
      a[i][g].corr = _mm512_fmadd_ps(_mm512_load_ps(gr[i].cq),
                                     _mm512_loadu_ps(sb[g]), a[i][g].corr);
    }
  }
  // Lanes 0..7 take block j's pattern and scale, lanes 8..15 block j + 1's.
  __m512i idx =
      _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  for (int j = 0; j < fused::kGroup;
       j += 2, idx = _mm512_add_epi32(idx, _mm512_set1_epi32(2))) {
    __m512 xv[kG];
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) xv[g] = _mm512_loadu_ps(xb[g] + 8 * j);
#pragma GCC unroll 8
    for (int i = 0; i < kR; ++i) {
      const __m512i r = _mm512_inserti64x4(
          _mm512_castsi256_si512(FusedRaw(tlo, thi, gr[i].off + j)),
          FusedRaw(tlo, thi, gr[i].off + j + 1), 1);
      __m512 wv = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(
          _mm512_setzero_si512(), r, _mm512_permutexvar_epi32(idx, pat[i])));
      if (!kE0) wv = _mm512_mul_ps(wv, _mm512_permutexvar_ps(idx, sc[i]));
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g) {
        a[i][g].acc = _mm512_fmadd_ps(wv, xv[g], a[i][g].acc);
      }
    }
  }
#else
#pragma GCC unroll 8
  for (int i = 0; i < kR; ++i) {
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) {
#pragma GCC unroll 8
      for (int h = 0; h < 2; ++h) {
        a[i][g].corr[h] =
            _mm256_fmadd_ps(_mm256_load_ps(gr[i].cq + 8 * h),
                            _mm256_loadu_ps(sb[g] + 8 * h), a[i][g].corr[h]);
      }
    }
  }
  for (int j = 0; j < fused::kGroup; ++j) {
    __m256 xv[kG];
#pragma GCC unroll 8
    for (int g = 0; g < kG; ++g) xv[g] = _mm256_loadu_ps(xb[g] + 8 * j);
#pragma GCC unroll 8
    for (int i = 0; i < kR; ++i) {
      __m256 wv = _mm256_cvtepi32_ps(DotBytes(FusedRaw(tlo, thi, gr[i].off + j),
                                              _mm256_set1_epi32(gr[i].pat[j])));
      if (!kE0) wv = _mm256_mul_ps(wv, _mm256_set1_ps(gr[i].scale[j]));
#pragma GCC unroll 8
      for (int g = 0; g < kG; ++g) {
        a[i][g].acc[j & 1] = _mm256_fmadd_ps(wv, xv[g], a[i][g].acc[j & 1]);
      }
    }
  }
#endif
}

// Rows [r0, r0 + kR) x batch vectors b0 + [0, kG) (vectors past `nb` repeat
// the last one; their results are dropped), group by group. The prepass is
// double-buffered: group g + 1's runs before group g's blocks, so its stores
// have retired by the time the block loop reads them.
template <int kR, int kG, bool kE0>
void FusedTile(const PackedView& m, const FusedConsts& k, const float* xp,
               const float* sx, int64_t r0, int64_t b0, int nb, float* y,
               int64_t ldy, int64_t row_begin) {
  constexpr int kG16 = fused::kGroup;
  const int64_t bpr = m.blocks_per_row;
  const int64_t padded = (bpr + kG16 - 1) / kG16 * kG16;
  const char* tlo = reinterpret_cast<const char*>(m.raw_tables->lo());
  const char* thi = reinterpret_cast<const char*>(m.raw_tables->hi());
  const float* xb[kG];
  const float* sb[kG];
  const uint8_t* words[kR];
  for (int i = 0; i < kR; ++i) words[i] = m.data + 4 * (r0 + i) * bpr;
  FusedAcc acc[kR][kG];
  FusedGroup grp[2][kR];
  auto prepass = [&](int64_t k0, FusedGroup* out) {
    const int n = static_cast<int>(std::min<int64_t>(kG16, bpr - k0));
#pragma GCC unroll 8
    for (int i = 0; i < kR; ++i) {
      FusedPrepass<kE0>(k, words[i] + 4 * k0, n, &out[i]);
    }
  };
  prepass(0, grp[0]);
  for (int64_t k0 = 0, cur = 0; k0 < bpr; k0 += kG16, cur ^= 1) {
    if (k0 + kG16 < bpr) prepass(k0 + kG16, grp[cur ^ 1]);
    for (int g = 0; g < kG; ++g) {
      const int64_t b = b0 + std::min(g, nb - 1);
      xb[g] = xp + (b * padded + k0) * 8;
      sb[g] = sx + b * padded + k0;
    }
    FusedGroupBlocks<kR, kG, kE0>(grp[cur], xb, sb, tlo, thi, acc);
  }
  alignas(64) float a[16], c[16];
  for (int i = 0; i < kR; ++i) {
    for (int g = 0; g < nb; ++g) {
      acc[i][g].Store(a, c);
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
  // Batches: one row x up to eight vectors (a decoded block serves them all).
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
