#include "core/runtime/layer_plan.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace {

// The largest e in [begin, limit] such that executor `x` can hold layers
// [begin, e) (begin itself when not even one layer fits).
int Fill(absl::Span<const uint64_t> layer_bytes, const ExecutorCapacity& x,
         uint64_t fixed_bytes, int begin, int limit) {
  if (x.memory_bytes == 0) return limit;
  if (fixed_bytes > x.memory_bytes) return begin;
  uint64_t room = x.memory_bytes - fixed_bytes;
  int end = begin;
  while (end < limit && layer_bytes[end] <= room) room -= layer_bytes[end++];
  return end;
}

// The balanced split's ends: executor i's range ends at
// round(n * (threads_0 + ... + threads_i) / sum(threads)).
std::vector<int> BalancedEnds(int n,
                              absl::Span<const ExecutorCapacity> executors) {
  unsigned __int128 total = 0;
  for (const ExecutorCapacity& x : executors) total += x.threads;
  std::vector<int> ends;
  unsigned __int128 cumulative = 0;
  for (const ExecutorCapacity& x : executors) {
    cumulative += x.threads;
    const unsigned __int128 twice = 2 * static_cast<unsigned __int128>(n);
    ends.push_back(
        static_cast<int>((twice * cumulative + total) / (2 * total)));
  }
  ends.back() = n;
  return ends;
}

// Every executor in order up to its limit (`ends`, or every remaining layer
// when null) as far as its memory allows; false when layers are left over.
bool Assign(absl::Span<const uint64_t> layer_bytes,
            absl::Span<const ExecutorCapacity> executors, uint64_t fixed_bytes,
            const std::vector<int>* ends, std::vector<LayerRange>* out) {
  const int n = static_cast<int>(layer_bytes.size());
  out->clear();
  int begin = 0;
  for (size_t i = 0; i < executors.size(); ++i) {
    const int limit = ends == nullptr ? n : std::max(begin, (*ends)[i]);
    const int end = Fill(layer_bytes, executors[i], fixed_bytes, begin, limit);
    out->push_back({begin, end});
    begin = end;
  }
  return begin == n;
}

}  // namespace

absl::StatusOr<std::vector<LayerRange>> PlanLayers(
    absl::Span<const uint64_t> layer_bytes,
    absl::Span<const ExecutorCapacity> executors, uint64_t fixed_bytes) {
  if (layer_bytes.empty()) return absl::InvalidArgumentError("no layer");
  if (executors.empty()) return absl::InvalidArgumentError("no executor");
  if (layer_bytes.size() > static_cast<size_t>(INT32_MAX / 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat(layer_bytes.size(), " layers are too many"));
  }
  for (size_t i = 0; i < executors.size(); ++i) {
    if (executors[i].threads < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "executor ", i, " announces ", executors[i].threads, " threads"));
    }
  }
  const int n = static_cast<int>(layer_bytes.size());
  // Balanced, with the layers an executor cannot hold moved to the next.
  const std::vector<int> ends = BalancedEnds(n, executors);
  std::vector<LayerRange> plan;
  if (Assign(layer_bytes, executors, fixed_bytes, &ends, &plan)) return plan;
  // Greedy: each takes as many as fit. If any contiguous split fits, this
  // one does (a longer prefix never hurts the executors after it).
  if (Assign(layer_bytes, executors, fixed_bytes, nullptr, &plan)) return plan;
  return absl::FailedPreconditionError(absl::StrCat(
      "the ", n, " layers do not fit the memory of the ", executors.size(),
      " executors (", plan.back().end, " layers fit)"));
}

}  // namespace seedlm
