// The inputs of `seedlm-bench coordinator` (coordinator_bench.h): a synthetic
// model whose work units repeat, and the correct result of every work unit of
// its plan, computed once before the timed run so that fake workers can
// answer each lease at once with bytes the coordinator's verification
// accepts.
//
// Units are deduplicated by content: two units of the same kind, geometry
// and exponent bias whose stored rows are equal (same CRC-32 and size) share
// one result, so a model whose tensors and row blocks repeat
// (WriteRepeatingModel) costs one search per distinct unit, not per unit.
//
// Plain functions and immutable values; thread-compatible (a PreparedUnits
// is read-only after PrepareUnits and may be shared by threads).
#ifndef SEEDLM_BENCH_PREPARED_UNITS_H_
#define SEEDLM_BENCH_PREPARED_UNITS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/compress/compression_plan.h"
#include "core/model/model_source.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct RepeatingModelOptions {
  int64_t tensors = 16;  // named model.layers.I.self_attn.q_proj.weight
  int64_t rows = 4096;
  int64_t cols = 4096;
  // Rows [0, period_rows) are Gaussian (sigma 0.02, bf16, from `seed`); row
  // r repeats row r % period_rows; every tensor is the same matrix.
  int64_t period_rows = 128;
  uint64_t seed = 1;
};

// Writes `options`' model as one bf16 safetensors file at `path`
// (atomically). INVALID_ARGUMENT for non-positive sizes, period_rows >
// rows, over 4096 tensors or a matrix over 2^31 elements; I/O errors.
absl::Status WriteRepeatingModel(const std::string& path,
                                 const RepeatingModelOptions& options);

// The answer to one work unit of a plan.
struct PreparedUnit {
  UnitKind kind = UnitKind::kCompressRows;
  // kChooseBias: the chosen bias. kCompressRows: the bias the payload was
  // searched with (the tensor's).
  int bias = 0;
  int64_t row_begin = 0, row_end = 0;
  // kCompressRows: the payload (shared between equal units), its CRC-32,
  // the squared-error sums and the blocks it covers.
  std::shared_ptr<const std::vector<uint8_t>> payload;
  uint32_t crc32 = 0;
  double sq_error = 0, sq_norm = 0;
  int64_t blocks = 0;
  // Bytes of the unit's stored rows (what the coordinator sends a worker
  // without a model root).
  uint64_t rows_bytes = 0;
};

struct PreparedUnits {
  std::vector<PreparedUnit> units;  // by plan unit index
  int64_t distinct = 0;             // searches actually run
  double seconds = 0;               // wall time of PrepareUnits
};

// Runs every unit of `plan` over `source` with the fast search on `pool`:
// each tensor's kChooseBias unit first (when its bias is automatic), then its
// row units with that bias, reusing the result of an earlier unit with equal
// rows. Errors of ChooseUnitBias / CompressUnit / UnitStoredRows.
absl::StatusOr<PreparedUnits> PrepareUnits(const CompressionPlan& plan,
                                           const ModelSource& source,
                                           ThreadPool* pool);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_PREPARED_UNITS_H_
