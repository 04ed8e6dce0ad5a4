// The reference seed search: spec §5 written plainly. For every block it tries
// every seed 1..2^K−1, computes the float64 least-squares coefficients
// t = pinv(U(s)) w, quantizes them for every exponent candidate of the mode,
// scores ‖w − ŵ‖² (quantizer.h) and keeps the least error, ties going to the
// smallest seed and then the smallest exponent.
//
// This is the definition that faster searches must reproduce exactly.
#ifndef SEEDLM_CORE_SEARCH_REFERENCE_SEARCH_H_
#define SEEDLM_CORE_SEARCH_REFERENCE_SEARCH_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/search/searcher.h"
#include "core/search/seed_table.h"

namespace seedlm {

// Encodes one block of C weights `w` (REQUIRES: finite). Pure function.
BlockResult ReferenceSearchBlock(const SeedTable& table,
                                 const SearchOptions& options, const double* w);

class ReferenceSearcher : public BlockSearcher {
 public:
  // INVALID_ARGUMENT for bad options; RESOURCE_EXHAUSTED if the seed table is
  // too large (SeedTable::Get).
  static absl::StatusOr<std::unique_ptr<ReferenceSearcher>> Create(
      const SearchOptions& options);

  const SearchOptions& options() const override { return options_; }
  absl::Status Search(absl::Span<const double> weights,
                      absl::Span<BlockResult> out, ThreadPool* pool,
                      const SearchCallbacks& callbacks) const override;

 private:
  ReferenceSearcher(const SearchOptions& o,
                    std::shared_ptr<const SeedTable> table)
      : options_(o), table_(std::move(table)) {}
  SearchOptions options_;
  std::shared_ptr<const SeedTable> table_;
};

// Runs fn(begin, end) over blocks [0, n) in chunks on `pool` (or inline),
// reporting progress and honouring cancellation as SearchCallbacks describes.
// Shared by searcher implementations. CANCELLED if cancelled.
absl::Status RunBlockChunks(int64_t n, ThreadPool* pool,
                            const SearchCallbacks& callbacks,
                            const std::function<void(int64_t, int64_t)>& fn);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_REFERENCE_SEARCH_H_
