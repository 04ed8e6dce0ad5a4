// Chooses a BlockSearcher implementation by name: the fast exact search
// (fast_search.h, the default) or the reference (reference_search.h). Both
// return identical results; the choice only changes speed.
#ifndef SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_
#define SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/search/searcher.h"

namespace seedlm {

enum class SearchAlgorithm {
  kFast = 0,       // FastSearcher (falls back to the reference for K > 16)
  kReference = 1,  // ReferenceSearcher
};

// "fast" or "reference"; INVALID_ARGUMENT otherwise.
absl::StatusOr<SearchAlgorithm> ParseSearchAlgorithm(absl::string_view name);
const char* SearchAlgorithmName(SearchAlgorithm algo);

// The searcher of `algo` for `options` (errors of the implementation's
// Create). The fast searcher uses the best SIMD level
// (core/util/cpu_features.h).
absl::StatusOr<std::unique_ptr<BlockSearcher>> CreateSearcher(
    const SearchOptions& options, SearchAlgorithm algo);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_
