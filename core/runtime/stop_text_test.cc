#include "core/runtime/stop_text.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TokenEvent Ev(int32_t id, std::string text) {
  TokenEvent e;
  e.id = id;
  e.text = std::move(text);
  return e;
}

std::string Text(const std::vector<TokenEvent>& events) {
  std::string s;
  for (const TokenEvent& e : events) s += e.text;
  return s;
}

TEST(StopText, NoStopsPassesEverything) {
  StopText st({});
  std::vector<TokenEvent> out;
  EXPECT_FALSE(st.Add(Ev(1, "ab"), &out));
  EXPECT_FALSE(st.Add(Ev(2, "cd"), &out));
  EXPECT_EQ(Text(out), "abcd");
  ASSERT_EQ(out.size(), 2u);
}

TEST(StopText, CutsBeforeAStopSpanningTokens) {
  StopText st({"o w"});
  std::vector<TokenEvent> out;
  EXPECT_FALSE(st.Add(Ev(1, "Hel"), &out));
  EXPECT_EQ(Text(out), "Hel");
  EXPECT_FALSE(st.Add(Ev(2, "lo"), &out));  // "o" might start "o w"
  EXPECT_EQ(Text(out), "Hel");
  EXPECT_TRUE(st.Add(Ev(3, " world"), &out));
  EXPECT_EQ(Text(out), "Hell");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_EQ(out[1].text, "l");
}

TEST(StopText, ReleasesWhatCannotStartAStop) {
  StopText st({"xyz", "abc"});
  std::vector<TokenEvent> out;
  EXPECT_FALSE(st.Add(Ev(1, "qqx"), &out));
  EXPECT_TRUE(out.empty());  // the event holds a possible start
  EXPECT_FALSE(st.Add(Ev(2, "yq"), &out));
  EXPECT_EQ(Text(out), "qqxyq");
  EXPECT_FALSE(st.Add(Ev(3, "ab"), &out));
  EXPECT_EQ(Text(out), "qqxyq");
  st.Flush(&out);
  EXPECT_EQ(Text(out), "qqxyqab");
  EXPECT_EQ(out.size(), 3u);
}

TEST(StopText, StopAtTheStartOfATokenDropsIt) {
  StopText st({"END"});
  std::vector<TokenEvent> out;
  EXPECT_FALSE(st.Add(Ev(1, "done."), &out));
  EXPECT_TRUE(st.Add(Ev(2, "END"), &out));
  EXPECT_EQ(Text(out), "done.");
  EXPECT_EQ(out.size(), 1u);
}

TEST(StopText, EarliestOfSeveralStopsWins) {
  StopText st({"cd", "b"});
  std::vector<TokenEvent> out;
  EXPECT_TRUE(st.Add(Ev(1, "abcd"), &out));
  EXPECT_EQ(Text(out), "a");
}

TEST(StopText, EmptyPiecesAndEmptyStopsAreHarmless) {
  StopText st({"", "zz"});
  std::vector<TokenEvent> out;
  EXPECT_FALSE(st.Add(Ev(1, ""), &out));
  EXPECT_FALSE(st.Add(Ev(2, "z"), &out));
  EXPECT_EQ(out.size(), 1u);  // the empty one
  EXPECT_TRUE(st.Add(Ev(3, "z!"), &out));
  EXPECT_EQ(Text(out), "");
}

}  // namespace
}  // namespace seedlm
