// The plan of a model compression: which tensors are compressed, their matrix
// geometry, the container metadata and the options' fingerprint, and the list
// of independent work units that produce the compressed payloads. A local run
// (model_compressor.h) and a coordinator that shards the units across remote
// workers both start here, compress the units (unit_compressor.h) and finish
// with AssembleContainer (container_assembly.h); the output bytes do not
// depend on who compressed which unit, or in which order.
//
// Work units, per compressed tensor, in plan order:
//   - kChooseBias (only when the tensor's bias is automatic, never for a
//     trellis codec, whose bias is fixed at 0): choose the
//     tensor's exponent bias from a sample of its rows (BiasSampleRowIndices
//     in tensor_compressor.h). Every kCompressRows unit of that tensor needs
//     its result, so a scheduler runs it first.
//   - kCompressRows: rows [row_begin, row_end) of the tensor's matrix, aligned
//     by the payload rule of tensor_compressor.h (kPayloadRowAlignment), about
//     `unit_blocks` blocks each (trellis: about unit_blocks *
//     kTrellisWeightsPerTargetBlock weights of whole rows, RunRowCount; the
//     last unit of a tensor may be smaller).
//     Their payloads, in row order, concatenate into exactly the tensor's
//     payload; payload_offset/payload_bytes say where each one goes.
//
// Plain value types (no RPC types: a coordinator serialises them itself);
// thread-compatible.
#ifndef SEEDLM_CORE_COMPRESS_COMPRESSION_PLAN_H_
#define SEEDLM_CORE_COMPRESS_COMPRESSION_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/packed_matrix.h"
#include "core/compress/compress_options.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/model_source.h"

namespace seedlm {

// The target size of a kCompressRows unit, in blocks: as large as one slice
// of CompressMatrixStreaming (a few MB of buffers on a worker), so a local
// run compresses each unit as one slice.
inline constexpr int64_t kDefaultUnitBlocks = kDefaultSliceBlocks;

enum class UnitKind : uint8_t {
  kChooseBias = 0,    // choose the tensor's exponent bias
  kCompressRows = 1,  // search and pack a run of rows
};

struct WorkUnit {
  UnitKind kind = UnitKind::kCompressRows;
  size_t tensor = 0;  // index into CompressionPlan::tensors (= source index)
  // kCompressRows: the rows [row_begin, row_end). kChooseBias: the whole
  // matrix, [0, rows) (it reads BiasSampleRowIndices(rows) of them).
  int64_t row_begin = 0;
  int64_t row_end = 0;
  // kCompressRows: where the unit's payload lies in the tensor's payload
  // (RowRangePayload). Zero for kChooseBias.
  uint64_t payload_offset = 0;
  uint64_t payload_bytes = 0;
};

// One tensor of the source, in source order.
struct PlannedTensor {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kF32;
  bool compressed = false;  // false: stored as is (its dtype)
  // Compressed tensors only: rows = the product of all dimensions but the
  // last, cols = the last dimension.
  PackedGeometry geometry;
  // The fixed exponent bias, or std::nullopt when the tensor's kChooseBias
  // unit chooses it.
  std::optional<int> exponent_bias;
  // Its units: CompressionPlan::units[first_unit, first_unit + num_units),
  // the kChooseBias unit (if any) first, then the row units in row order.
  size_t first_unit = 0;
  size_t num_units = 0;
};

struct CompressionPlan {
  CodecConfig codec;
  ExponentMode mode = ExponentMode::kSearch;
  int64_t unit_blocks = kDefaultUnitBlocks;  // the target the units follow
  // Everything the output depends on except the tensors' bytes, as JSON text
  // (input tensor list, codec with the trellis parameters, mode, bias
  // policy, selection, metadata CRCs).
  // Equal fingerprints and equal input bytes give equal output bytes.
  std::string fingerprint;
  // The container's metadata (model_metadata.h keys plus preset and mode).
  std::map<std::string, std::string> metadata;
  std::vector<PlannedTensor> tensors;  // every source tensor
  std::vector<WorkUnit> units;         // grouped by tensor, in tensor order
  int64_t total_blocks = 0;            // blocks of all compressed tensors

  // The search options of a compressed tensor whose exponent bias is `bias`.
  SearchOptions SearchFor(int bias) const;
};

// Plans the compression of `source` with `options` (options.resume is
// ignored). `unit_blocks` is the target size of a kCompressRows unit: each
// unit has RunRowCount(geometry, unit_blocks) rows, the last of a tensor the
// rest. INVALID_ARGUMENT for options that fail
// CompressOptions::Validate() or unit_blocks < 1. Cheap: reads no weights.
absl::StatusOr<CompressionPlan> PlanCompression(
    const ModelSource& source, const CompressOptions& options,
    int64_t unit_blocks = kDefaultUnitBlocks);

// OK iff `source` lists the tensors `plan` was made from (same count, names,
// shapes and dtypes); FAILED_PRECONDITION naming the first difference.
absl::Status CheckSourceMatchesPlan(const CompressionPlan& plan,
                                    const ModelSource& source);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_COMPRESSION_PLAN_H_
