#include "core/codec/seed_expander.h"

#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

void ExpectMatchesSeedMatrix(const CodecConfig& c, uint32_t step) {
  ASSERT_TRUE(c.Validate().ok());
  SeedExpander x(c);
  std::vector<int32_t> want(c.C * c.P), got(c.C * c.P);
  for (uint32_t s = 1; s <= c.num_seeds(); s += step) {
    SeedMatrix(c, s, want.data());
    x.Expand(s, got.data());
    ASSERT_EQ(got, want) << "seed " << s << " K " << c.K << " C " << c.C;
  }
  // The last seed too (all ones).
  SeedMatrix(c, c.num_seeds(), want.data());
  x.Expand(c.num_seeds(), got.data());
  EXPECT_EQ(got, want);
}

// Every seed of every preset.
TEST(SeedExpander, EqualsSeedMatrixForEverySeedOfThePresets) {
  for (const std::string& name : PresetNames()) {
    ExpectMatchesSeedMatrix(*PresetByName(name), 1);
  }
}

TEST(SeedExpander, OtherLengthsAndShapes) {
  for (int K : {2, 5, 8, 9, 12, 17, 20, 24}) {
    for (Variant v : {Variant::kPaper, Variant::kI8}) {
      CodecConfig c;
      c.K = K;
      c.variant = v;
      c.C = 5;
      c.P = 2;
      if (!c.Validate().ok()) continue;
      ExpectMatchesSeedMatrix(c, K > 16 ? 4099 : 1);
    }
  }
}

TEST(SeedExpander, SharedInstancePerCodec) {
  const CodecConfig c = *PresetByName("4bit");
  EXPECT_EQ(SeedExpander::Get(c).get(), SeedExpander::Get(c).get());
  EXPECT_NE(SeedExpander::Get(c).get(),
            SeedExpander::Get(*PresetByName("3bit")).get());
}

}  // namespace
}  // namespace seedlm
