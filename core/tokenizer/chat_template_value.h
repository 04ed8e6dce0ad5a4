// Values of the chat-template interpreter (internal to chat_template.cc and
// its parser/evaluator): the Python objects a Jinja template sees (None,
// bool, int, str, list, tuple, dict, jinja2's Undefined) and the Python
// semantics of str(), repr(), ==, <, truthiness and the str methods the
// supported subset offers.
//
// Strings are UTF-8 (validated on the way in); lengths, indices and slices
// count code points, as Python's do. Values are cheap to copy: lists and
// dicts are shared, immutable once built. Thread-compatible; the functions
// are pure.
#ifndef SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_VALUE_H_
#define SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seedlm {
namespace chat_internal {

// Largest string, list or dict (approximate bytes) a template may build,
// and the largest output: more is RESOURCE_EXHAUSTED.
inline constexpr size_t kMaxValueBytes = size_t{16} << 20;
// Deepest nesting of list, tuple and dict literals a template may build.
inline constexpr int kMaxValueDepth = 64;

struct Value;
using List = std::vector<Value>;
// A dict with string keys, in insertion order (Python 3.7+ dicts).
using Dict = std::vector<std::pair<std::string, Value>>;

struct Value {
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kString,
    kList,
    kTuple,
    kDict
  };
  Kind kind = Kind::kUndefined;
  bool b = false;
  // Nesting depth of lists, tuples and dicts (0 for scalars).
  int depth = 0;
  int64_t i = 0;
  // kString: the text. kUndefined: why it is undefined, for the error a use
  // of it raises ("'x' is undefined").
  std::string s;
  std::shared_ptr<const List> list;  // kList, kTuple
  std::shared_ptr<const Dict> dict;  // kDict

  static Value Undefined(std::string hint);
  static Value None();
  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Str(std::string v);
  static Value MakeList(List items, bool tuple = false);
  static Value MakeDict(Dict items);

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_string() const { return kind == Kind::kString; }
  // int or bool (Python's bool is an int).
  bool is_int() const { return kind == Kind::kInt || kind == Kind::kBool; }
  bool is_sequence() const {
    return kind == Kind::kList || kind == Kind::kTuple;
  }
  int64_t as_int() const { return kind == Kind::kBool ? (b ? 1 : 0) : i; }
};

// The error using an Undefined raises: INVALID_ARGUMENT with its hint.
absl::Status UndefinedError(const Value& v);

// Python's bool(v); Undefined is false.
bool Truthy(const Value& v);
// Python's str(v); Undefined is "".
std::string ToStr(const Value& v);
// Python's repr(v) (strings quoted and escaped as Python does).
std::string Repr(const Value& v);
// The Python type name, for error messages ("str", "int", "NoneType", ...).
const char* TypeName(const Value& v);
// Python's ==. Undefined equals only Undefined.
bool Equal(const Value& a, const Value& b);
// Python's ordering for <, >, <=, >=: negative, zero or positive.
// INVALID_ARGUMENT for unorderable types (Undefined: its UndefinedError).
absl::StatusOr<int> Compare(const Value& a, const Value& b);
// Rough memory size of v, for the kMaxValueBytes bound.
size_t ApproxBytes(const Value& v);
// RESOURCE_EXHAUSTED when `bytes` passes kMaxValueBytes.
absl::Status CheckSize(size_t bytes);

// Python's str.strip / lstrip / rstrip: `chars` null strips whitespace
// (str.isspace), else any of the code points of *chars.
std::string PyStrip(absl::string_view s, bool left, bool right,
                    const std::string* chars);
// Python's str.upper() / str.lower() (full Unicode case mapping, ICU).
std::string PyUpper(absl::string_view s);
std::string PyLower(absl::string_view s);
// Python's str.isspace() for one code point.
bool IsPySpace(char32_t c);
// Number of code points of valid UTF-8 `s`.
size_t CodePointCount(absl::string_view s);
// Python's str.split(sep) (sep null: split on whitespace runs).
List PySplit(absl::string_view s, const std::string* sep);
// Python's str.replace(old, new).
std::string PyReplace(absl::string_view s, absl::string_view from,
                      absl::string_view to);

// Python's len(): strings (code points), lists, tuples, dicts; Undefined is
// 0. INVALID_ARGUMENT for other types.
absl::StatusOr<int64_t> Length(const Value& v);
// The items a for-loop visits: list/tuple items, dict keys, string
// characters; Undefined gives none. INVALID_ARGUMENT for others.
absl::StatusOr<List> Iterate(const Value& v);
// v[key] with Jinja's lookup rules (environment.getitem/getattr): a missing
// key or index gives Undefined; subscripting Undefined is its error.
absl::StatusOr<Value> GetItem(const Value& v, const Value& key);
// v[start:stop:step] (null bounds omitted), Python's slice semantics.
absl::StatusOr<Value> Slice(const Value& v, const Value* start,
                            const Value* stop, const Value* step);
// `needle in hay` (Python's `in`).
absl::StatusOr<bool> Contains(const Value& hay, const Value& needle);

}  // namespace chat_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_VALUE_H_
