#include "core/search/simd_level.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace seedlm {

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAuto:
      return "auto";
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "?";
}

absl::StatusOr<SimdLevel> ParseSimdLevel(absl::string_view name) {
  for (SimdLevel l : {SimdLevel::kAuto, SimdLevel::kScalar, SimdLevel::kAvx2,
                      SimdLevel::kAvx512}) {
    if (name == SimdLevelName(l)) return l;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown SIMD level '", name, "' (expected auto, scalar, avx2, avx512)"));
}

bool SimdLevelSupported(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAuto:
    case SimdLevel::kScalar:
      return true;
#if defined(__x86_64__) && defined(SEEDLM_HAVE_X86_KERNELS)
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdLevel::kAvx512:
      return __builtin_cpu_supports("avx512f");
#else
    case SimdLevel::kAvx2:
    case SimdLevel::kAvx512:
      return false;
#endif
  }
  return false;
}

SimdLevel BestSimdLevel() {
  if (SimdLevelSupported(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (SimdLevelSupported(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

SimdLevel ResolveSimdLevel(SimdLevel requested) {
  if (requested != SimdLevel::kAuto) return requested;
  SimdLevel best = BestSimdLevel();
  const char* env = std::getenv("SEEDLM_SIMD");
  if (env != nullptr) {
    absl::StatusOr<SimdLevel> cap = ParseSimdLevel(env);
    if (cap.ok() && *cap != SimdLevel::kAuto) {
      best = static_cast<SimdLevel>(
          std::min(static_cast<int>(best), static_cast<int>(*cap)));
    }
  }
  return best;
}

}  // namespace seedlm
