// The CPU matrix kernels behind LinearWeight (linear.h): dense float32,
// dense bfloat16 and packed SeedLM blocks, for one activation vector (decode)
// or a small batch (prefill), each with a scalar reference and run-time
// dispatched SIMD versions (AVX-512, AVX2, portable C++).
//
// Numerics (every level, bit for bit; the fused i8 kernel below has its
// own): for each batch element b and row r,
//   y[b][r] = DotF32(w_r, x_b)                            (linear.h)
// where w_r is row r as float32: the float itself (dense), the bf16 value
// widened exactly (bf16), or the normative decode of spec §4 (packed:
// (float)sum * BlockScale, sum the exact integer M q of the block). DotF32
// fixes the summation order (8 lanes, lane i % 8 takes term i, a fixed
// pairwise combine) and every product and sum is one rounded float32
// operation (no FMA), so a SIMD kernel reproduces the scalar reference
// exactly; no activation is quantized. The fast kernels decode each block's
// integers with spec §9's two-table XOR and exact integer multiply-adds
// (int16 pairs for the paper's entries, unsigned x signed bytes for `i8`),
// decode a tile of rows x columns into float32 once, and use it for every
// activation vector of the batch.
//
// The fused `i8` kernel (FusedSupports: variant i8, K = 16, C = 8, Q = 4,
// 32-bit blocks, i.e. `4bit-i8` and the E = 0 four-coefficient codecs) has
// its own numerics, defined by FusedRowsReference and reproduced bit for bit
// by its SIMD versions; every packed call of such a codec uses it, at every
// level and batch size. It never writes a decoded row: each block's integers
// go straight into float32 fused multiply-adds. With raw entries
// R = M + 128 (0..255), n'_c = sum_p R[c][p] q_p = sum_c + 128 sq (sq =
// sum_p q_p), s the block's scale, and Sx_k = Combine8 of block k's eight
// activations (zero past the row's end); a row's blocks are padded with
// all-zero blocks (n' = sq = 0, x = 0) to a whole number of groups of 16:
//   acc[8 (k%2) + c] = fma(w'_c, x[8k + c], acc[8 (k%2) + c])  (k, c < 8)
//   corr[k%16]       = fma(cq, Sx_k, corr[k%16])
//   y = Combine8(acc[i] + acc[i+8]) - 128 * Combine8(corr[i] + corr[i+8])
// with w' = (float)n' * s, cq = (float)sq * s when E > 0, and w' = (float)n',
// cq = (float)sq, y then multiplied by the one scale, when E = 0 (the scales
// are powers of two, so both are exact). No activation is quantized; the
// result differs from DotF32(decoded row, x) only by float32 rounding
// (kernels_test bounds it), and it is the same for any thread count and
// batch size: y[b] never depends on the other batch elements.
//
// Row ranges: every kernel computes rows [row_begin, row_end) and writes
//   y[b * ldy + (r - row_begin)]  for b < batch,
// x is batch x cols row-major. Each row is computed on one thread, by one
// call, so results never depend on how rows are split between threads.
//
// Thread-safety: all functions are thread-safe; PackedTables are immutable.
#ifndef SEEDLM_CORE_RUNTIME_KERNELS_H_
#define SEEDLM_CORE_RUNTIME_KERNELS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/codec/codec.h"
#include "core/codec/seed_expander.h"
#include "core/util/cpu_features.h"

namespace seedlm {
namespace kernels {

// Every kernel below takes a SimdLevel: kAuto runs at ResolveSimdLevel(kAuto)
// (cpu_features.h: the best level this CPU supports, capped by
// SetSimdLevelCap); a level the CPU lacks is lowered to the best one below it.

// Spec §9 tables laid out for the SIMD packed kernels: for K = 16, the raw
// entries of a seed are lo[s & 0xFF] XOR hi[s >> 8], each a row of
// row_words() uint32. Layout per seed byte (cpad = 8 if C <= 8, else 16):
//   paper: two groups of cpad words; word c of group h holds the int16 pair
//          (M[c][2h], M[c][2h+1]) (lo entries pre-XORed with 0x8000, so that
//          lo ^ hi is M itself as int16);
//   i8:    cpad words; word c holds the bytes M[c][0..3] (lo pre-XORed with
//          0x80, so that lo ^ hi is M as int8).
// Entries with p >= P or c >= C are 0.
class PackedTables {
 public:
  // Whether the SIMD kernels handle `codec`: K = 16, C <= 16, P <= 4,
  // Q <= 7 (others use the scalar reference at every level).
  static bool Supports(const CodecConfig& codec);
  // Shared per (C, P, variant), freed when unused (core/util/shared_cache.h:
  // a few recent ones are retained); null if !Supports(codec).
  static std::shared_ptr<const PackedTables> Get(const CodecConfig& codec);

  // The fused kernel's tables (FusedSupports): the raw entries R = M + 128
  // as unsigned bytes (lo not pre-XORed), lo[s & 0xFF] ^ hi[s >> 8] = R,
  // 8 words of bytes R[c][0..3] per seed byte. Null if !FusedSupports.
  static std::shared_ptr<const PackedTables> GetRaw(const CodecConfig& codec);

  explicit PackedTables(const CodecConfig& codec, bool raw = false);
  const uint32_t* lo() const { return table_.data(); }
  const uint32_t* hi() const { return table_.data() + 256 * row_words_; }
  int row_words() const { return row_words_; }
  int cpad() const { return cpad_; }
  size_t MemoryBytes() const { return table_.size() * sizeof(uint32_t); }

 private:
  int cpad_;
  int row_words_;
  std::vector<uint32_t> table_;  // [2][256][row_words_]
};

// A packed matrix as the kernels see it (borrowed pointers).
struct PackedView {
  CodecConfig codec;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t blocks_per_row = 0;
  const uint8_t* data = nullptr;
  uint64_t size = 0;                   // bytes of data
  const float* field_scale = nullptr;  // BlockScale by raw E-bit field
  const SeedExpander* expander = nullptr;
  const PackedTables* tables = nullptr;      // null: reference path only
  const PackedTables* raw_tables = nullptr;  // GetRaw: the fused kernel
};

// Dense float32, row-major rows x cols (w points at row 0).
void DenseF32Rows(SimdLevel level, const float* w, int64_t cols, const float* x,
                  int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                  int64_t ldy);
// Dense bfloat16 (the top 16 bits of a float32), row-major.
void DenseBf16Rows(SimdLevel level, const uint16_t* w, int64_t cols,
                   const float* x, int64_t batch, int64_t row_begin,
                   int64_t row_end, float* y, int64_t ldy);
// Packed SeedLM blocks.
void PackedRows(SimdLevel level, const PackedView& m, const float* x,
                int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                int64_t ldy);

// Whether `codec` takes the fused i8 kernel (see above).
bool FusedSupports(const CodecConfig& codec);
// The scalar reference that defines the fused kernel. Arguments as
// PackedRows. REQUIRES: FusedSupports(m.codec); m.expander set.
void FusedRowsReference(const PackedView& m, const float* x, int64_t batch,
                        int64_t row_begin, int64_t row_end, float* y,
                        int64_t ldy);

// Row r of a packed matrix, decoded by the normative rule (the reference).
void PackedDecodeRow(const PackedView& m, int64_t r, float* out);

}  // namespace kernels
}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_KERNELS_H_
