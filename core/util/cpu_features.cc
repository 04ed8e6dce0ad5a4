#include "core/util/cpu_features.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace {

std::atomic<int> g_cap{static_cast<int>(SimdLevel::kAuto)};

CpuFeatures Detect() {
  CpuFeatures f;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.bmi2 = __builtin_cpu_supports("bmi2");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
#endif
  return f;
}

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

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
  const CpuFeatures& f = DetectCpuFeatures();
  switch (level) {
    case SimdLevel::kAuto:
    case SimdLevel::kScalar:
      return true;
#if defined(__x86_64__)
    case SimdLevel::kAvx2:
      return f.avx2 && f.fma && f.bmi2;
    case SimdLevel::kAvx512:
      return SimdLevelSupported(SimdLevel::kAvx2) && f.avx512f && f.avx512bw &&
             f.avx512vl && f.avx512vnni;
#else
    case SimdLevel::kAvx2:
    case SimdLevel::kAvx512:
      (void)f;
      return false;
#endif
  }
  return false;
}

SimdLevel BestSimdLevel() {
  static const SimdLevel best = LowerToSupported(SimdLevel::kAvx512);
  return best;
}

SimdLevel LowerToSupported(SimdLevel level) {
  if (level == SimdLevel::kAuto) return BestSimdLevel();
  while (level != SimdLevel::kScalar && !SimdLevelSupported(level)) {
    level = static_cast<SimdLevel>(static_cast<int>(level) - 1);
  }
  return level;
}

void SetSimdLevelCap(SimdLevel cap) {
  g_cap.store(static_cast<int>(cap), std::memory_order_relaxed);
}

SimdLevel SimdLevelCap() {
  return static_cast<SimdLevel>(g_cap.load(std::memory_order_relaxed));
}

absl::Status SetSimdLevelCapFrom(const char* value) {
  if (value == nullptr || *value == '\0') return absl::OkStatus();
  absl::StatusOr<SimdLevel> level = ParseSimdLevel(value);
  if (!level.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SEEDLM_SIMD: ", level.status().message()));
  }
  SetSimdLevelCap(*level);
  return absl::OkStatus();
}

SimdLevel ResolveSimdLevel(SimdLevel requested) {
  if (requested != SimdLevel::kAuto) return requested;
  const SimdLevel cap = SimdLevelCap();
  // kAuto (0) as a cap means none; levels are nested, so the lower wins.
  return cap == SimdLevel::kAuto ? BestSimdLevel()
                                 : std::min(BestSimdLevel(), cap);
}

}  // namespace seedlm
