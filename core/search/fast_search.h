// The fast exact seed search: a BlockSearcher that returns, for every block,
// exactly the reference's BlockResult (same seed, e, q and bit-identical err;
// reference_search.h, spec §5) about 300 times faster.
//
// How (details in fast_search_bound.h, seed_bound_table.h,
// fast_search_kernels.h):
//  1. Every seed's matrix is a window of one LFSR sequence, so the
//     projections Mᵀw of all 2^K − 1 seeds come from one C-tap correlation
//     over the sequence; with a per-seed float32 inverse Cholesky factor this
//     gives, in SIMD, a rigorous upper bound Z(s) on ‖P_U(s) w‖², i.e. a
//     lower bound on the unquantized least-squares error of every seed,
//     which no quantized candidate of that seed can beat. Its margin covers
//     all float32 rounding and the reference's own float64 rounding.
//  2. Blocks are processed 16 at a time over tiles of 512 seeds (each tile's
//     tables stay in cache across the blocks); per block the 64 best bounds
//     are kept.
//  3. Those seeds are scored exactly with the reference's arithmetic
//     (seed_score.h) best bound first, until the next bound proves that seed
//     (and all later ones) strictly worse than the best error found. If the
//     kept set did not reach that far, the block is rescanned with the
//     proven threshold. The result is the lexicographic minimum of
//     (err, seed, e), as the reference defines.
//  4. Blocks where every seed provably ties (all zero, so small that every
//     coefficient rounds to 0, or so large that no reconstruction changes a
//     float64 difference) take seed 1's score directly; blocks whose largest
//     |w| is outside [2^-400, 2^400] go to ReferenceSearchBlock; blocks whose
//     best error is close to ‖w‖² (magnitudes far outside the exponent
//     range: the bound cannot prune) are scored over every seed. All three
//     are exact, the last two at the reference's speed.
//
// Codecs: every valid codec with K <= 16 is specialised (SIMD code unrolled
// for the presets' shapes (8,3) and (12,4), run-time loops otherwise); for
// K > 16 the searcher falls back to the reference search (specialised()
// false). Results never depend on the thread count or the SIMD level.
#ifndef SEEDLM_CORE_SEARCH_FAST_SEARCH_H_
#define SEEDLM_CORE_SEARCH_FAST_SEARCH_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/search/fast_search_kernels.h"
#include "core/search/quantizer.h"
#include "core/search/searcher.h"
#include "core/search/seed_bound_table.h"
#include "core/search/seed_table.h"
#include "core/util/cpu_features.h"

namespace seedlm {

// Counters of what the searcher did (cumulative over its Search calls).
struct FastSearchStats {
  int64_t blocks = 0;             // blocks searched
  int64_t scored_seeds = 0;       // seeds scored exactly (all blocks)
  int64_t rescans = 0;            // blocks that needed a second bound pass
  int64_t exhaustive_blocks = 0;  // blocks the bound could not prune at all
  int64_t tie_blocks = 0;         // blocks where every seed ties (seed 1)
  int64_t reference_blocks = 0;   // blocks given to ReferenceSearchBlock
};

class FastSearcher : public BlockSearcher {
 public:
  // INVALID_ARGUMENT for bad options; FAILED_PRECONDITION if `simd` is not
  // supported here (SimdLevelSupported); errors of building the tables.
  static absl::StatusOr<std::unique_ptr<FastSearcher>> Create(
      const SearchOptions& options, SimdLevel simd = SimdLevel::kAuto);

  const SearchOptions& options() const override { return options_; }
  // BlockSearcher::Search; identical results to ReferenceSearcher.
  absl::Status Search(absl::Span<const double> weights,
                      absl::Span<BlockResult> out, ThreadPool* pool,
                      const SearchCallbacks& callbacks) const override;
  // Encodes one block of C finite weights (no checks).
  BlockResult SearchBlock(const double* w) const;

  // The SIMD level in use (never kAuto; kScalar when not specialised).
  SimdLevel simd_level() const { return level_; }
  // False if this codec falls back to the reference search (K > 16).
  bool specialised() const { return bounds_ != nullptr; }
  FastSearchStats stats() const;

 private:
  struct Work;
  struct Scratch;
  FastSearcher(
      const SearchOptions& options, std::shared_ptr<const SeedTable> seeds,
      std::shared_ptr<const fast_search_internal::SeedBoundTable> bounds,
      SimdLevel level);

  void SearchBatch(const double* w, int64_t n, BlockResult* out,
                   FastSearchStats* stats) const;
  bool TieShortcut(const double* w, BlockResult* out) const;
  void ScanAll(Work* works, int n, Scratch* scratch) const;
  void Shrink(Work* work, Scratch* scratch) const;
  void Finish(const Work& work, Scratch* scratch, BlockResult* out,
              FastSearchStats* stats) const;
  void Rescan(const Work& work, float threshold, Scratch* scratch,
              BlockResult* best, FastSearchStats* stats) const;
  void ScoreUnprunable(const double* w, BlockResult* best,
                       FastSearchStats* stats) const;
  void ScoreInto(uint32_t seed, const double* w, BlockResult* best) const;
  void AddStats(const FastSearchStats& s) const;

  SearchOptions options_;
  std::shared_ptr<const SeedTable> seeds_;
  std::shared_ptr<const fast_search_internal::SeedBoundTable> bounds_;
  SimdLevel level_;
  fast_search_internal::BoundKernels kernels_;
  Quantizer quant_;
  double tiny_limit_ = 0.0;      // max|w| below this: every q is 0
  double saturate_limit_ = 0.0;  // >= every |ŵ_c| any candidate produces
  mutable std::atomic<int64_t> stat_[6] = {};
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_FAST_SEARCH_H_
