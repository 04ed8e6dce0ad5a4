#include "core/util/cpu_features.h"

#include "gtest/gtest.h"

namespace seedlm {
namespace {

// Restores the process-wide cap when a test ends.
class CapGuard {
 public:
  CapGuard() : saved_(SimdLevelCap()) {}
  ~CapGuard() { SetSimdLevelCap(saved_); }

 private:
  SimdLevel saved_;
};

TEST(CpuFeaturesTest, NamesRoundTrip) {
  for (SimdLevel l : {SimdLevel::kAuto, SimdLevel::kScalar, SimdLevel::kAvx2,
                      SimdLevel::kAvx512}) {
    EXPECT_EQ(*ParseSimdLevel(SimdLevelName(l)), l);
  }
  EXPECT_EQ(ParseSimdLevel("sse").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CpuFeaturesTest, LevelsAreNestedAndMatchTheFeatures) {
  const CpuFeatures& f = DetectCpuFeatures();
  EXPECT_TRUE(SimdLevelSupported(SimdLevel::kScalar));
  EXPECT_TRUE(SimdLevelSupported(SimdLevel::kAuto));
  if (SimdLevelSupported(SimdLevel::kAvx512)) {
    EXPECT_TRUE(SimdLevelSupported(SimdLevel::kAvx2));
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
  }
  if (SimdLevelSupported(SimdLevel::kAvx2)) {
    EXPECT_TRUE(f.avx2 && f.fma && f.bmi2);
  }
  const SimdLevel best = BestSimdLevel();
  EXPECT_NE(best, SimdLevel::kAuto);
  EXPECT_TRUE(SimdLevelSupported(best));
  EXPECT_EQ(LowerToSupported(SimdLevel::kAvx512), best);
  EXPECT_EQ(LowerToSupported(SimdLevel::kScalar), SimdLevel::kScalar);
}

TEST(CpuFeaturesTest, CapLimitsAutoOnly) {
  CapGuard guard;
  SetSimdLevelCap(SimdLevel::kAuto);
  EXPECT_EQ(ResolveSimdLevel(SimdLevel::kAuto), BestSimdLevel());
  SetSimdLevelCap(SimdLevel::kScalar);
  EXPECT_EQ(ResolveSimdLevel(SimdLevel::kAuto), SimdLevel::kScalar);
  // An explicit request is not capped.
  EXPECT_EQ(ResolveSimdLevel(SimdLevel::kAvx2), SimdLevel::kAvx2);
  // A cap above what the CPU has resolves to the best level.
  SetSimdLevelCap(SimdLevel::kAvx512);
  EXPECT_EQ(ResolveSimdLevel(SimdLevel::kAuto), BestSimdLevel());
}

TEST(CpuFeaturesTest, CapFromText) {
  CapGuard guard;
  SetSimdLevelCap(SimdLevel::kAuto);
  EXPECT_TRUE(SetSimdLevelCapFrom(nullptr).ok());
  EXPECT_TRUE(SetSimdLevelCapFrom("").ok());
  EXPECT_EQ(SimdLevelCap(), SimdLevel::kAuto);
  EXPECT_TRUE(SetSimdLevelCapFrom("scalar").ok());
  EXPECT_EQ(SimdLevelCap(), SimdLevel::kScalar);
  const absl::Status bad = SetSimdLevelCapFrom("neon");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("SEEDLM_SIMD"), absl::string_view::npos);
  EXPECT_EQ(SimdLevelCap(), SimdLevel::kScalar);  // unchanged
}

}  // namespace
}  // namespace seedlm
