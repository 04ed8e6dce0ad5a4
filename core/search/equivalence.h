// Checks that a search implementation returns exactly the reference's results:
// deterministic generators of test blocks that stress the fast search's
// bound (magnitudes, heavy tails, exact ties, zero and padded blocks, rounded
// inputs), and a routine that runs two searchers on the same blocks and
// reports every block where their BlockResults differ (seed, e, q, or err
// bits). Used by fast_search_test and by seedlm-verify (bench/verify_main.cc).
#ifndef SEEDLM_CORE_SEARCH_EQUIVALENCE_H_
#define SEEDLM_CORE_SEARCH_EQUIVALENCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/search/searcher.h"
#include "core/util/thread_pool.h"

namespace seedlm {

enum class BlockKind {
  kGauss02,     // i.i.d. N(0, 0.02²), rounded to float32 (like real weights)
  kGauss01,     // σ = 0.01
  kGauss005,    // σ = 0.005
  kStudentT3,   // 0.01 · Student-t with 3 degrees of freedom (heavy tails)
  kOutliers,    // σ = 0.01 with one or two entries 10–30x larger
  kZero,        // all zero (every seed ties: seed 1, e = e_lo, q = 0)
  kSmall,       // σ = 1e-5: most seeds round every coefficient to 0
  kTiny,        // σ = 0.02 scaled by 1e-30
  kHuge,        // σ = 0.02 scaled by 1e30
  kDecoded,     // the float32 decode of a random (seed, e, q): error ~0
  kShiftedTie,  // a decode with q_0 = 0 or q_{P-1} = 0: the neighbouring
                // window reconstructs it identically (exact tie of seeds)
  kBf16,        // σ = 0.02 rounded to bfloat16 (few distinct values)
  kPadded,      // a row end: σ = 0.02 in the first 1..C-1 entries, then 0
  kSparse,      // one or two nonzero entries
};

// All kinds, in the order above.
const std::vector<BlockKind>& AllBlockKinds();
// "gauss-0.02", "gauss-0.01", "gauss-0.005", "student-t3", "outliers",
// "zero", "small", "tiny", "huge", "decoded", "shifted-tie", "bf16", "padded",
// "sparse".
const char* BlockKindName(BlockKind kind);
absl::StatusOr<BlockKind> ParseBlockKind(absl::string_view name);

// n blocks of `kind` for the codec and bias of `options` (n * C doubles), a
// pure function of (options, kind, n, seed).
std::vector<double> GenerateBlocks(const SearchOptions& options, BlockKind kind,
                                   int64_t n, uint64_t seed);

struct Mismatch {
  int64_t index = 0;      // block index within the comparison
  std::vector<double> w;  // the block's weights
  BlockResult fast, reference;
};

struct EquivalenceReport {
  std::string data;  // the generator's name, or the caller's label
  BlockKind kind = BlockKind::kGauss02;
  int64_t blocks = 0;
  int64_t mismatches = 0;
  std::vector<Mismatch> first;  // the first few mismatches
  double fast_seconds = 0.0;
  double reference_seconds = 0.0;
};

// One line per mismatch in `report.first`: weights (%.17g), both results.
std::string FormatMismatches(const EquivalenceReport& report,
                             const SearchOptions& options);

// Runs both searchers on the same n_blocks blocks of `kind` (generated from
// `seed` with fast.options()) and compares every BlockResult bit for bit.
// INVALID_ARGUMENT if the searchers' options differ; errors of Search.
// Keeps the first `max_reported` mismatches.
absl::StatusOr<EquivalenceReport> CompareSearchers(
    const BlockSearcher& fast, const BlockSearcher& reference, BlockKind kind,
    int64_t n_blocks, uint64_t seed, ThreadPool* pool, int max_reported = 5);

// The same on caller-supplied blocks (w.size() a multiple of C), reported
// under `label`.
absl::StatusOr<EquivalenceReport> CompareSearchersOnBlocks(
    const BlockSearcher& fast, const BlockSearcher& reference,
    const std::vector<double>& w, const std::string& label, ThreadPool* pool,
    int max_reported = 5);

// True iff a and b are identical results (block fields and err bits).
bool SameResult(const BlockResult& a, const BlockResult& b);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_EQUIVALENCE_H_
