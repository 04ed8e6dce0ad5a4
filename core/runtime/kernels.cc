#include "core/runtime/kernels.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>

#include "core/codec/block_format.h"
#include "core/runtime/kernels_isa.h"
#include "core/runtime/linear.h"
#include "core/util/shared_cache.h"

namespace seedlm {
namespace kernels {

namespace {

// The level a call runs at: kAuto -> the process default (capped by
// SetSimdLevelCap); an unsupported level -> the best supported one below it.
SimdLevel Effective(SimdLevel level) {
  return level == SimdLevel::kAuto ? ResolveSimdLevel(level)
                                   : LowerToSupported(level);
}

}  // namespace

// --- Tables ---

bool PackedTables::Supports(const CodecConfig& c) {
  return c.Validate().ok() && c.K == 16 && c.C <= 16 && c.P <= 4 && c.Q <= 7;
}

PackedTables::PackedTables(const CodecConfig& c, bool raw_entries)
    : cpad_(c.C <= 8 ? 8 : 16),
      row_words_(c.variant == Variant::kI8 ? cpad_ : 2 * cpad_) {
  table_.assign(static_cast<size_t>(2 * 256 * row_words_), 0);
  const bool i8 = c.variant == Variant::kI8;
  const uint32_t bias = i8 ? 128u : 32768u;  // raw entry = M + bias
  int32_t m[kMaxC * kMaxP];
  for (int half = 0; half < 2; ++half) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t part = byte << (8 * half);
      uint32_t* row = &table_[(half * 256 + byte) * row_words_];
      if (part != 0) SeedMatrix(c, part, m);
      for (int cc = 0; cc < c.C; ++cc) {
        for (int p = 0; p < c.P; ++p) {
          // The LFSR of 0 stays 0: its raw entries are 0.
          uint32_t raw =
              part == 0 ? 0u : static_cast<uint32_t>(m[cc * c.P + p]) + bias;
          if (half == 0 && !raw_entries) raw ^= bias;  // centring flip
          raw &= i8 ? 0xFFu : 0xFFFFu;
          if (i8) {
            row[cc] |= raw << (8 * p);
          } else {
            row[(p / 2) * cpad_ + cc] |= raw << (16 * (p % 2));
          }
        }
      }
    }
  }
}

// Both kinds of tables are 16-64 KiB per codec: 1 MiB keeps 16 or more.
constexpr size_t kRetainTableBytes = 1 << 20;

std::shared_ptr<const PackedTables> PackedTables::Get(const CodecConfig& c) {
  if (!Supports(c)) return nullptr;
  static auto* cache = new SharedCache<std::tuple<int, int, int>, PackedTables>(
      kRetainTableBytes);
  const auto key = std::make_tuple(c.C, c.P, static_cast<int>(c.variant));
  return *cache->GetOrBuild(key,
                            [&] { return std::make_unique<PackedTables>(c); });
}

std::shared_ptr<const PackedTables> PackedTables::GetRaw(const CodecConfig& c) {
  if (!FusedSupports(c)) return nullptr;
  static auto* cache = new SharedCache<int, PackedTables>(kRetainTableBytes);
  return *cache->GetOrBuild(
      c.P, [&] { return std::make_unique<PackedTables>(c, true); });
}

// --- Scalar references ---

void PackedDecodeRow(const PackedView& m, int64_t r, float* out) {
  const CodecConfig& c = m.codec;
  const BlockLayout layout = c.layout();
  const uint32_t e_mask = (1u << c.E) - 1u;
  int32_t mat[kMaxC * kMaxP];
  for (int64_t b = 0; b < m.blocks_per_row; ++b) {
    const Block block =
        UnpackBlockFast(layout, m.data, m.size,
                        static_cast<uint64_t>(r * m.blocks_per_row + b));
    const int64_t c0 = b * c.C;
    const int n = static_cast<int>(std::min<int64_t>(c.C, m.cols - c0));
    if (block.seed == 0) {  // invalid; never produced by a valid file
      std::fill_n(out + c0, n, 0.0f);
      continue;
    }
    m.expander->Expand(block.seed, mat);
    const float scale = m.field_scale[static_cast<uint32_t>(block.e) & e_mask];
    for (int cc = 0; cc < n; ++cc) {
      int32_t sum = 0;
      for (int p = 0; p < c.P; ++p) sum += mat[cc * c.P + p] * block.q[p];
      out[c0 + cc] = static_cast<float>(sum) * scale;
    }
  }
}

namespace {

// y for rows [row_begin, row_end): row r as float32 from get_row, then
// DotF32 against every batch element.
template <typename GetRow>
void ScalarRows(int64_t cols, const float* x, int64_t batch, int64_t row_begin,
                int64_t row_end, float* y, int64_t ldy, GetRow get_row) {
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* w = get_row(r, row.data());
    for (int64_t b = 0; b < batch; ++b) {
      y[b * ldy + (r - row_begin)] = DotF32(w, x + b * cols, cols);
    }
  }
}

}  // namespace

void DenseF32Rows(SimdLevel level, const float* w, int64_t cols, const float* x,
                  int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                  int64_t ldy) {
  switch (Effective(level)) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx512:
      return avx512::DenseF32Rows(w, cols, x, batch, row_begin, row_end, y,
                                  ldy);
    case SimdLevel::kAvx2:
      return avx2::DenseF32Rows(w, cols, x, batch, row_begin, row_end, y, ldy);
#endif
    default:
      ScalarRows(cols, x, batch, row_begin, row_end, y, ldy,
                 [&](int64_t r, float*) { return w + r * cols; });
  }
}

void DenseBf16Rows(SimdLevel level, const uint16_t* w, int64_t cols,
                   const float* x, int64_t batch, int64_t row_begin,
                   int64_t row_end, float* y, int64_t ldy) {
  switch (Effective(level)) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx512:
      return avx512::DenseBf16Rows(w, cols, x, batch, row_begin, row_end, y,
                                   ldy);
    case SimdLevel::kAvx2:
      return avx2::DenseBf16Rows(w, cols, x, batch, row_begin, row_end, y, ldy);
#endif
    default:
      ScalarRows(cols, x, batch, row_begin, row_end, y, ldy,
                 [&](int64_t r, float* out) {
                   for (int64_t i = 0; i < cols; ++i) {
                     const uint32_t u = uint32_t{w[r * cols + i]} << 16;
                     std::memcpy(&out[i], &u, 4);
                   }
                   return static_cast<const float*>(out);
                 });
  }
}

void PackedRows(SimdLevel level, const PackedView& m, const float* x,
                int64_t batch, int64_t row_begin, int64_t row_end, float* y,
                int64_t ldy) {
  if (FusedSupports(m.codec)) {
    const SimdLevel l =
        m.raw_tables == nullptr ? SimdLevel::kScalar : Effective(level);
    switch (l) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
      case SimdLevel::kAvx512:
        return avx512::FusedRows(m, x, batch, row_begin, row_end, y, ldy);
      case SimdLevel::kAvx2:
        return avx2::FusedRows(m, x, batch, row_begin, row_end, y, ldy);
#endif
      default:
        return FusedRowsReference(m, x, batch, row_begin, row_end, y, ldy);
    }
  }
  const SimdLevel l =
      m.tables == nullptr ? SimdLevel::kScalar : Effective(level);
  switch (l) {
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx512:
      return avx512::PackedRows(m, x, batch, row_begin, row_end, y, ldy);
    case SimdLevel::kAvx2:
      return avx2::PackedRows(m, x, batch, row_begin, row_end, y, ldy);
#endif
    default:
      ScalarRows(m.cols, x, batch, row_begin, row_end, y, ldy,
                 [&](int64_t r, float* out) {
                   PackedDecodeRow(m, r, out);
                   return static_cast<const float*>(out);
                 });
  }
}

}  // namespace kernels
}  // namespace seedlm
