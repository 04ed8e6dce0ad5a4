// The seed-trellis rows of `seedlm-bench quality` (quality.h): each data set's
// rows are encoded whole with the trellis search (TrellisEncodeRow, the
// fastest supported implementation: they all give the reference's bytes),
// decoded with the normative TrellisDecodeRow, and measured like the block
// presets:
//   rel_error = ||W - W_hat||_F / ||W||_F over the rows encoded,
//   bits_per_weight = every stored bit (row scales and ring padding) / weights.
// Gaussian and Student-t sets: the first ceil(N * 8 / cols) rows (N = the
// bench's --blocks, "N blocks of 8 weights' worth", whole rows); the model:
// every row of every tensor.
#ifndef SEEDLM_BENCH_QUALITY_TRELLIS_H_
#define SEEDLM_BENCH_QUALITY_TRELLIS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/quality.h"
#include "bench/quality_data.h"
#include "core/util/thread_pool.h"

namespace seedlm {

// Called with (what, rows done, rows total) after each data set's row chunk.
using TrellisProgress =
    std::function<void(const std::string&, int64_t, int64_t)>;

// One row per data set for trellis preset `preset`, in `sets` order.
// INVALID_ARGUMENT if `preset` is not a trellis preset; errors of the search.
absl::StatusOr<std::vector<QualityRow>> RunTrellisQuality(
    const std::string& preset, const std::vector<DataSet>& sets,
    int64_t gaussian_blocks, ThreadPool* pool, const TrellisProgress& progress);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_QUALITY_TRELLIS_H_
