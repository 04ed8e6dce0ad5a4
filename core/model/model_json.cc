#include "core/model/model_json.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace seedlm {

uint64_t CountJsonItems(absl::string_view text, uint64_t stop_at) {
  uint64_t items = 1;
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
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[' || c == ':' || c == ',') {
      if (++items > stop_at) return items;
    }
  }
  return items;
}

absl::StatusOr<Json> ParseModelJson(absl::string_view text,
                                    absl::string_view what, uint64_t max_bytes,
                                    int max_depth) {
  if (text.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ", text.size(), " bytes of JSON exceed the ",
                     max_bytes, "-byte limit"));
  }
  // Never valid in JSON text, and nlohmann's parser stops at a NUL as if the
  // text ended there, silently ignoring whatever follows.
  const size_t nul = text.find('\0');
  if (nul != absl::string_view::npos) {
    return absl::DataLossError(absl::StrCat(
        what, ": not valid JSON (a NUL byte at offset ", nul, ")"));
  }
  if (CountJsonItems(text, kMaxModelJsonItems) > kMaxModelJsonItems) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": JSON of more than ", kMaxModelJsonItems,
                     " items (objects, arrays, members, elements)"));
  }
  return ParseJson(text, what, JsonLimits{max_bytes, max_depth});
}

}  // namespace seedlm
