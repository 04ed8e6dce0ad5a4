#include "core/search/searcher_factory.h"

#include "absl/strings/str_cat.h"
#include "core/search/fast_search.h"
#include "core/search/reference_search.h"
#include "core/util/status_macros.h"

namespace seedlm {

absl::StatusOr<SearchAlgorithm> ParseSearchAlgorithm(absl::string_view name) {
  if (name == "fast") return SearchAlgorithm::kFast;
  if (name == "reference") return SearchAlgorithm::kReference;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown search algorithm '", name, "' (expected fast or reference)"));
}

const char* SearchAlgorithmName(SearchAlgorithm algo) {
  return algo == SearchAlgorithm::kReference ? "reference" : "fast";
}

absl::StatusOr<std::unique_ptr<BlockSearcher>> CreateSearcher(
    const SearchOptions& options, SearchAlgorithm algo) {
  if (algo == SearchAlgorithm::kReference) {
    ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> s,
                     ReferenceSearcher::Create(options));
    return std::unique_ptr<BlockSearcher>(std::move(s));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<FastSearcher> s,
                   FastSearcher::Create(options));
  return std::unique_ptr<BlockSearcher>(std::move(s));
}

}  // namespace seedlm
