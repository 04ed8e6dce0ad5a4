#include "core/search/searcher_factory.h"

#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/search/fast_search.h"
#include "core/search/reference_search.h"
#include "core/util/cancel.h"
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
  if (options.codec.is_trellis()) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<TrellisSearcher> s,
        TrellisSearcher::Create(options, algo == SearchAlgorithm::kReference
                                             ? TrellisSearchImpl::kReference
                                             : TrellisSearchImpl::kAuto));
    return std::unique_ptr<BlockSearcher>(std::move(s));
  }
  if (algo == SearchAlgorithm::kReference) {
    ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> s,
                     ReferenceSearcher::Create(options));
    return std::unique_ptr<BlockSearcher>(std::move(s));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<FastSearcher> s,
                   FastSearcher::Create(options));
  return std::unique_ptr<BlockSearcher>(std::move(s));
}

absl::StatusOr<std::unique_ptr<TrellisSearcher>> TrellisSearcher::Create(
    const SearchOptions& options, TrellisSearchImpl impl) {
  if (!options.codec.is_trellis()) {
    return absl::InvalidArgumentError(
        "a trellis searcher needs a trellis codec");
  }
  RETURN_IF_ERROR(options.Validate());
  if (options.exponent_bias != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("exponent bias ", options.exponent_bias,
                     ": a trellis codec has no exponent (bias must be 0)"));
  }
  if (!TrellisSearchImplSupported(impl)) {
    return absl::FailedPreconditionError(
        absl::StrCat("trellis search ", TrellisSearchImplName(impl),
                     " is not supported here"));
  }
  return std::unique_ptr<TrellisSearcher>(new TrellisSearcher(options, impl));
}

absl::Status TrellisSearcher::Search(absl::Span<const double>,
                                     absl::Span<BlockResult>, ThreadPool*,
                                     const SearchCallbacks&) const {
  return absl::FailedPreconditionError(
      "a trellis codec has no independent blocks: encode rows "
      "(TrellisSearcher::EncodeRows)");
}

absl::Status TrellisSearcher::EncodeRows(
    absl::Span<const float> w, int64_t rows, int64_t cols,
    absl::Span<uint8_t> out, absl::Span<double> row_sq_error, ThreadPool* pool,
    const SearchCallbacks& callbacks, int64_t first_row) const {
  const PackedGeometry g = MakeGeometry(options_.codec, rows, cols);
  const uint64_t row_bytes = g.trellis_row_bytes();
  if (rows < 0 || cols < 0 || static_cast<int64_t>(w.size()) != rows * cols ||
      out.size() != g.payload_bytes() ||
      static_cast<int64_t>(row_sq_error.size()) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "trellis rows: ", rows, "x", cols, " given ", w.size(), " weights, ",
        out.size(), " output bytes, ", row_sq_error.size(), " error slots"));
  }
  std::vector<absl::Status> status(static_cast<size_t>(rows));
  std::mutex mu;
  int64_t done = 0;
  auto chunk = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      if (callbacks.cancel != nullptr && callbacks.cancel->load()) return;
      status[r] = TrellisEncodeRow(
          options_.codec.trellis, w.subspan(r * cols, cols),
          out.subspan(r * row_bytes, row_bytes), impl_, &row_sq_error[r]);
      if (callbacks.progress) {
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        callbacks.progress(done * g.blocks_per_row(), g.num_blocks());
      }
    }
  };
  if (pool != nullptr) {
    pool->ParallelFor(rows, 1, chunk);
  } else {
    chunk(0, rows);
  }
  RETURN_IF_ERROR(CheckCancelled(callbacks.cancel, "trellis search"));
  for (int64_t r = 0; r < rows; ++r) {
    if (!status[r].ok()) {
      return absl::Status(
          status[r].code(),
          absl::StrCat("row ", first_row + r, ": ", status[r].message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace seedlm
