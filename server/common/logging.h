// Structured logs: one line per event on stderr, through spdlog (Debian's
// libspdlog-dev: the thread-safe sink and the level filter) in one of three
// formats chosen by `--log-format`:
//   text    2026-12-06T23:01:02.345Z INFO seedlm-coordinator: unit done job=j1
//   unit=3 json
//   {"ts":"2026-12-06T23:01:02.345Z","level":"info","process":"seedlm-coordinator","msg":"unit
//   done","job":"j1","unit":3} logfmt  ts=2026-12-06T23:01:02.345Z level=info
//   process=seedlm-coordinator msg="unit done" job=j1 unit=3
// Field keys name what an id belongs to: `job`, `unit`, `worker`, `lease`,
// `request`, `executor`, `tensor`. JSON escaping is nlohmann::json's;
// logfmt quotes a value that is empty or holds a space, '=', '"' or a
// control character, escaping '"', '\\' and control characters.
//
// Thread-safe. InitLogging is called once from main before other threads
// start; before it, lines go to stderr as text with process "seedlm" at
// level info.
#ifndef SEEDLM_SERVER_COMMON_LOGGING_H_
#define SEEDLM_SERVER_COMMON_LOGGING_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace seedlm::obs {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson, kLogfmt };

// "debug" | "info" | "warn" | "error"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
// "text" | "json" | "logfmt"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name);
// The names the two parses accept, in that order (for --help and the bash
// completion of --log-level and --log-format).
std::vector<std::string> LogLevelNames();
std::vector<std::string> LogFormatNames();

// One key and its value (a string, an integer, a double or a bool; JSON
// keeps the type).
struct LogField {
  LogField(std::string_view k, std::string_view v)
      : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, uint64_t v)
      : key(k), value(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  std::string_view key;
  std::variant<std::string, int64_t, double, bool> value;
};
using LogFields = std::initializer_list<LogField>;

// Sets the process name shown on every line, the lowest level written and
// the format. Replaces any test sink.
void InitLogging(std::string process, LogLevel level, LogFormat format);
// Parses the values of --log-level and --log-format and calls InitLogging.
// INVALID_ARGUMENT (nothing changed) for a bad value.
absl::Status InitLoggingFromFlags(std::string process, std::string_view level,
                                  std::string_view format);

// Whether a line at `level` would be written.
bool LogEnabled(LogLevel level);

// Writes one line (nothing below the level set).
void Log(LogLevel level, std::string_view message, LogFields fields = {});
inline void LogDebug(std::string_view m, LogFields f = {}) {
  Log(LogLevel::kDebug, m, f);
}
inline void LogInfo(std::string_view m, LogFields f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarn(std::string_view m, LogFields f = {}) {
  Log(LogLevel::kWarn, m, f);
}
inline void LogError(std::string_view m, LogFields f = {}) {
  Log(LogLevel::kError, m, f);
}

// The line Log writes (without the newline). Pure; for tests.
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          std::string_view process, std::string_view message,
                          LogFields fields);

// Tests only: every line written goes to `sink` instead of stderr (an empty
// function restores stderr).
void SetLogSinkForTesting(std::function<void(const std::string&)> sink);

}  // namespace seedlm::obs

#endif  // SEEDLM_SERVER_COMMON_LOGGING_H_
