#include "server/coordinator/progress_history.h"

#include "gtest/gtest.h"

namespace seedlm::coordinator {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(ProgressHistoryTest, OnePerIntervalOldestFirst) {
  ProgressHistory h(10, absl::Seconds(1));
  h.Add(kT0, 0, 0);
  h.Add(kT0 + absl::Milliseconds(300), 5, 1);  // too close: dropped
  h.Add(kT0 + absl::Seconds(1), 10, 10);
  h.Add(kT0 + absl::Milliseconds(500), 7, 1);  // older than the last
  ASSERT_EQ(h.samples().size(), 2u);
  EXPECT_EQ(h.samples()[0].blocks_done, 0);
  EXPECT_EQ(h.samples()[1].blocks_done, 10);
  EXPECT_EQ(h.samples()[1].blocks_per_second, 10);
}

TEST(ProgressHistoryTest, BoundedKeepsWholeSpanThinningTheOld) {
  ProgressHistory h(600, absl::Seconds(1));
  for (int i = 0; i < 5000; ++i) h.Add(kT0 + absl::Seconds(i), i, 1);
  const auto& s = h.samples();
  ASSERT_LE(s.size(), 600u);
  ASSERT_GE(s.size(), 300u);
  EXPECT_EQ(s.front().time, kT0);  // the start survives thinning
  EXPECT_EQ(s.back().blocks_done, 4999);
  for (size_t i = 1; i < s.size(); ++i) {
    ASSERT_LT(s[i - 1].time, s[i].time) << i;
  }
  // The newest samples keep full resolution.
  EXPECT_EQ(s[s.size() - 1].time - s[s.size() - 2].time, absl::Seconds(1));
  // The oldest were thinned.
  EXPECT_GT(s[1].time - s[0].time, absl::Seconds(1));
}

TEST(RateWindowTest, GrowthPerSecondOverTheWindow) {
  RateWindow w;
  EXPECT_EQ(RatePerSecond(w), 0);
  AddToRateWindow(w, kT0, 100);
  EXPECT_EQ(RatePerSecond(w), 0);
  AddToRateWindow(w, kT0 + absl::Seconds(10), 200);
  EXPECT_DOUBLE_EQ(RatePerSecond(w), 10);
  // Entries older than a minute leave: the rate is the recent one.
  AddToRateWindow(w, kT0 + absl::Seconds(100), 2000);
  AddToRateWindow(w, kT0 + absl::Seconds(110), 2100);
  EXPECT_DOUBLE_EQ(RatePerSecond(w), 10);
}

}  // namespace
}  // namespace seedlm::coordinator
