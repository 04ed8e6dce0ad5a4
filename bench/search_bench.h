// `seedlm-bench search`: the speed of the fast exact seed search
// (core/search/fast_search.h) against the reference search, measured in the
// same run on the same blocks, plus optionally a whole-matrix compress.
//
//   seedlm-bench search --preset 4bit[,3bit,...|all] [--mode search]
//       [--blocks N] [--reference-blocks M] [--threads T] [--simd auto]
//       [--kind gauss-0.02] [--tensor 4096x512] [--json]
//
// The fast searcher encodes N blocks of the chosen generator (equivalence.h),
// the reference the first M of them (default max(50, N/100)); the reference's
// results are compared with the fast ones (any difference is an error: exit
// status 1). Rates are wall-clock blocks per second, and for the fast search
// also blocks per CPU second of the process (per-thread throughput, less
// sensitive to other load on a shared machine); table building is timed
// separately (setup) and excluded.
//
// Trellis presets (4bit-t, 3bit-t, ...; [--trellis-rows 16]
// [--trellis-cols 4096] [--trellis-l L]) encode rows of --kind weights with
// TrellisEncodeRow, one row per thread, with the impl of --simd (scalar:
// portable), and the reference the first M rows (default 1), which must give
// the same bytes; the table gives weights/s for every row and each trellis
// preset's ratio to the run's first block preset (e.g. 4bit-p4).
#ifndef SEEDLM_BENCH_SEARCH_BENCH_H_
#define SEEDLM_BENCH_SEARCH_BENCH_H_

#include <string>
#include <vector>

namespace seedlm {

// Entry point of the subcommand (args after "search"); returns the exit
// status: 0 ok, 1 failure or mismatch, 2 usage error.
int SearchMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_SEARCH_BENCH_H_
