#include "core/search/reference_search.h"

#include <cmath>
#include <limits>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/search/quantizer.h"
#include "core/search/seed_score.h"
#include "core/util/cancel.h"
#include "core/util/status_macros.h"

namespace seedlm {

absl::Status SearchOptions::Validate() const {
  RETURN_IF_ERROR(codec.Validate());
  if (exponent_bias < -128 || exponent_bias > 127) {
    return absl::InvalidArgumentError(
        absl::StrCat("exponent bias ", exponent_bias, " is outside -128..127"));
  }
  return absl::OkStatus();
}

BlockResult ReferenceSearchBlock(const SeedTable& table,
                                 const SearchOptions& options,
                                 const double* w) {
  const CodecConfig& codec = options.codec;
  const Quantizer quant(codec, options.mode, options.exponent_bias);
  BlockResult best;
  best.err = std::numeric_limits<double>::infinity();
  for (uint32_t s = 1; s <= table.num_seeds(); ++s) {
    ScoreSeedCandidates(table, quant, s, w, &best);
  }
  return best;
}

absl::StatusOr<std::unique_ptr<ReferenceSearcher>> ReferenceSearcher::Create(
    const SearchOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  ASSIGN_OR_RETURN(std::shared_ptr<const SeedTable> table,
                   SeedTable::Get(options.codec));
  return std::unique_ptr<ReferenceSearcher>(
      new ReferenceSearcher(options, std::move(table)));
}

absl::Status RunBlockChunks(int64_t n, ThreadPool* pool,
                            const SearchCallbacks& callbacks,
                            const std::function<void(int64_t, int64_t)>& fn) {
  constexpr int64_t kChunk = 16;
  std::mutex mu;
  int64_t done = 0;
  auto chunk = [&](int64_t begin, int64_t end) {
    if (callbacks.cancel != nullptr && callbacks.cancel->load()) return;
    fn(begin, end);
    if (callbacks.progress) {
      std::lock_guard<std::mutex> lock(mu);
      done += end - begin;
      callbacks.progress(done, n);
    }
  };
  if (pool != nullptr) {
    pool->ParallelFor(n, kChunk, chunk);
  } else {
    for (int64_t b = 0; b < n; b += kChunk) chunk(b, std::min(n, b + kChunk));
  }
  return CheckCancelled(callbacks.cancel, "search");
}

absl::Status ReferenceSearcher::Search(absl::Span<const double> weights,
                                       absl::Span<BlockResult> out,
                                       ThreadPool* pool,
                                       const SearchCallbacks& callbacks) const {
  const int C = options_.codec.C;
  if (weights.size() != out.size() * static_cast<size_t>(C)) {
    return absl::InvalidArgumentError(absl::StrCat("search: ", weights.size(),
                                                   " weights for ", out.size(),
                                                   " blocks of ", C));
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search: weight ", i, " is not finite (", weights[i], ")"));
    }
  }
  return RunBlockChunks(static_cast<int64_t>(out.size()), pool, callbacks,
                        [&](int64_t begin, int64_t end) {
                          for (int64_t b = begin; b < end; ++b) {
                            out[b] = ReferenceSearchBlock(*table_, options_,
                                                          &weights[b * C]);
                          }
                        });
}

}  // namespace seedlm
