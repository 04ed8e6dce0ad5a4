// The one bounded, exception-free way the project reads JSON from files and
// requests (config.json, safetensors headers, checkpoint manifests,
// tokenizer.json, and later RPC/HTTP bodies).
//
// nlohmann::json throws on a type mismatch (`j["x"].get<int>()` on a string)
// and its DOM has no size or depth bound. Every reader goes through this
// layer instead:
//  - ParseJson() refuses input above a byte limit or nested deeper than a
//    depth limit before building anything (a linear pre-scan), and never
//    throws: malformed JSON and invalid UTF-8 become DATA_LOSS;
//  - the Json* accessors check the type and range of one member and return a
//    Status naming where it was (`<where>.<key>`), never throwing.
// Limits are listed in docs/LIMITS.md.
//
// Error codes: DATA_LOSS for malformed text, a wrong type or an out-of-range
// value; RESOURCE_EXHAUSTED when a limit is exceeded. Callers that read
// request bodies may map DATA_LOSS to INVALID_ARGUMENT. Thread-safe (no
// shared state).
#ifndef SEEDLM_CORE_UTIL_JSON_UTIL_H_
#define SEEDLM_CORE_UTIL_JSON_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace seedlm {

using Json = nlohmann::json;

// The default item limit of JsonLimits (below).
inline constexpr uint64_t kMaxJsonItems = uint64_t{1} << 20;

struct JsonLimits {
  // Largest accepted text, in bytes.
  uint64_t max_bytes = uint64_t{64} << 20;
  // Deepest accepted nesting of arrays and objects (a scalar at the top
  // level has depth 0, `[1]` depth 1).
  int max_depth = 64;
  // Most items (objects, arrays, object members and array elements): a text
  // within the byte limit can still be millions of tiny items, each costing
  // up to ~300 bytes in nlohmann's tree; 2^20 bounds a parse near 300 MiB.
  uint64_t max_items = kMaxJsonItems;
};

// The project's default limits for small metadata files (config.json,
// manifests, safetensors headers are capped by their own readers).
inline constexpr JsonLimits kDefaultJsonLimits{};

// Nesting depth of `text` (arrays and objects, strings skipped), computed in
// one linear pass; stops counting once it exceeds `stop_at`. Does not
// validate the JSON.
int JsonNestingDepth(absl::string_view text, int stop_at);

// Items of `text`: one plus its '{', '[', ':' and ',' outside strings,
// counted in one linear pass that stops once past `stop_at`. An upper bound
// on what a parse builds; does not validate.
uint64_t CountJsonItems(absl::string_view text, uint64_t stop_at);

// Parses `text` (one JSON value). `what` names the source in messages
// ("config.json", "/path/x.safetensors header"). RESOURCE_EXHAUSTED when the
// text exceeds limits.max_bytes, nests deeper than limits.max_depth or holds
// more than limits.max_items items (all checked by linear scans before
// anything is built); DATA_LOSS when it is not valid JSON (including invalid
// UTF-8 in strings, and any NUL byte, at which nlohmann's parser would stop
// as if the text ended there).
absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what,
                               const JsonLimits& limits = kDefaultJsonLimits);

// Serialises without throwing: invalid UTF-8 in strings is replaced by
// U+FFFD. `indent` < 0 is compact.
std::string DumpJson(const Json& j, int indent = -1);

// ---- Checked member access. `obj` must be an object (else DATA_LOSS);
// `where` prefixes messages: "<where>.<key>: expected ...". "Opt" variants
// return nullopt for a missing or null member.

// The member, or nullptr when missing or null.
absl::StatusOr<const Json*> JsonFind(const Json& obj, absl::string_view key,
                                     absl::string_view where);

absl::StatusOr<std::string> JsonString(const Json& obj, absl::string_view key,
                                       absl::string_view where);
absl::StatusOr<std::optional<std::string>> JsonOptString(
    const Json& obj, absl::string_view key, absl::string_view where);

// An integer in [min, max] (a JSON number with no fractional part; floats
// such as 1e3 are accepted when integral and in range).
absl::StatusOr<int64_t> JsonInt(const Json& obj, absl::string_view key,
                                int64_t min, int64_t max,
                                absl::string_view where);
absl::StatusOr<std::optional<int64_t>> JsonOptInt(const Json& obj,
                                                  absl::string_view key,
                                                  int64_t min, int64_t max,
                                                  absl::string_view where);

// A finite number in [min, max].
absl::StatusOr<double> JsonNumber(const Json& obj, absl::string_view key,
                                  double min, double max,
                                  absl::string_view where);
absl::StatusOr<std::optional<double>> JsonOptNumber(const Json& obj,
                                                    absl::string_view key,
                                                    double min, double max,
                                                    absl::string_view where);

absl::StatusOr<bool> JsonBool(const Json& obj, absl::string_view key,
                              absl::string_view where);
absl::StatusOr<std::optional<bool>> JsonOptBool(const Json& obj,
                                                absl::string_view key,
                                                absl::string_view where);

// A member that must be an array / an object (pointer into `obj`).
absl::StatusOr<const Json*> JsonArray(const Json& obj, absl::string_view key,
                                      absl::string_view where);
absl::StatusOr<const Json*> JsonObject(const Json& obj, absl::string_view key,
                                       absl::string_view where);

// The value itself (not a member) as an integer in [min, max]; `where`
// names it fully. For array elements.
absl::StatusOr<int64_t> JsonAsInt(const Json& v, int64_t min, int64_t max,
                                  absl::string_view where);
absl::StatusOr<std::string> JsonAsString(const Json& v,
                                         absl::string_view where);

// The JSON type name of `v` for messages ("string", "number", ...).
const char* JsonTypeName(const Json& v);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_JSON_UTIL_H_
