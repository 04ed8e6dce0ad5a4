#include "core/tokenizer/hf_json.h"

#include "absl/strings/str_cat.h"
#include "core/tokenizer/unicode_util.h"

namespace seedlm {
namespace hf_internal {
namespace {

std::string Member(absl::string_view path, const char* key) {
  return absl::StrCat(path, ".", key);
}

// The member, or nullptr when missing or null. Malformed when `j` is not an
// object.
absl::StatusOr<const Json*> Find(const Json& j, const char* key,
                                 absl::string_view path) {
  if (!j.is_object()) return Malformed(path, "expected an object");
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

absl::Status Malformed(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("tokenizer.json: ", path, ": ", what));
}

absl::Status Unsupported(absl::string_view path, absl::string_view kind,
                         absl::string_view type, absl::string_view detail) {
  return absl::UnimplementedError(
      absl::StrCat("tokenizer.json: ", path, ": ", kind, " type \"", type,
                   "\" is not supported", detail.empty() ? "" : " (", detail,
                   detail.empty() ? "" : ")"));
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

absl::StatusOr<std::string> TypeOf(const Json& j, absl::string_view path) {
  return GetString(j, "type", path);
}

absl::StatusOr<std::string> GetString(const Json& j, const char* key,
                                      absl::string_view path) {
  absl::StatusOr<std::optional<std::string>> s = GetOptString(j, key, path);
  if (!s.ok()) return s.status();
  if (!s->has_value()) {
    return Malformed(Member(path, key), "missing (a string is required)");
  }
  return **s;
}

absl::StatusOr<std::optional<std::string>> GetOptString(
    const Json& j, const char* key, absl::string_view path) {
  absl::StatusOr<const Json*> v = Find(j, key, path);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return std::optional<std::string>();
  if (!(*v)->is_string()) {
    return Malformed(Member(path, key), "expected a string");
  }
  return std::optional<std::string>((*v)->get<std::string>());
}

absl::StatusOr<bool> GetBool(const Json& j, const char* key, bool fallback,
                             absl::string_view path) {
  absl::StatusOr<const Json*> v = Find(j, key, path);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return fallback;
  if (!(*v)->is_boolean()) {
    return Malformed(Member(path, key), "expected true or false");
  }
  return (*v)->get<bool>();
}

absl::StatusOr<int64_t> GetCount(const Json& j, const char* key,
                                 int64_t fallback, absl::string_view path) {
  absl::StatusOr<const Json*> v = Find(j, key, path);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return fallback;
  const int32_t n = AsId(**v);
  if (n < 0) {
    return Malformed(Member(path, key),
                     "expected a non-negative 32-bit integer");
  }
  return n;
}

absl::StatusOr<std::string> GetChar(const Json& j, const char* key,
                                    absl::string_view path) {
  absl::StatusOr<std::string> s = GetString(j, key, path);
  if (!s.ok()) return s.status();
  size_t len = 0;
  if (!s->empty()) tokenizer_internal::DecodeUtf8(*s, 0, &len);
  if (s->empty() || len != s->size()) {
    return Malformed(Member(path, key), "expected exactly one character");
  }
  return s;
}

absl::StatusOr<const Json*> GetArray(const Json& j, const char* key,
                                     absl::string_view path) {
  absl::StatusOr<const Json*> v = Find(j, key, path);
  if (!v.ok()) return v.status();
  if (*v == nullptr || !(*v)->is_array()) {
    return Malformed(Member(path, key), "expected an array");
  }
  return *v;
}

absl::StatusOr<PatternSpec> GetPattern(const Json& j, const char* key,
                                       absl::string_view path) {
  absl::StatusOr<const Json*> v = Find(j, key, path);
  if (!v.ok()) return v.status();
  const std::string where = Member(path, key);
  if (*v == nullptr || !(*v)->is_object() || (*v)->size() != 1) {
    return Malformed(where, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  PatternSpec p;
  if ((*v)->contains("String")) {
    absl::StatusOr<std::string> s = GetString(**v, "String", where);
    if (!s.ok()) return s.status();
    p.text = *std::move(s);
  } else if ((*v)->contains("Regex")) {
    absl::StatusOr<std::string> s = GetString(**v, "Regex", where);
    if (!s.ok()) return s.status();
    p.is_regex = true;
    p.text = *std::move(s);
  } else {
    return Malformed(where, "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  return p;
}

}  // namespace hf_internal
}  // namespace seedlm
