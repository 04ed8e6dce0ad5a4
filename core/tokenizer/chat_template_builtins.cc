#include "core/tokenizer/chat_template_builtins.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace chat_internal {
namespace {

struct Param {
  const char* name;
  Value dflt;  // Undefined: required
};

struct Builtin {
  const char* name;
  std::vector<Param> params;
};

const std::vector<Builtin>& Filters() {
  static const auto* kFilters = new std::vector<Builtin>{
      {"trim", {{"chars", Value::None()}}},
      {"length", {}},
      {"count", {}},
      {"upper", {}},
      {"lower", {}},
      {"string", {}},
      {"first", {}},
      {"last", {}},
      {"join", {{"d", Value::Str("")}}},
      {"default",
       {{"default_value", Value::Str("")}, {"boolean", Value::Bool(false)}}},
      {"d",
       {{"default_value", Value::Str("")}, {"boolean", Value::Bool(false)}}},
  };
  return *kFilters;
}

// Methods: name, required arguments, most arguments.
struct Method {
  const char* name;
  size_t min_args;
  size_t max_args;
};
constexpr Method kMethods[] = {
    {"strip", 0, 1},      {"lstrip", 0, 1},   {"rstrip", 0, 1},
    {"startswith", 1, 1}, {"endswith", 1, 1}, {"upper", 0, 0},
    {"lower", 0, 0},      {"split", 0, 1},    {"replace", 2, 2},
    {"items", 0, 0},      {"keys", 0, 0},     {"values", 0, 0},
    {"get", 1, 2},
};

absl::Status Unsupported(size_t offset, const std::string& what) {
  return absl::UnimplementedError(absl::StrFormat(
      "chat template uses %s (offset %d), outside the supported Jinja subset",
      what, offset));
}

absl::Status ArgCount(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "chat template syntax error at offset %d: wrong number of arguments "
      "for %s",
      offset, what));
}

absl::StatusOr<bool> HasPrefix(const Value& s, const Value& affix,
                               bool suffix) {
  std::vector<Value> options;
  if (affix.kind == Value::Kind::kTuple) {
    options = *affix.list;
  } else {
    options.push_back(affix);
  }
  for (const Value& o : options) {
    if (!o.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s arg must be str or a tuple of str, not %s",
                          suffix ? "endswith" : "startswith", TypeName(o)));
    }
    const bool hit =
        o.s.size() <= s.s.size() &&
        (suffix ? s.s.compare(s.s.size() - o.s.size(), o.s.size(), o.s) == 0
                : s.s.compare(0, o.s.size(), o.s) == 0);
    if (hit) return true;
  }
  return false;
}

absl::StatusOr<Value> StringMethod(absl::string_view name, const Value& v,
                                   const std::vector<Value>& args) {
  auto str_arg = [&](size_t k,
                     bool optional) -> absl::StatusOr<const std::string*> {
    if (k >= args.size() || (optional && args[k].kind == Value::Kind::kNone)) {
      return nullptr;
    }
    if (!args[k].is_string()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "str.%s() argument must be str, not %s", name, TypeName(args[k])));
    }
    return &args[k].s;
  };
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ASSIGN_OR_RETURN(const std::string* chars, str_arg(0, true));
    return Value::Str(PyStrip(v.s, name != "rstrip", name != "lstrip", chars));
  }
  if (name == "startswith" || name == "endswith") {
    ASSIGN_OR_RETURN(bool hit, HasPrefix(v, args[0], name == "endswith"));
    return Value::Bool(hit);
  }
  if (name == "upper") return Value::Str(PyUpper(v.s));
  if (name == "lower") return Value::Str(PyLower(v.s));
  if (name == "split") {
    ASSIGN_OR_RETURN(const std::string* sep, str_arg(0, true));
    if (sep != nullptr && sep->empty()) {
      return absl::InvalidArgumentError("str.split(): empty separator");
    }
    return Value::MakeList(PySplit(v.s, sep));
  }
  if (name == "replace") {
    ASSIGN_OR_RETURN(const std::string* from, str_arg(0, false));
    ASSIGN_OR_RETURN(const std::string* to, str_arg(1, false));
    std::string out = PyReplace(v.s, *from, *to);
    RETURN_IF_ERROR(CheckSize(out.size()));
    return Value::Str(std::move(out));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("'str object' has no attribute '%s'", name));
}

absl::StatusOr<Value> DictMethod(absl::string_view name, const Value& v,
                                 const std::vector<Value>& args) {
  List out;
  if (name == "get") {
    if (args[0].is_string()) {
      for (const auto& [k, value] : *v.dict) {
        if (k == args[0].s) return value;
      }
    }
    return args.size() > 1 ? args[1] : Value::None();
  }
  if (name != "items" && name != "keys" && name != "values") {
    return absl::InvalidArgumentError(
        absl::StrFormat("'dict object' has no attribute '%s'", name));
  }
  for (const auto& [k, value] : *v.dict) {
    if (name == "items") {
      out.push_back(Value::MakeList({Value::Str(k), value}, /*tuple=*/true));
    } else {
      out.push_back(name == "keys" ? Value::Str(k) : value);
    }
  }
  return Value::MakeList(std::move(out));
}

}  // namespace

bool IsKnownJinjaTag(absl::string_view name) {
  static constexpr const char* kTags[] = {
      "macro",         "endmacro",  "call",   "endcall", "filter",
      "endfilter",     "include",   "import", "from",    "extends",
      "block",         "endblock",  "with",   "endwith", "autoescape",
      "endautoescape", "raw",       "endraw", "do",      "trans",
      "endtrans",      "pluralize", "print",  "debug",   "endset"};
  return std::find(std::begin(kTags), std::end(kTags), name) != std::end(kTags);
}

bool IsSupportedTest(absl::string_view name) {
  static constexpr const char* kTests[] = {
      "defined", "undefined", "none",  "string",  "number",   "integer",
      "boolean", "true",      "false", "mapping", "iterable", "sequence"};
  return std::find(std::begin(kTests), std::end(kTests), name) !=
         std::end(kTests);
}

absl::Status NormalizeFilterArgs(Expr* filter,
                                 const std::vector<std::string>& kwargs) {
  const auto& filters = Filters();
  const auto it =
      std::find_if(filters.begin(), filters.end(),
                   [&](const Builtin& b) { return filter->name == b.name; });
  if (it == filters.end()) {
    return Unsupported(filter->offset,
                       absl::StrFormat("the filter '%s'", filter->name));
  }
  const size_t given = filter->args.size() - 1;
  const size_t positional = given - kwargs.size();
  if (positional > it->params.size()) {
    return ArgCount(filter->offset, absl::StrFormat("filter '%s'", it->name));
  }
  std::vector<std::unique_ptr<Expr>> slots(it->params.size());
  for (size_t k = 0; k < positional; ++k) {
    slots[k] = std::move(filter->args[1 + k]);
  }
  for (size_t k = 0; k < kwargs.size(); ++k) {
    size_t p = 0;
    while (p < it->params.size() && kwargs[k] != it->params[p].name) ++p;
    if (p == it->params.size()) {
      return Unsupported(filter->offset,
                         absl::StrFormat("the argument '%s' of filter '%s'",
                                         kwargs[k], it->name));
    }
    if (slots[p] != nullptr) {
      return ArgCount(filter->offset, absl::StrFormat("filter '%s'", it->name));
    }
    slots[p] = std::move(filter->args[1 + positional + k]);
  }
  filter->args.resize(1);
  for (size_t p = 0; p < slots.size(); ++p) {
    if (slots[p] == nullptr) {
      slots[p] = std::make_unique<Expr>();
      slots[p]->offset = filter->offset;
      slots[p]->value = it->params[p].dflt;
    }
    filter->args.push_back(std::move(slots[p]));
  }
  return absl::OkStatus();
}

absl::Status CheckMethodArgs(const Expr& call,
                             const std::vector<std::string>& kwargs) {
  for (const Method& m : kMethods) {
    if (call.name != m.name) continue;
    if (!kwargs.empty()) {
      return Unsupported(
          call.offset, absl::StrFormat("keyword arguments to '.%s()'", m.name));
    }
    const size_t n = call.args.size() - 1;
    if (n < m.min_args || n > m.max_args) {
      return ArgCount(call.offset, absl::StrFormat("'.%s()'", m.name));
    }
    return absl::OkStatus();
  }
  return Unsupported(call.offset,
                     absl::StrFormat("the method '.%s()'", call.name));
}

absl::StatusOr<Value> ApplyFilter(absl::string_view name, const Value& v,
                                  const std::vector<Value>& args) {
  if (name == "default" || name == "d") {
    const bool use_default =
        v.is_undefined() || (Truthy(args[1]) && !Truthy(v));
    return use_default ? args[0] : v;
  }
  if (name == "length" || name == "count") {
    ASSIGN_OR_RETURN(int64_t n, Length(v));
    return Value::Int(n);
  }
  if (name == "trim") {
    if (args[0].kind != Value::Kind::kNone && !args[0].is_string()) {
      return absl::InvalidArgumentError("trim: chars must be a string");
    }
    return Value::Str(PyStrip(ToStr(v), true, true,
                              args[0].is_string() ? &args[0].s : nullptr));
  }
  if (name == "upper") return Value::Str(PyUpper(ToStr(v)));
  if (name == "lower") return Value::Str(PyLower(ToStr(v)));
  if (name == "string") return Value::Str(ToStr(v));
  if (name == "first" || name == "last") {
    if (name == "last" && !(v.is_sequence() || v.is_string())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s' object is not reversible", TypeName(v)));
    }
    ASSIGN_OR_RETURN(List items, Iterate(v));
    if (items.empty()) return Value::Undefined("sequence was empty");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") {
    ASSIGN_OR_RETURN(List items, Iterate(v));
    std::string out;
    const std::string sep = ToStr(args[0]);
    for (size_t k = 0; k < items.size(); ++k) {
      if (k > 0) out += sep;
      out += ToStr(items[k]);
      RETURN_IF_ERROR(CheckSize(out.size()));
    }
    return Value::Str(std::move(out));
  }
  return absl::UnimplementedError(absl::StrFormat("filter '%s'", name));
}

bool ApplyTest(absl::string_view name, const Value& v) {
  using K = Value::Kind;
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.kind == K::kNone;
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_int();
  if (name == "integer") return v.kind == K::kInt;
  if (name == "boolean") return v.kind == K::kBool;
  if (name == "true") return v.kind == K::kBool && v.b;
  if (name == "false") return v.kind == K::kBool && !v.b;
  if (name == "mapping") return v.kind == K::kDict;
  // iterable, sequence: str, list, tuple, dict and (as in jinja2) Undefined.
  return v.is_undefined() || v.is_string() || v.is_sequence() ||
         v.kind == K::kDict;
}

absl::StatusOr<Value> CallMethod(absl::string_view name, const Value& v,
                                 const std::vector<Value>& args) {
  if (v.is_undefined()) return UndefinedError(v);
  if (v.is_string()) return StringMethod(name, v, args);
  if (v.kind == Value::Kind::kDict) return DictMethod(name, v, args);
  return absl::InvalidArgumentError(
      absl::StrFormat("'%s object' has no attribute '%s'", TypeName(v), name));
}

}  // namespace chat_internal
}  // namespace seedlm
