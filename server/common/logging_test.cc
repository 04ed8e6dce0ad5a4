#include "server/common/logging.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm::obs {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1796684462345);  // 2026-12-07

TEST(LoggingTest, JsonLineParsesWithTypedFields) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, kTime, LogLevel::kWarn, "seedlm-worker",
                    "unit \"done\"\n",
                    {{"job", "j1"}, {"unit", 3}, {"ok", true}, {"x", 0.5}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-12-07T23:01:02.345Z");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["process"], "seedlm-worker");
  EXPECT_EQ(j["msg"], "unit \"done\"\n");
  EXPECT_EQ(j["job"], "j1");
  EXPECT_EQ(j["unit"], 3);
  EXPECT_EQ(j["ok"], true);
  EXPECT_DOUBLE_EQ(j["x"].get<double>(), 0.5);
}

TEST(LoggingTest, LogfmtQuotesAndEscapes) {
  const std::string line = FormatLogLine(
      LogFormat::kLogfmt, kTime, LogLevel::kInfo, "p", "lease expired",
      {{"tensor", "a b=\"c\"\n"}, {"empty", ""}});
  EXPECT_EQ(line,
            "ts=2026-12-07T23:01:02.345Z level=info process=p "
            "msg=\"lease expired\" tensor=\"a b=\\\"c\\\"\\n\" empty=\"\"");
}

TEST(LoggingTest, TextIsOneLine) {
  const std::string line =
      FormatLogLine(LogFormat::kText, kTime, LogLevel::kError, "seedlm-serve",
                    "bad\nthing", {{"request", "r 1"}});
  EXPECT_EQ(line,
            "2026-12-07T23:01:02.345Z ERROR seedlm-serve: bad thing "
            "request=\"r 1\"");
}

TEST(LoggingTest, LevelFiltersAndParse) {
  std::vector<std::string> lines;
  InitLogging("seedlm-test", LogLevel::kWarn, LogFormat::kLogfmt);
  SetLogSinkForTesting([&](const std::string& l) { lines.push_back(l); });
  LogInfo("hidden");
  LogWarn("shown", {{"worker", "w-1"}});
  SetLogSinkForTesting(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("msg=shown worker=w-1"), std::string::npos);
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogLevel("loud").ok());
  EXPECT_FALSE(ParseLogFormat("xml").ok());
  InitLogging("seedlm", LogLevel::kInfo, LogFormat::kText);
}

// The names --help and the completion offer are exactly what parses.
TEST(LoggingTest, NamesAreWhatParses) {
  EXPECT_EQ(LogLevelNames(),
            (std::vector<std::string>{"debug", "info", "warn", "error"}));
  EXPECT_EQ(LogFormatNames(),
            (std::vector<std::string>{"text", "json", "logfmt"}));
  for (const std::string& n : LogLevelNames())
    EXPECT_TRUE(ParseLogLevel(n).ok());
  for (const std::string& n : LogFormatNames()) {
    EXPECT_TRUE(ParseLogFormat(n).ok());
  }
}

}  // namespace
}  // namespace seedlm::obs
