// Weight matrices as the runtime uses them: y = W x, one row at a time.
//
// A LinearWeight is a rows x cols matrix behind a kernel interface. Dense
// float32 weights and packed SeedLM blocks implement it; a packed matrix is
// never expanded as a whole: each row is regenerated from its seeds into a
// row-sized scratch buffer and consumed at once.
//
// Numerics (the definition every faster kernel is tested against): each
// output y[r] is DotF32(row r of W as float32, x), whose summation order is
// fixed (see DotF32). Because every row is computed by exactly one thread in
// that order, results are bit-identical for any thread count, and a packed
// matrix gives exactly the same y as its DecodePackedRows expansion. The
// kernels (kernels.h: scalar references, AVX2 and AVX-512 versions chosen at
// run time, SEEDLM_SIMD caps the level) all reproduce this bit for bit; no
// activation is quantized. A batch (MatMul) is the same dot product per
// batch element: y[b] equals MatVec of x[b], bit for bit.
//
// Thread-safety: LinearWeight objects are immutable after construction; all
// methods are const and may run concurrently.

#ifndef SEEDLM_CORE_RUNTIME_LINEAR_H_
#define SEEDLM_CORE_RUNTIME_LINEAR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/seed_expander.h"
#include "core/runtime/kernels.h"
#include "core/util/thread_pool.h"

namespace seedlm {

// sum_i a[i] * b[i] in float32 with a fixed order: eight running partial
// sums (lane i % 8 takes term i), combined as ((s0+s1)+(s2+s3))+((s4+s5)+
// (s6+s7)). REQUIRES: a and b hold n floats.
float DotF32(const float* a, const float* b, int64_t n);

class LinearWeight {
 public:
  virtual ~LinearWeight() = default;
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

  // Row r as float32 (cols() values) into out. REQUIRES: 0 <= r < rows().
  virtual void GetRow(int64_t r, float* out) const = 0;

  // y[r - row_begin] = DotF32(row r, x) for r in [row_begin, row_end).
  // REQUIRES: x holds cols() floats, y holds row_end - row_begin floats.
  virtual void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                          float* y) const = 0;

  // A batch: for b < batch and r in [row_begin, row_end),
  //   y[b * rows() + r] = DotF32(row r, x + b * cols()),
  // x is batch x cols() row-major, y is batch x rows() row-major and only
  // the columns [row_begin, row_end) of each y row are written. The default
  // calls MatVecRows per batch element; kernels override it to decode each
  // row once for the whole batch.
  virtual void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                          int64_t row_end, float* y) const;

  // Bytes this weight occupies in memory (its storage, not scratch).
  virtual uint64_t StorageBytes() const = 0;

 protected:
  LinearWeight(int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {}

 private:
  int64_t rows_;
  int64_t cols_;
};

// y = W x over all rows, split across `pool` (may be null: calling thread).
// Small matrices run on the calling thread. REQUIRES as MatVecRows.
void MatVec(const LinearWeight& w, const float* x, float* y, ThreadPool* pool);

// Y = X W^T for a batch: y[b * rows + r] = DotF32(row r, x + b * cols) for
// b < batch, rows split across `pool` (may be null). Row b of y equals
// MatVec of row b of x, bit for bit, for any thread count.
// REQUIRES: x holds batch * cols floats, y holds batch * rows floats.
void MatMul(const LinearWeight& w, const float* x, int64_t batch, float* y,
            ThreadPool* pool);

// Dense row-major float32 weights, owned.
class DenseLinear final : public LinearWeight {
 public:
  // REQUIRES: data.size() == rows * cols.
  DenseLinear(int64_t rows, int64_t cols, std::vector<float> data);
  void GetRow(int64_t r, float* out) const override;
  void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                  float* y) const override;
  void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                  int64_t row_end, float* y) const override;
  uint64_t StorageBytes() const override { return data_.size() * 4; }
  const std::vector<float>& data() const { return data_; }

 private:
  std::vector<float> data_;
};

// Dense row-major bfloat16 weights (the top 16 bits of a float32), owned.
// Rows widen exactly to float32, so y = DotF32(widened row, x).
class DenseBf16Linear final : public LinearWeight {
 public:
  // REQUIRES: data.size() == rows * cols.
  DenseBf16Linear(int64_t rows, int64_t cols, std::vector<uint16_t> data);
  // Serves `data` in place (e.g. a bf16 tensor in a container's memory map):
  // no copy, and only the pages a kernel touches become resident. `owner`
  // (may be null) keeps that memory alive; null: it must outlive this object.
  // REQUIRES: data.size() == rows * cols, 2-byte aligned.
  DenseBf16Linear(int64_t rows, int64_t cols, absl::Span<const uint16_t> data,
                  std::shared_ptr<const void> owner = nullptr);
  // Rounds float32 weights to bfloat16 (to nearest, ties to even; NaN stays
  // NaN). REQUIRES: data.size() == rows * cols.
  static std::unique_ptr<DenseBf16Linear> FromF32(int64_t rows, int64_t cols,
                                                  absl::Span<const float> data);
  void GetRow(int64_t r, float* out) const override;
  void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                  float* y) const override;
  void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                  int64_t row_end, float* y) const override;
  uint64_t StorageBytes() const override { return data_.size() * 2; }
  absl::Span<const uint16_t> data() const { return data_; }

 private:
  std::vector<uint16_t> owned_;        // empty when not owned here
  std::shared_ptr<const void> owner_;  // keeps data_'s memory, or null
  absl::Span<const uint16_t> data_;    // owned_ or memory held elsewhere
};

// Packed SeedLM blocks (block_format.h), decoded on the fly: each block's
// integer matrix comes from the seed through spec §9's small tables (no LFSR
// stepping), see kernels.h. The payload is borrowed (it must outlive this
// object, e.g. a ContainerReader's memory map) or kept alive by an owner. Not
// copyable (the kernel view points into the object).
class PackedLinear final : public LinearWeight {
 public:
  // INVALID_ARGUMENT if the codec is invalid or a trellis codec
  // (TrellisLinear serves those), the payload size does not
  // match rows x cols, or the bias is out of the int8 range; DATA_LOSS if a
  // block holds seed 0 (never written by a valid encoder; every block is
  // scanned once here, ~1 ns per block, so that no kernel meets one).
  // `owner` (may be null) keeps the payload's memory alive for the
  // object's lifetime: bytes received over a stream rather than mapped (no
  // copy). Null: the payload is borrowed and must outlive the object.
  static absl::StatusOr<std::unique_ptr<PackedLinear>> Create(
      const CodecConfig& codec, int bias, int64_t rows, int64_t cols,
      absl::Span<const uint8_t> payload,
      std::shared_ptr<const void> owner = nullptr);
  PackedLinear(const PackedLinear&) = delete;
  PackedLinear& operator=(const PackedLinear&) = delete;

  void GetRow(int64_t r, float* out) const override;
  void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                  float* y) const override;
  void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                  int64_t row_end, float* y) const override;
  uint64_t StorageBytes() const override { return payload_.size(); }
  const CodecConfig& codec() const { return codec_; }
  // What the kernels read (borrowed pointers into this object).
  const kernels::PackedView& view() const { return view_; }
  double bits_per_weight() const { return geometry_.bits_per_weight(); }

 private:
  PackedLinear(const CodecConfig& codec, int bias, PackedGeometry g,
               absl::Span<const uint8_t> payload,
               std::shared_ptr<const SeedExpander> expander);
  CodecConfig codec_;
  PackedGeometry geometry_;
  absl::Span<const uint8_t> payload_;
  std::shared_ptr<const SeedExpander> expander_;
  // Exact kernels' tables; null for fused codecs and for the scalar path.
  std::shared_ptr<const kernels::PackedTables> tables_;
  std::shared_ptr<const kernels::PackedTables> raw_tables_;  // fused kernel
  std::vector<float> field_scale_;  // BlockScale by the raw E-bit field
  kernels::PackedView view_;        // points into the members above
  std::shared_ptr<const void> payload_owner_;  // null when borrowed
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LINEAR_H_
