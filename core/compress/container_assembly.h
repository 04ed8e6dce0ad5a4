// The last step of a planned compression (compression_plan.h): writing the
// .seedlm container from the plan, the tensors' exponent biases and the
// payloads of the kCompressRows units, and the per-tensor report table.
//
// The container's bytes are a function of the plan, the source's stored
// tensors, the biases and the unit payloads only: whatever order the units
// were compressed in, and whoever compressed them, AssembleContainer asks for
// them in plan order and writes the same file as a local run.
#ifndef SEEDLM_CORE_COMPRESS_CONTAINER_ASSEMBLY_H_
#define SEEDLM_CORE_COMPRESS_CONTAINER_ASSEMBLY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/compress/compression_plan.h"
#include "core/compress/tensor_compressor.h"
#include "core/compress/unit_compressor.h"
#include "core/format/container.h"
#include "core/model/model_source.h"

namespace seedlm {

// Streams the payload of kCompressRows unit `unit` (an index into
// plan.units) into `sink`, in pieces of any size; exactly the unit's
// payload_bytes in all. Its errors abort the assembly.
using UnitPayloadProvider =
    std::function<absl::Status(size_t unit, const PayloadSink& sink)>;

// Writes the container of `plan` to `out_path`, atomically (nothing appears
// there on failure): tensors in source order; stored tensors copied from
// `source` byte for byte (their pages released after), compressed tensor t
// with exponent bias biases[t] and, as payload, its row units' payloads
// asked from `provide` one unit at a time in plan order (tensor by tensor,
// rows ascending). `biases` has one entry per plan tensor (ignored for stored
// ones). Not thread-safe with respect to `provide`, which is called from the
// calling thread. Errors: INVALID_ARGUMENT if biases has the wrong size, a
// bias is outside -128..127 or differs from a fixed bias of the plan;
// FAILED_PRECONDITION if `source` is not the plan's model
// (CheckSourceMatchesPlan); DATA_LOSS if a unit's payload has the wrong
// size; errors of `provide` and of the ContainerWriter (I/O, a block with
// seed 0).
absl::Status AssembleContainer(const CompressionPlan& plan,
                               const ModelSource& source,
                               absl::Span<const int> biases,
                               const UnitPayloadProvider& provide,
                               const std::string& out_path);

// The error sums of a tensor after one more row unit: `tensor` + `unit`,
// field by field. A tensor's sums start at {0, 0} and add its row units in
// row order. The result may differ in its last bits from one pass over the
// tensor's weights (float64 addition is not associative), so the reported
// relative error may too; the container's bytes never depend on it.
ErrorSums AddUnitErrors(const ErrorSums& tensor, const ErrorSums& unit);

// Per plan tensor, the sums of its row units (AddUnitErrors in row order;
// {0, 0} for stored tensors) from `unit_sums`, one entry per plan unit
// (kChooseBias entries ignored). INVALID_ARGUMENT if the sizes differ.
absl::StatusOr<std::vector<ErrorSums>> CombineUnitErrors(
    const CompressionPlan& plan, absl::Span<const ErrorSums> unit_sums);

// One row of the per-tensor table.
struct TensorReport {
  std::string name;
  std::vector<int64_t> shape;
  Storage storage = Storage::kF32;
  int64_t weights = 0;  // elements
  uint64_t payload_bytes = 0;
  int64_t blocks = 0;  // seedlm blocks, trellis rings (0 for stored tensors)
  // payload bits / weights (includes padding and trellis row scales)
  double bits_per_weight = 0;
  double rel_error = 0;  // ‖W − Ŵ‖/‖W‖ (0 for stored tensors)
  double sq_error = 0;
  double sq_norm = 0;
  double seconds = 0;     // filled in by whoever timed the work
  int exponent_bias = 0;  // the bias used (seedlm tensors)
};

// The table of `plan`, one row per plan tensor, from the biases and the
// per-tensor sums (CombineUnitErrors). REQUIRES: both spans have one entry
// per plan tensor.
std::vector<TensorReport> PlanReport(const CompressionPlan& plan,
                                     absl::Span<const int> biases,
                                     absl::Span<const ErrorSums> tensor_sums);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_CONTAINER_ASSEMBLY_H_
