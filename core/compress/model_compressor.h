// Compresses a whole model into a .seedlm container: every selected tensor
// (tensor_select.h) is searched and packed, every other tensor is kept as
// stored, and the model's architecture config and tokenizer travel along as
// container metadata. Tensors are processed one at a time in the source's
// order, one slice of rows at a time, so the output bytes are a pure function
// of the input and options and peak memory is about one slice plus buffers.
// Finished tensors are checkpointed beside the output (checkpoint.h) so that
// an interrupted run can be resumed.
#ifndef SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_
#define SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/format/container.h"
#include "core/format/metadata_keys.h"
#include "core/model/model_source.h"
#include "core/search/search_options.h"
#include "core/search/searcher_factory.h"
#include "core/util/thread_pool.h"

namespace seedlm {

struct CompressOptions {
  SearchOptions search;  // codec, exponent mode and bias
  // Choose each tensor's exponent bias (spec §4) from a sample of its rows
  // instead of using search.exponent_bias: ChooseExponentBias (tensor_
  // compressor.h). Codecs without a block exponent (E = 0) need it.
  bool auto_bias = false;
  // Which implementation searches; both give identical bytes.
  SearchAlgorithm algorithm = SearchAlgorithm::kFast;
  std::vector<std::string> include;  // RE2 patterns; empty: default set
  std::vector<std::string> exclude;  // RE2 patterns
  // Reuse the checkpoint of an interrupted run with the same input and
  // options (FAILED_PRECONDITION if they differ).
  bool resume = false;
};

// One row of the per-tensor table.
struct TensorReport {
  std::string name;
  std::vector<int64_t> shape;
  Storage storage = Storage::kF32;
  int64_t weights = 0;  // elements
  uint64_t payload_bytes = 0;
  int64_t blocks = 0;          // seedlm blocks (0 for stored tensors)
  double bits_per_weight = 0;  // payload bits / weights (includes padding)
  double rel_error = 0;        // ‖W − Ŵ‖/‖W‖ (0 for stored tensors)
  double sq_error = 0;
  double sq_norm = 0;
  double seconds = 0;
  int exponent_bias = 0;  // the bias used (seedlm tensors)
};

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
// failure). INVALID_ARGUMENT for bad options or weights; CANCELLED; I/O
// errors from the writer. `pool` may be null.
absl::StatusOr<CompressReport> CompressModel(
    const ModelSource& source, const std::string& out_path,
    const CompressOptions& options, ThreadPool* pool,
    const CompressCallbacks& callbacks);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_MODEL_COMPRESSOR_H_
