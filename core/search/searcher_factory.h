// Chooses a BlockSearcher implementation by name: the fast exact search
// (fast_search.h, the default) or the reference (reference_search.h). Both
// return identical results; the choice only changes speed. For a trellis
// codec (spec §13) the searcher is a TrellisSearcher, which encodes rows with
// TrellisEncodeRow (core/search/trellis_search.h).
#ifndef SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_
#define SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/search/searcher.h"
#include "core/search/trellis_search.h"

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
// (core/util/cpu_features.h). A trellis codec gets a TrellisSearcher: kFast
// runs TrellisSearchImpl::kAuto, kReference the reference Viterbi (same
// bytes).
absl::StatusOr<std::unique_ptr<BlockSearcher>> CreateSearcher(
    const SearchOptions& options, SearchAlgorithm algo);

// The searcher of a trellis codec. Rows, not blocks, are what it encodes:
// each row independently with TrellisEncodeRow, so the bytes of a row are a
// pure function of that row. Thread-safe (concurrent calls allowed).
class TrellisSearcher : public BlockSearcher {
 public:
  // INVALID_ARGUMENT unless options.codec is a valid trellis codec and
  // options.exponent_bias is 0 (a trellis codec has no exponent: the mode is
  // ignored); FAILED_PRECONDITION if `impl` is not supported here.
  static absl::StatusOr<std::unique_ptr<TrellisSearcher>> Create(
      const SearchOptions& options,
      TrellisSearchImpl impl = TrellisSearchImpl::kAuto);

  const SearchOptions& options() const override { return options_; }
  TrellisSearchImpl impl() const { return impl_; }
  // FAILED_PRECONDITION: a trellis codec has no independent blocks (use
  // EncodeRows).
  absl::Status Search(absl::Span<const double> weights,
                      absl::Span<BlockResult> out, ThreadPool* pool,
                      const SearchCallbacks& callbacks) const override;
  const TrellisSearcher* AsTrellis() const override { return this; }

  // Encodes `rows` rows of `cols` weights (w, row-major) into `out`, row r
  // at r * TrellisRowBytes(cols), and row_sq_error[r] = the row's squared
  // error (TrellisEncodeRow). One row per task on `pool` (may be null); the
  // bytes never depend on the thread count. callbacks.progress sees rings
  // (rows done * rings per row, of rows * rings per row); callbacks.cancel is
  // polled before each row. INVALID_ARGUMENT for sizes that do not match
  // (w: rows * cols, out: rows * row bytes, row_sq_error: rows) or a
  // non-finite weight ("row R: ...", the first such row, R numbered from
  // `first_row`); CANCELLED.
  absl::Status EncodeRows(absl::Span<const float> w, int64_t rows, int64_t cols,
                          absl::Span<uint8_t> out,
                          absl::Span<double> row_sq_error, ThreadPool* pool,
                          const SearchCallbacks& callbacks,
                          int64_t first_row = 0) const;

 private:
  TrellisSearcher(const SearchOptions& o, TrellisSearchImpl impl)
      : options_(o), impl_(impl) {}
  SearchOptions options_;
  TrellisSearchImpl impl_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEARCHER_FACTORY_H_
