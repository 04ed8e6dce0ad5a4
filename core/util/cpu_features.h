// The one place where the CPU's SIMD features are detected and a SIMD level
// is chosen, for every run-time dispatched kernel of the project (the fast
// search's bound kernels in core/search, the weight kernels in
// core/runtime). The level never changes a result — every fast path is
// bit-identical to its scalar reference — only the speed, so it can be capped
// for tests and benchmarks.
//
// The library never reads the environment: a program's main() reads its
// override (SEEDLM_SIMD, a flag) once and passes it down with
// SetSimdLevelCap(). All functions are thread-safe.
#ifndef SEEDLM_CORE_UTIL_CPU_FEATURES_H_
#define SEEDLM_CORE_UTIL_CPU_FEATURES_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seedlm {

// What this CPU (and OS: AVX state enabled) supports, detected once.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool bmi2 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
};
const CpuFeatures& DetectCpuFeatures();

// Instruction-set levels, ordered: a higher level includes the lower ones.
// Each level is defined by ALL the features its kernels are compiled with,
// so that every dispatched module agrees on what a level requires:
//   kAvx2   = AVX2 + FMA + BMI2
//   kAvx512 = kAvx2 + AVX-512 F, BW, VL and VNNI
enum class SimdLevel {
  kAuto = 0,    // the best supported, capped by SetSimdLevelCap
  kScalar = 1,  // portable C++, any CPU
  kAvx2 = 2,
  kAvx512 = 3,
};

// "auto", "scalar", "avx2", "avx512".
const char* SimdLevelName(SimdLevel level);
// The inverse of SimdLevelName; INVALID_ARGUMENT for anything else.
absl::StatusOr<SimdLevel> ParseSimdLevel(absl::string_view name);

// True if this build has kernels for the level (every x86-64 build does) and
// the CPU has its features (always true for kAuto and kScalar).
bool SimdLevelSupported(SimdLevel level);
// The best supported level (never kAuto), ignoring the cap.
SimdLevel BestSimdLevel();
// The highest supported level <= `level` (kAuto: BestSimdLevel()).
SimdLevel LowerToSupported(SimdLevel level);

// Caps the level kAuto resolves to, for the whole process (kAuto: no cap,
// the default). Meant to be called once by main() before any kernel runs;
// later calls take effect for later resolutions.
void SetSimdLevelCap(SimdLevel cap);
SimdLevel SimdLevelCap();
// For main(): `value` is the override a program was given (e.g. the value of
// $SEEDLM_SIMD; null or empty: none). Sets the cap to ParseSimdLevel(value);
// INVALID_ARGUMENT (cap unchanged) for an unknown name.
absl::Status SetSimdLevelCapFrom(const char* value);

// kAuto -> min(BestSimdLevel(), cap); any other level -> itself (callers
// check SimdLevelSupported or lower it with LowerToSupported).
SimdLevel ResolveSimdLevel(SimdLevel requested);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_CPU_FEATURES_H_
