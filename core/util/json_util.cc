#include "core/util/json_util.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace {

std::string Where(absl::string_view where, absl::string_view key) {
  return absl::StrCat(where, ".", key);
}

absl::Status WrongType(absl::string_view where, absl::string_view want,
                       const Json& got) {
  return absl::DataLossError(
      absl::StrCat(where, ": expected ", want, ", got ", JsonTypeName(got)));
}

template <typename T, typename F>
absl::StatusOr<std::optional<T>> OptMember(const Json& obj,
                                           absl::string_view key,
                                           absl::string_view where, F as) {
  absl::StatusOr<const Json*> v = JsonFind(obj, key, where);
  if (!v.ok()) return v.status();
  if (*v == nullptr) return std::optional<T>();
  absl::StatusOr<T> t = as(**v, Where(where, key));
  if (!t.ok()) return t.status();
  return std::optional<T>(*std::move(t));
}

template <typename T>
absl::StatusOr<T> Required(absl::StatusOr<std::optional<T>> v,
                           absl::string_view where, absl::string_view key) {
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return absl::DataLossError(
        absl::StrCat(Where(where, key), ": missing (required)"));
  }
  return **std::move(v);
}

absl::StatusOr<double> AsNumber(const Json& v, double min, double max,
                                absl::string_view where) {
  if (!v.is_number()) return WrongType(where, "a number", v);
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    return absl::DataLossError(absl::StrCat(
        where, ": ", DumpJson(v), " is outside [", min, ", ", max, "]"));
  }
  return d;
}

// The member `key`, which must be present and of `type` (`want` names it).
absl::StatusOr<const Json*> RequiredOfType(const Json& obj,
                                           absl::string_view key,
                                           absl::string_view where,
                                           Json::value_t type,
                                           absl::string_view want) {
  absl::StatusOr<const Json*> v = JsonFind(obj, key, where);
  if (!v.ok()) return v.status();
  if (*v == nullptr) {
    return absl::DataLossError(
        absl::StrCat(Where(where, key), ": missing (", want, " is required)"));
  }
  if ((*v)->type() != type) return WrongType(Where(where, key), want, **v);
  return *v;
}

absl::StatusOr<bool> AsBool(const Json& v, absl::string_view where) {
  if (!v.is_boolean()) return WrongType(where, "a boolean", v);
  return v.get<bool>();
}

// Calls f(c) for every character of `text` outside strings, until f returns
// false. One linear pass; does not validate.
template <typename F>
void ForEachStructuralChar(absl::string_view text, F f) {
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (!f(c)) {
      return;
    }
  }
}

}  // namespace

int JsonNestingDepth(absl::string_view text, int stop_at) {
  int depth = 0, max_depth = 0;
  ForEachStructuralChar(text, [&](char c) {
    if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    return max_depth <= stop_at;
  });
  return max_depth;
}

uint64_t CountJsonItems(absl::string_view text, uint64_t stop_at) {
  uint64_t items = 1;
  ForEachStructuralChar(text, [&](char c) {
    if (c == '{' || c == '[' || c == ':' || c == ',') ++items;
    return items <= stop_at;
  });
  return items;
}

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what,
                               const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ", text.size(), " bytes of JSON exceed the ",
                     limits.max_bytes, "-byte limit"));
  }
  const size_t nul = text.find('\0');
  if (nul != absl::string_view::npos) {
    return absl::DataLossError(absl::StrCat(
        what, ": not valid JSON (a NUL byte at offset ", nul, ")"));
  }
  if (CountJsonItems(text, limits.max_items) > limits.max_items) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": JSON of more than ", limits.max_items,
                     " items (objects, arrays, members, elements)"));
  }
  if (JsonNestingDepth(text, limits.max_depth) > limits.max_depth) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": JSON nests deeper than the limit of ",
                     limits.max_depth, " levels"));
  }
  try {
    Json j = Json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::DataLossError(absl::StrCat(
          what, ": not valid JSON (syntax or invalid UTF-8 in a string)"));
    }
    return j;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": out of memory parsing JSON"));
  } catch (const std::exception& e) {
    return absl::DataLossError(
        absl::StrCat(what, ": not valid JSON (", e.what(), ")"));
  }
}

std::string DumpJson(const Json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false,
                Json::error_handler_t::replace);
}

const char* JsonTypeName(const Json& v) { return v.type_name(); }

absl::StatusOr<const Json*> JsonFind(const Json& obj, absl::string_view key,
                                     absl::string_view where) {
  if (!obj.is_object()) return WrongType(where, "an object", obj);
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::StatusOr<std::string> JsonAsString(const Json& v,
                                         absl::string_view where) {
  if (!v.is_string()) return WrongType(where, "a string", v);
  return v.get<std::string>();
}

absl::StatusOr<int64_t> JsonAsInt(const Json& v, int64_t min, int64_t max,
                                  absl::string_view where) {
  bool in_range = false;
  int64_t n = 0;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(INT64_MAX) &&
               static_cast<int64_t>(u) >= min && static_cast<int64_t>(u) <= max;
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
    in_range = n >= min && n <= max;
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d) {
      return WrongType(where, "an integer", v);
    }
    // Compare as double before converting (no UB on huge values).
    in_range = d >= static_cast<double>(min) && d <= static_cast<double>(max);
    if (in_range) n = static_cast<int64_t>(d);
    in_range = in_range && n >= min && n <= max;
  } else {
    return WrongType(where, "an integer", v);
  }
  if (!in_range) {
    return absl::DataLossError(absl::StrCat(
        where, ": ", DumpJson(v), " is outside [", min, ", ", max, "]"));
  }
  return n;
}

absl::StatusOr<std::optional<std::string>> JsonOptString(
    const Json& obj, absl::string_view key, absl::string_view where) {
  return OptMember<std::string>(obj, key, where, JsonAsString);
}
absl::StatusOr<std::string> JsonString(const Json& obj, absl::string_view key,
                                       absl::string_view where) {
  return Required(JsonOptString(obj, key, where), where, key);
}

absl::StatusOr<std::optional<int64_t>> JsonOptInt(const Json& obj,
                                                  absl::string_view key,
                                                  int64_t min, int64_t max,
                                                  absl::string_view where) {
  return OptMember<int64_t>(obj, key, where,
                            [&](const Json& v, absl::string_view w) {
                              return JsonAsInt(v, min, max, w);
                            });
}
absl::StatusOr<int64_t> JsonInt(const Json& obj, absl::string_view key,
                                int64_t min, int64_t max,
                                absl::string_view where) {
  return Required(JsonOptInt(obj, key, min, max, where), where, key);
}

absl::StatusOr<std::optional<double>> JsonOptNumber(const Json& obj,
                                                    absl::string_view key,
                                                    double min, double max,
                                                    absl::string_view where) {
  return OptMember<double>(obj, key, where,
                           [&](const Json& v, absl::string_view w) {
                             return AsNumber(v, min, max, w);
                           });
}
absl::StatusOr<double> JsonNumber(const Json& obj, absl::string_view key,
                                  double min, double max,
                                  absl::string_view where) {
  return Required(JsonOptNumber(obj, key, min, max, where), where, key);
}

absl::StatusOr<std::optional<bool>> JsonOptBool(const Json& obj,
                                                absl::string_view key,
                                                absl::string_view where) {
  return OptMember<bool>(obj, key, where, AsBool);
}
absl::StatusOr<bool> JsonBool(const Json& obj, absl::string_view key,
                              absl::string_view where) {
  return Required(JsonOptBool(obj, key, where), where, key);
}

absl::StatusOr<const Json*> JsonArray(const Json& obj, absl::string_view key,
                                      absl::string_view where) {
  return RequiredOfType(obj, key, where, Json::value_t::array, "an array");
}

absl::StatusOr<const Json*> JsonObject(const Json& obj, absl::string_view key,
                                       absl::string_view where) {
  return RequiredOfType(obj, key, where, Json::value_t::object, "an object");
}

}  // namespace seedlm
