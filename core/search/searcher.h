// The interface of a block searcher: encodes many blocks, each independently
// and exactly as the reference search defines (spec §5). Implementations: the
// reference (reference_search.h); faster ones must return identical results.
// A trellis codec (spec §13) has no independent blocks: its searcher
// (TrellisSearcher, searcher_factory.h) encodes whole rows instead, and the
// compressors reach it through AsTrellis().
#ifndef SEEDLM_CORE_SEARCH_SEARCHER_H_
#define SEEDLM_CORE_SEARCH_SEARCHER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/search/search_options.h"
#include "core/util/thread_pool.h"

namespace seedlm {

class TrellisSearcher;

class BlockSearcher {
 public:
  virtual ~BlockSearcher() = default;
  virtual const SearchOptions& options() const = 0;
  // Encodes weights.size() / C blocks (block i = weights[i*C, (i+1)*C)) into
  // out. REQUIRES: weights.size() == out.size() * C. INVALID_ARGUMENT if a
  // weight is not finite; CANCELLED if callbacks.cancel was raised. `pool` may
  // be null (single-threaded). Results never depend on the thread count.
  // Thread-safe: concurrent calls on one searcher are allowed.
  virtual absl::Status Search(absl::Span<const double> weights,
                              absl::Span<BlockResult> out, ThreadPool* pool,
                              const SearchCallbacks& callbacks) const = 0;
  // This searcher as a TrellisSearcher when options().codec is a trellis
  // codec, else null.
  virtual const TrellisSearcher* AsTrellis() const { return nullptr; }
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEARCHER_H_
