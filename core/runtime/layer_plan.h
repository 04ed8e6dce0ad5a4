// Splitting a model's layers across executors (a pipeline): contiguous
// ranges, one per executor in the order given, sized by the executors'
// announced speed (threads) and bounded by their announced memory.
//
// Pure logic; thread-compatible.

#ifndef SEEDLM_CORE_RUNTIME_LAYER_PLAN_H_
#define SEEDLM_CORE_RUNTIME_LAYER_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace seedlm {

struct ExecutorCapacity {
  int threads = 1;            // >= 1; the share of layers is proportional
  uint64_t memory_bytes = 0;  // what it may hold; 0: no limit
};

// Layers [begin, end); empty when begin == end (the executor gets none).
struct LayerRange {
  int begin = 0;
  int end = 0;
  bool empty() const { return begin == end; }
  int size() const { return end - begin; }
  bool operator==(const LayerRange& o) const {
    return begin == o.begin && end == o.end;
  }
};

// Splits layers [0, layer_bytes.size()) into one contiguous range per
// executor, in order (executor i's range ends where i + 1's begins). An
// executor holding layers [b, e) needs fixed_bytes + sum of layer_bytes[b..e)
// bytes, which must fit its memory_bytes (unless 0). The balanced split
// gives executor i about n * threads_i / sum(threads) layers (cumulative
// rounding); when that does not fit, layers move to later executors, and
// failing that each executor in order takes as many as fit. An executor
// may get an empty range (more executors than layers, or too little
// memory). INVALID_ARGUMENT for no layer, no executor or threads < 1;
// FAILED_PRECONDITION when the layers do not fit the executors' memory
// together.
absl::StatusOr<std::vector<LayerRange>> PlanLayers(
    absl::Span<const uint64_t> layer_bytes,
    absl::Span<const ExecutorCapacity> executors, uint64_t fixed_bytes = 0);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LAYER_PLAN_H_
