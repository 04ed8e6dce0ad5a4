// Typed access to tokenizer.json (internal), on top of the bounded,
// exception-free JSON layer core/util/json_util.h: every member is read
// through a checked accessor (never `operator[]` / `get<T>()` on an
// unchecked value). Every error is DATA_LOSS "tokenizer.json: <path>: ...";
// an unsupported component is UNIMPLEMENTED naming its kind and type; a
// component tree over the limits of hf_limits.h is RESOURCE_EXHAUSTED.
#ifndef SEEDLM_CORE_TOKENIZER_HF_JSON_H_
#define SEEDLM_CORE_TOKENIZER_HF_JSON_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/util/json_util.h"

namespace seedlm {
namespace hf_internal {

using Json = ::seedlm::Json;

// "tokenizer.json: <path>", the `where` of json_util messages.
std::string Where(absl::string_view path);

// DATA_LOSS "tokenizer.json: <path>: <what>".
absl::Status Malformed(absl::string_view path, absl::string_view what);

// UNIMPLEMENTED "tokenizer.json: <path>: <kind> type "<type>" is not
// supported" (+ an optional detail).
absl::Status Unsupported(absl::string_view path, absl::string_view kind,
                         absl::string_view type, absl::string_view detail = "");

// An id: a JSON integer in [0, INT32_MAX); -1 for anything else.
int32_t AsId(const Json& v);

// The member `key` of object `j`, or a null value when it is missing (a
// reference to a static null: never inserts). `j` must be an object.
const Json& MemberOrNull(const Json& j, absl::string_view key);

// The object's "type" string.
absl::StatusOr<std::string> TypeOf(const Json& j, absl::string_view path);

// A required string member.
absl::StatusOr<std::string> GetString(const Json& j, const char* key,
                                      absl::string_view path);
// A string member that may be missing or null (nullopt then).
absl::StatusOr<std::optional<std::string>> GetOptString(const Json& j,
                                                        const char* key,
                                                        absl::string_view path);
// A boolean member; `fallback` when missing or null.
absl::StatusOr<bool> GetBool(const Json& j, const char* key, bool fallback,
                             absl::string_view path);
// A non-negative 32-bit integer member; `fallback` when missing or null.
absl::StatusOr<int64_t> GetCount(const Json& j, const char* key,
                                 int64_t fallback, absl::string_view path);
// A member holding exactly one character (Rust `char`), as UTF-8.
absl::StatusOr<std::string> GetChar(const Json& j, const char* key,
                                    absl::string_view path);
// A required array member.
absl::StatusOr<const Json*> GetArray(const Json& j, const char* key,
                                     absl::string_view path);

// A split / replace pattern: {"String": "..."} or {"Regex": "..."}, at
// most kMaxPatternBytes long (else RESOURCE_EXHAUSTED).
struct PatternSpec {
  bool is_regex = false;
  std::string text;
};
absl::StatusOr<PatternSpec> GetPattern(const Json& j, const char* key,
                                       absl::string_view path);

// Counts the components of one tree (normalizer, pre_tokenizer, decoder or
// post_processor) while it is parsed: RESOURCE_EXHAUSTED when Sequences nest
// deeper than kMaxComponentDepth or the tree has more than
// kMaxComponentCount components. Parsers recurse at most
// kMaxComponentDepth deep.
class ComponentCounter {
 public:
  // One component at `path`, `depth` Sequences below the top.
  absl::Status Count(absl::string_view path, int depth);

 private:
  int count_ = 0;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_JSON_H_
