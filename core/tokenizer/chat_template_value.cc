#include "core/tokenizer/chat_template_value.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/tokenizer/unicode_util.h"

namespace seedlm {
namespace chat_internal {
namespace {

using tokenizer_internal::DecodeUtf8;
using tokenizer_internal::SplitChars;

// Python's str.isprintable() for one code point.
bool IsPyPrintable(char32_t c) {
  if (c == ' ') return true;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return true;
  }
}

std::string ReprString(absl::string_view s) {
  const bool has_single = s.find('\'') != absl::string_view::npos;
  const bool has_double = s.find('"') != absl::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t pos = 0; pos < s.size();) {
    size_t len = 0;
    const char32_t c = DecodeUtf8(s, pos, &len);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x7f && c >= 0x20) {
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x7f && IsPyPrintable(c) && c != 0x7f) {
      absl::StrAppend(&out, s.substr(pos, len));
    } else if (c <= 0xff) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<uint32_t>(c));
    } else if (c <= 0xffff) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<uint32_t>(c));
    } else {
      absl::StrAppendFormat(&out, "\\U%08x", static_cast<uint32_t>(c));
    }
    pos += len;
  }
  out.push_back(quote);
  return out;
}

std::string ReprItems(const List& items, const char* open, const char* close,
                      bool tuple) {
  std::string out = open;
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += ", ";
    out += Repr(items[k]);
  }
  if (tuple && items.size() == 1) out += ",";
  return out + close;
}

// Python's index normalization: a negative index counts from the end.
bool NormalizeIndex(int64_t index, size_t size, size_t* out) {
  const int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return false;
  *out = static_cast<size_t>(index);
  return true;
}

// PySlice_AdjustIndices: the positions a slice visits.
absl::StatusOr<std::vector<size_t>> SliceIndices(size_t size,
                                                 const Value* start,
                                                 const Value* stop,
                                                 const Value* step) {
  for (const Value* v : {start, stop, step}) {
    if (v != nullptr && v->kind != Value::Kind::kNone && !v->is_int()) {
      return absl::InvalidArgumentError(
          "slice indices must be integers or None");
    }
  }
  auto given = [](const Value* v) {
    return v != nullptr && v->kind != Value::Kind::kNone;
  };
  const int64_t n = static_cast<int64_t>(size);
  const int64_t st = given(step) ? step->as_int() : 1;
  if (st == 0) return absl::InvalidArgumentError("slice step cannot be zero");
  auto adjust = [&](const Value* v, int64_t dflt) {
    if (!given(v)) return dflt;
    int64_t x = v->as_int();
    if (x < 0) {
      x += n;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= n) {
      x = st < 0 ? n - 1 : n;
    }
    return x;
  };
  const int64_t lo = adjust(start, st < 0 ? n - 1 : 0);
  const int64_t hi = adjust(stop, st < 0 ? -1 : n);
  std::vector<size_t> out;
  for (int64_t k = lo; st > 0 ? k < hi : k > hi; k += st) {
    out.push_back(static_cast<size_t>(k));
  }
  return out;
}

}  // namespace

Value Value::Undefined(std::string hint) {
  Value v;
  v.s = std::move(hint);
  return v;
}
Value Value::None() {
  Value v;
  v.kind = Kind::kNone;
  return v;
}
Value Value::Bool(bool x) {
  Value v;
  v.kind = Kind::kBool;
  v.b = x;
  return v;
}
Value Value::Int(int64_t x) {
  Value v;
  v.kind = Kind::kInt;
  v.i = x;
  return v;
}
Value Value::Str(std::string x) {
  Value v;
  v.kind = Kind::kString;
  v.s = std::move(x);
  return v;
}
Value Value::MakeList(List items, bool tuple) {
  Value v;
  v.kind = tuple ? Kind::kTuple : Kind::kList;
  for (const Value& e : items) v.depth = std::max(v.depth, e.depth + 1);
  if (items.empty()) v.depth = 1;
  v.list = std::make_shared<const List>(std::move(items));
  return v;
}
Value Value::MakeDict(Dict items) {
  Value v;
  v.kind = Kind::kDict;
  v.depth = 1;
  for (const auto& e : items) v.depth = std::max(v.depth, e.second.depth + 1);
  v.dict = std::make_shared<const Dict>(std::move(items));
  return v;
}

absl::Status UndefinedError(const Value& v) {
  return absl::InvalidArgumentError(v.s.empty() ? "undefined value" : v.s);
}

bool Truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kInt:
      return v.i != 0;
    case Value::Kind::kString:
      return !v.s.empty();
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return !v.list->empty();
    case Value::Kind::kDict:
      return !v.dict->empty();
  }
  return false;
}

std::string ToStr(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kString:
      return v.s;
    default:
      return Repr(v);
  }
}

std::string Repr(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.b ? "True" : "False";
    case Value::Kind::kInt:
      return absl::StrCat(v.i);
    case Value::Kind::kString:
      return ReprString(v.s);
    case Value::Kind::kList:
      return ReprItems(*v.list, "[", "]", false);
    case Value::Kind::kTuple:
      return ReprItems(*v.list, "(", ")", true);
    case Value::Kind::kDict: {
      std::string out = "{";
      for (size_t k = 0; k < v.dict->size(); ++k) {
        if (k > 0) out += ", ";
        out +=
            ReprString((*v.dict)[k].first) + ": " + Repr((*v.dict)[k].second);
      }
      return out + "}";
    }
  }
  return "";
}

const char* TypeName(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kNone:
      return "NoneType";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kTuple:
      return "tuple";
    case Value::Kind::kDict:
      return "dict";
  }
  return "object";
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.s == b.s;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      if (a.list->size() != b.list->size()) return false;
      for (size_t k = 0; k < a.list->size(); ++k) {
        if (!Equal((*a.list)[k], (*b.list)[k])) return false;
      }
      return true;
    case Value::Kind::kDict:
      if (a.dict->size() != b.dict->size()) return false;
      for (const auto& [key, value] : *a.dict) {
        const auto it = std::find_if(
            b.dict->begin(), b.dict->end(),
            [&key = key](const auto& e) { return e.first == key; });
        if (it == b.dict->end() || !Equal(value, it->second)) return false;
      }
      return true;
    default:
      return false;
  }
}

absl::StatusOr<int> Compare(const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.s.compare(b.s);  // UTF-8 byte order is code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_sequence() && a.kind == b.kind) {
    const size_t n = std::min(a.list->size(), b.list->size());
    for (size_t k = 0; k < n; ++k) {
      if (Equal((*a.list)[k], (*b.list)[k])) continue;
      return Compare((*a.list)[k], (*b.list)[k]);
    }
    return a.list->size() < b.list->size()
               ? -1
               : (a.list->size() > b.list->size() ? 1 : 0);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("comparison not supported between instances of '%s' "
                      "and '%s'",
                      TypeName(a), TypeName(b)));
}

size_t ApproxBytes(const Value& v) {
  size_t n = sizeof(Value);
  if (v.is_string()) n += v.s.size();
  if (v.is_sequence()) {
    for (const Value& e : *v.list) n += ApproxBytes(e);
  }
  if (v.kind == Value::Kind::kDict) {
    for (const auto& [key, value] : *v.dict)
      n += key.size() + ApproxBytes(value);
  }
  return n;
}

absl::Status CheckSize(size_t bytes) {
  if (bytes > kMaxValueBytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "chat template builds a value of %d bytes, over the %d-byte limit",
        bytes, kMaxValueBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Length(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return 0;
    case Value::Kind::kString:
      return static_cast<int64_t>(CodePointCount(v.s));
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return static_cast<int64_t>(v.list->size());
    case Value::Kind::kDict:
      return static_cast<int64_t>(v.dict->size());
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("object of type '%s' has no len()", TypeName(v)));
  }
}

absl::StatusOr<List> Iterate(const Value& v) {
  List out;
  switch (v.kind) {
    case Value::Kind::kUndefined:
      return out;
    case Value::Kind::kString:
      for (absl::string_view c : SplitChars(v.s)) {
        out.push_back(Value::Str(std::string(c)));
      }
      return out;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return *v.list;
    case Value::Kind::kDict:
      for (const auto& e : *v.dict) out.push_back(Value::Str(e.first));
      return out;
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s' object is not iterable", TypeName(v)));
  }
}

absl::StatusOr<Value> GetItem(const Value& v, const Value& key) {
  if (v.is_undefined()) return UndefinedError(v);
  const std::string missing =
      absl::StrFormat("'%s object' has no attribute %s", TypeName(v),
                      key.is_string() ? key.s : Repr(key));
  if (v.kind == Value::Kind::kDict && key.is_string()) {
    for (const auto& [k, value] : *v.dict) {
      if (k == key.s) return value;
    }
  }
  if ((v.is_sequence() || v.is_string()) && key.is_int()) {
    size_t index = 0;
    if (v.is_sequence() &&
        NormalizeIndex(key.as_int(), v.list->size(), &index)) {
      return (*v.list)[index];
    }
    if (v.is_string()) {
      std::vector<absl::string_view> cs = SplitChars(v.s);
      if (NormalizeIndex(key.as_int(), cs.size(), &index)) {
        return Value::Str(std::string(cs[index]));
      }
    }
  }
  return Value::Undefined(missing);
}

absl::StatusOr<Value> Slice(const Value& v, const Value* start,
                            const Value* stop, const Value* step) {
  if (v.is_undefined()) return UndefinedError(v);
  if (v.is_string()) {
    std::vector<absl::string_view> cs = SplitChars(v.s);
    absl::StatusOr<std::vector<size_t>> idx =
        SliceIndices(cs.size(), start, stop, step);
    if (!idx.ok()) return idx.status();
    std::string out;
    for (size_t k : *idx) absl::StrAppend(&out, cs[k]);
    return Value::Str(std::move(out));
  }
  if (v.is_sequence()) {
    absl::StatusOr<std::vector<size_t>> idx =
        SliceIndices(v.list->size(), start, stop, step);
    if (!idx.ok()) return idx.status();
    List out;
    for (size_t k : *idx) out.push_back((*v.list)[k]);
    return Value::MakeList(std::move(out), v.kind == Value::Kind::kTuple);
  }
  return Value::Undefined(
      absl::StrFormat("'%s' object is not subscriptable", TypeName(v)));
}

absl::StatusOr<bool> Contains(const Value& hay, const Value& needle) {
  switch (hay.kind) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kString:
      if (!needle.is_string()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "'in <string>' requires string as left operand, not %s",
            TypeName(needle)));
      }
      return hay.s.find(needle.s) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& e : *hay.list) {
        if (Equal(e, needle)) return true;
      }
      return false;
    case Value::Kind::kDict:
      if (!needle.is_string()) return false;
      for (const auto& e : *hay.dict) {
        if (e.first == needle.s) return true;
      }
      return false;
    default:
      return absl::InvalidArgumentError(absl::StrFormat(
          "argument of type '%s' is not iterable", TypeName(hay)));
  }
}

}  // namespace chat_internal
}  // namespace seedlm
