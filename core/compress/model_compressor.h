// Compresses a whole model into a .seedlm container, locally: every selected
// tensor (tensor_select.h) is searched and packed, every other tensor is kept
// as stored, and the model's architecture config and tokenizer travel along
// as container metadata. Built on the public plan → units → assembly pieces
// (compression_plan.h, unit_compressor.h, container_assembly.h) that a
// coordinator of remote workers uses too: the plan's units are compressed one
// tensor at a time in the source's order, one unit (one slice of rows) at a
// time, so the output bytes are a pure function of the input and options and
// peak memory is about one unit plus buffers. Finished tensors are
// checkpointed beside the output (checkpoint.h) so that an interrupted run
// can be resumed.
#ifndef SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_
#define SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compress/compress_options.h"
#include "core/compress/container_assembly.h"
#include "core/format/container.h"
#include "core/format/metadata_keys.h"
#include "core/model/model_source.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct CompressReport {
  std::vector<TensorReport> tensors;
  double seconds = 0;
  int reused_tensors = 0;  // taken from a checkpoint (resume)
};

struct CompressCallbacks {
  // (tensor name, blocks done over the whole model, blocks total); serialised.
  std::function<void(const std::string&, int64_t, int64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;  // not owned
};

// Compresses `source` into `out_path` (atomically: nothing appears there on
// failure): PlanCompression with kDefaultUnitBlocks, every unit in plan
// order (bias choices first, reusing tensors the checkpoint holds when
// options.resume), then AssembleContainer. The bytes equal those of any
// other run of the same source and options, local or distributed, whatever
// its unit size and unit order. The report's error sums are combined from
// per-unit sums (container_assembly.h). INVALID_ARGUMENT
// for bad options (CompressOptions::Validate) or weights; FAILED_PRECONDITION
// for a checkpoint of other input or options; CANCELLED; I/O errors from the
// checkpoint or the writer. `pool` may be null. Not thread-safe for the same
// `out_path`.
absl::StatusOr<CompressReport> CompressModel(
    const ModelSource& source, const std::string& out_path,
    const CompressOptions& options, ThreadPool* pool,
    const CompressCallbacks& callbacks);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_
