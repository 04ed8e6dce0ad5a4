#include "server/common/logging.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/util/mutex.h"
#include "nlohmann/json.hpp"
#include "spdlog/logger.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace seedlm::obs {
namespace {

struct LogState {
  Mutex mu;
  std::string process ABSL_GUARDED_BY(mu) = "seedlm";
  LogFormat format ABSL_GUARDED_BY(mu) = LogFormat::kText;
  std::function<void(const std::string&)> sink ABSL_GUARDED_BY(mu);
  std::shared_ptr<spdlog::logger> logger;  // set once, thread-safe itself
  std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};

  LogState()
      : logger(std::make_shared<spdlog::logger>(
            "seedlm", std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);
  }
};

LogState& State() {
  static LogState* state = new LogState();
  return *state;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string ValueText(const LogField& f) {
  if (const auto* s = std::get_if<std::string>(&f.value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&f.value)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&f.value)) {
    return absl::StrFormat("%.6g", *d);
  }
  return std::get<bool>(f.value) ? "true" : "false";
}

std::string LogfmtValue(std::string_view v) {
  bool quote = v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7f) quote = true;
  }
  if (!quote) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

constexpr LogLevel kLevels[] = {LogLevel::kDebug, LogLevel::kInfo,
                                LogLevel::kWarn, LogLevel::kError};
constexpr std::pair<const char*, LogFormat> kFormats[] = {
    {"text", LogFormat::kText},
    {"json", LogFormat::kJson},
    {"logfmt", LogFormat::kLogfmt}};

// Text: control characters would break the one-line rule.
std::string TextValue(std::string_view v) {
  for (unsigned char c : v) {
    if (c < 0x20 || c == 0x7f || c == ' ' || c == '"') return LogfmtValue(v);
  }
  return std::string(v);
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel l : kLevels) {
    if (name == LevelName(l)) return l;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("log level '", std::string(name),
                   "' is not one of debug, info, warn, error"));
}

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  for (const auto& [n, f] : kFormats) {
    if (name == n) return f;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "log format '", std::string(name), "' is not one of text, json, logfmt"));
}

std::vector<std::string> LogLevelNames() {
  std::vector<std::string> names;
  for (LogLevel l : kLevels) names.push_back(LevelName(l));
  return names;
}

std::vector<std::string> LogFormatNames() {
  std::vector<std::string> names;
  for (const auto& [n, f] : kFormats) names.push_back(n);
  return names;
}

std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          std::string_view process, std::string_view message,
                          LogFields fields) {
  const std::string ts =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = LevelName(level);
    j["process"] = std::string(process);
    j["msg"] = std::string(message);
    for (const LogField& f : fields) {
      std::visit([&](const auto& v) { j[std::string(f.key)] = v; }, f.value);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out;
  if (format == LogFormat::kLogfmt) {
    out = absl::StrCat("ts=", ts, " level=", LevelName(level),
                       " process=", LogfmtValue(process),
                       " msg=", LogfmtValue(message));
    for (const LogField& f : fields) {
      absl::StrAppend(&out, " ", std::string(f.key), "=",
                      LogfmtValue(ValueText(f)));
    }
    return out;
  }
  std::string upper = LevelName(level);
  for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
  out = absl::StrCat(ts, " ", upper, " ", std::string(process), ": ");
  for (unsigned char c : message) {
    out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  for (const LogField& f : fields) {
    absl::StrAppend(&out, " ", std::string(f.key), "=",
                    TextValue(ValueText(f)));
  }
  return out;
}

void InitLogging(std::string process, LogLevel level, LogFormat format) {
  LogState& s = State();
  MutexLock lock(&s.mu);
  s.process = std::move(process);
  s.format = format;
  s.sink = nullptr;
  s.level = static_cast<int>(level);
}

absl::Status InitLoggingFromFlags(std::string process, std::string_view level,
                                  std::string_view format) {
  auto l = ParseLogLevel(level);
  if (!l.ok()) return l.status();
  auto f = ParseLogFormat(format);
  if (!f.ok()) return f.status();
  InitLogging(std::move(process), *l, *f);
  return absl::OkStatus();
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= State().level.load();
}

void Log(LogLevel level, std::string_view message, LogFields fields) {
  if (!LogEnabled(level)) return;
  LogState& s = State();
  std::string line;
  std::function<void(const std::string&)> sink;
  {
    MutexLock lock(&s.mu);
    line =
        FormatLogLine(s.format, absl::Now(), level, s.process, message, fields);
    sink = s.sink;
  }
  if (sink) {
    sink(line);
    return;
  }
  s.logger->info(line);
}

void SetLogSinkForTesting(std::function<void(const std::string&)> sink) {
  LogState& s = State();
  MutexLock lock(&s.mu);
  s.sink = std::move(sink);
}

}  // namespace seedlm::obs
