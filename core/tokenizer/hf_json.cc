#include "core/tokenizer/hf_json.h"

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

std::string Member(absl::string_view path, const char* key) {
  return absl::StrCat(path, ".", key);
}

}  // namespace

std::string Where(absl::string_view path) {
  return absl::StrCat("tokenizer.json: ", path);
}

absl::Status Malformed(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(Where(path), ": ", what));
}

absl::Status Unsupported(absl::string_view path, absl::string_view kind,
                         absl::string_view type, absl::string_view detail) {
  return absl::UnimplementedError(absl::StrCat(
      Where(path), ": ", kind, " type \"", type, "\" is not supported",
      detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")"));
}

int32_t AsId(const Json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t n = v.get<uint64_t>();
    return n < static_cast<uint64_t>(INT32_MAX) ? static_cast<int32_t>(n) : -1;
  }
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    return n >= 0 && n < INT32_MAX ? static_cast<int32_t>(n) : -1;
  }
  return -1;
}

const Json& MemberOrNull(const Json& j, absl::string_view key) {
  static const Json* const kNull = new Json(nullptr);
  if (!j.is_object()) return *kNull;
  auto it = j.find(std::string(key));
  return it == j.end() ? *kNull : *it;
}

absl::StatusOr<std::string> TypeOf(const Json& j, absl::string_view path) {
  return GetString(j, "type", path);
}

absl::StatusOr<std::string> GetString(const Json& j, const char* key,
                                      absl::string_view path) {
  return JsonString(j, key, Where(path));
}

absl::StatusOr<std::optional<std::string>> GetOptString(
    const Json& j, const char* key, absl::string_view path) {
  return JsonOptString(j, key, Where(path));
}

absl::StatusOr<bool> GetBool(const Json& j, const char* key, bool fallback,
                             absl::string_view path) {
  ASSIGN_OR_RETURN(std::optional<bool> b, JsonOptBool(j, key, Where(path)));
  return b.value_or(fallback);
}

absl::StatusOr<int64_t> GetCount(const Json& j, const char* key,
                                 int64_t fallback, absl::string_view path) {
  ASSIGN_OR_RETURN(std::optional<int64_t> n,
                   JsonOptInt(j, key, 0, INT32_MAX - 1, Where(path)));
  return n.value_or(fallback);
}

absl::StatusOr<std::string> GetChar(const Json& j, const char* key,
                                    absl::string_view path) {
  ASSIGN_OR_RETURN(std::string s, GetString(j, key, path));
  size_t len = 0;
  if (!s.empty()) tokenizer_internal::DecodeUtf8(s, 0, &len);
  if (s.empty() || len != s.size()) {
    return Malformed(Member(path, key), "expected exactly one character");
  }
  return s;
}

absl::StatusOr<const Json*> GetArray(const Json& j, const char* key,
                                     absl::string_view path) {
  return JsonArray(j, key, Where(path));
}

absl::StatusOr<PatternSpec> GetPattern(const Json& j, const char* key,
                                       absl::string_view path) {
  const std::string where = Member(path, key);
  ASSIGN_OR_RETURN(const Json* v, JsonObject(j, key, Where(path)));
  ASSIGN_OR_RETURN(std::optional<std::string> literal,
                   JsonOptString(*v, "String", Where(where)));
  ASSIGN_OR_RETURN(std::optional<std::string> regex,
                   JsonOptString(*v, "Regex", Where(where)));
  if (v->size() != 1 || literal.has_value() == regex.has_value()) {
    return Malformed(where, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  PatternSpec p;
  p.is_regex = regex.has_value();
  p.text = p.is_regex ? *std::move(regex) : *std::move(literal);
  if (p.text.size() > kMaxPatternBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        Where(where), ": a ", p.text.size(),
        "-byte pattern exceeds the limit of ", kMaxPatternBytes, " bytes"));
  }
  return p;
}

absl::Status ComponentCounter::Count(absl::string_view path, int depth) {
  if (depth > kMaxComponentDepth) {
    return absl::ResourceExhaustedError(
        absl::StrCat(Where(path), ": Sequences nest deeper than the limit of ",
                     kMaxComponentDepth));
  }
  if (++count_ > kMaxComponentCount) {
    return absl::ResourceExhaustedError(
        absl::StrCat(Where(path), ": more than ", kMaxComponentCount,
                     " components in one tree"));
  }
  return absl::OkStatus();
}

}  // namespace hf_internal
}  // namespace seedlm
