#include "core/runtime/layer_pipeline.h"

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

absl::Status RunChain(absl::Span<Executor* const> chain,
                      absl::Span<const ExecutorRows> rows,
                      absl::Span<float> hidden) {
  for (Executor* e : chain) RETURN_IF_ERROR(e->Step(rows, hidden));
  return absl::OkStatus();
}

absl::Status CheckChain(absl::Span<Executor* const> chain, int n_layers) {
  if (chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no executor for the model's ", n_layers, " layers"));
  }
  int next = 0;
  for (size_t i = 0; i < chain.size(); ++i) {
    const Executor* e = chain[i];
    if (e == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("executor ", i, " of the chain is null"));
    }
    if (e->layer_begin() != next || e->layer_end() <= e->layer_begin()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "executor ", i, " (", e->description(), ") holds layers [",
          e->layer_begin(), ", ", e->layer_end(),
          "); the chain needs a "
          "non-empty range starting at layer ",
          next));
    }
    next = e->layer_end();
  }
  if (next != n_layers) {
    return absl::InvalidArgumentError(absl::StrCat("the chain ends at layer ",
                                                   next, ", the model has ",
                                                   n_layers, " layers"));
  }
  return absl::OkStatus();
}

}  // namespace seedlm
