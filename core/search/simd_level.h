// Run-time selection of the instruction set used by the fast seed search's
// bound kernels (fast_search_kernels.h): portable scalar C++, AVX2+FMA, or
// AVX-512F. The level never changes a search's result (the kernels only
// prune; every kept seed is scored with the reference's float64 arithmetic),
// only its speed, so it can be forced for tests and benchmarks.
//
// kAuto picks the best level this CPU and OS support, unless the environment
// variable SEEDLM_SIMD names a level ("scalar", "avx2", "avx512"), which then
// caps the choice (a level the machine lacks falls back to the best one it
// has). All functions are thread-safe.
#ifndef SEEDLM_CORE_SEARCH_SIMD_LEVEL_H_
#define SEEDLM_CORE_SEARCH_SIMD_LEVEL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seedlm {

enum class SimdLevel {
  kAuto = 0,    // the best supported (see above)
  kScalar = 1,  // portable C++, any CPU
  kAvx2 = 2,    // x86-64 AVX2 + FMA
  kAvx512 = 3,  // x86-64 AVX-512F
};

// "auto", "scalar", "avx2", "avx512".
const char* SimdLevelName(SimdLevel level);
// The inverse of SimdLevelName; INVALID_ARGUMENT for anything else.
absl::StatusOr<SimdLevel> ParseSimdLevel(absl::string_view name);

// True if this build has the level's kernels and this CPU/OS can run them
// (always true for kAuto and kScalar).
bool SimdLevelSupported(SimdLevel level);
// The best supported level (never kAuto), ignoring SEEDLM_SIMD.
SimdLevel BestSimdLevel();
// kAuto -> the level described above; any other level -> itself.
SimdLevel ResolveSimdLevel(SimdLevel requested);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SIMD_LEVEL_H_
