// The chat-template evaluator: renders a parsed template with jinja2's
// semantics (scoping: `set` at the top level or inside `if` assigns in the
// enclosing scope; every for-loop iteration, and a loop's `else`, gets a
// fresh scope that is dropped afterwards). See chat_template_ast.h.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/tokenizer/chat_template_ast.h"
#include "core/tokenizer/chat_template_builtins.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace chat_internal {
namespace {

enum class Control { kNone, kBreak, kContinue };

using Frame = std::vector<std::pair<std::string, Value>>;

void Assign(Frame* frame, const std::string& name, Value v) {
  for (auto& [k, old] : *frame) {
    if (k == name) {
      old = std::move(v);
      return;
    }
  }
  frame->emplace_back(name, std::move(v));
}

absl::Status TypeError(const char* op, const Value& a, const Value& b) {
  return absl::InvalidArgumentError(
      absl::StrFormat("unsupported operand types for %s: '%s' and '%s'", op,
                      TypeName(a), TypeName(b)));
}

absl::Status Overflow() {
  return absl::InvalidArgumentError(
      "integer overflow (chat templates compute with 64-bit integers)");
}

absl::StatusOr<Value> Repeat(const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  const size_t unit = seq.is_string() ? seq.s.size() : ApproxBytes(seq);
  if (unit > 0 && static_cast<uint64_t>(n) > kMaxValueBytes / unit) {
    RETURN_IF_ERROR(CheckSize(kMaxValueBytes + 1));
  }
  if (seq.is_string()) {
    std::string out;
    for (int64_t k = 0; k < n; ++k) out += seq.s;
    return Value::Str(std::move(out));
  }
  List out;
  for (int64_t k = 0; k < n; ++k) {
    out.insert(out.end(), seq.list->begin(), seq.list->end());
  }
  return Value::MakeList(std::move(out), seq.kind == Value::Kind::kTuple);
}

absl::StatusOr<Value> Arithmetic(const std::string& op, const Value& a,
                                 const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_int() && b.is_int()) {
    const int64_t x = a.as_int(), y = b.as_int();
    int64_t r = 0;
    if (op == "+" && !__builtin_add_overflow(x, y, &r)) return Value::Int(r);
    if (op == "-" && !__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
    if (op == "*" && !__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
    if (op == "//" || op == "%") {
      if (y == 0) {
        return absl::InvalidArgumentError("integer division or modulo by zero");
      }
      if (x == INT64_MIN && y == -1) return Overflow();
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::Int(op == "//" ? q : m);
    }
    return Overflow();
  }
  if (op == "+" && a.kind == b.kind && (a.is_string() || a.is_sequence())) {
    RETURN_IF_ERROR(CheckSize(ApproxBytes(a) + ApproxBytes(b)));
    if (a.is_string()) return Value::Str(a.s + b.s);
    List out = *a.list;
    out.insert(out.end(), b.list->begin(), b.list->end());
    return Value::MakeList(std::move(out), a.kind == Value::Kind::kTuple);
  }
  if (op == "*" && (a.is_string() || a.is_sequence()) && b.is_int()) {
    return Repeat(a, b.as_int());
  }
  if (op == "*" && (b.is_string() || b.is_sequence()) && a.is_int()) {
    return Repeat(b, a.as_int());
  }
  return TypeError(op.c_str(), a, b);
}

class Renderer {
 public:
  explicit Renderer(Frame globals) { frames_.push_back(std::move(globals)); }

  absl::Status Exec(const std::vector<Stmt>& body, Control* ctl) {
    for (const Stmt& s : body) {
      switch (s.kind) {
        case Stmt::Kind::kText:
          RETURN_IF_ERROR(Append(s.text));
          break;
        case Stmt::Kind::kOutput: {
          ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
          RETURN_IF_ERROR(Append(ToStr(v)));
          break;
        }
        case Stmt::Kind::kSet: {
          ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
          Assign(&frames_.back(), s.target, std::move(v));
          break;
        }
        case Stmt::Kind::kIf:
          for (size_t k = 0; k < s.conds.size(); ++k) {
            bool take = s.conds[k] == nullptr;
            if (!take) {
              ASSIGN_OR_RETURN(Value c, Eval(*s.conds[k]));
              take = Truthy(c);
            }
            if (take) {
              RETURN_IF_ERROR(Exec(s.bodies[k], ctl));
              break;
            }
          }
          break;
        case Stmt::Kind::kFor:
          RETURN_IF_ERROR(ExecFor(s));
          break;
        case Stmt::Kind::kScope: {
          frames_.emplace_back();
          const absl::Status st = Exec(s.bodies[0], ctl);
          frames_.pop_back();
          RETURN_IF_ERROR(st);
          break;
        }
        case Stmt::Kind::kBreak:
          *ctl = Control::kBreak;
          break;
        case Stmt::Kind::kContinue:
          *ctl = Control::kContinue;
          break;
      }
      if (*ctl != Control::kNone) return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  std::string& out() { return out_; }

 private:
  absl::Status Append(absl::string_view piece) {
    if (out_.size() + piece.size() > kMaxValueBytes) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "chat template output would pass %d bytes", kMaxValueBytes));
    }
    absl::StrAppend(&out_, piece);
    return absl::OkStatus();
  }

  absl::Status ExecFor(const Stmt& s) {
    ASSIGN_OR_RETURN(Value seq, Eval(*s.expr));
    ASSIGN_OR_RETURN(List items, Iterate(seq));
    if (s.cond != nullptr) {
      List kept;
      for (Value& item : items) {
        frames_.push_back(Frame{{s.target, item}});
        absl::StatusOr<Value> c = Eval(*s.cond);
        frames_.pop_back();
        if (!c.ok()) return c.status();
        if (Truthy(*c)) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t k = 0; k < n; ++k) {
      Dict loop = {
          {"index", Value::Int(k + 1)},    {"index0", Value::Int(k)},
          {"revindex", Value::Int(n - k)}, {"revindex0", Value::Int(n - k - 1)},
          {"first", Value::Bool(k == 0)},  {"last", Value::Bool(k == n - 1)},
          {"length", Value::Int(n)}};
      if (k > 0) loop.emplace_back("previtem", items[k - 1]);
      if (k + 1 < n) loop.emplace_back("nextitem", items[k + 1]);
      frames_.push_back(Frame{{s.target, items[k]},
                              {"loop", Value::MakeDict(std::move(loop))}});
      Control ctl = Control::kNone;
      const absl::Status st = Exec(s.bodies[0], &ctl);
      frames_.pop_back();
      RETURN_IF_ERROR(st);
      if (ctl == Control::kBreak) break;
    }
    if (n == 0) {
      frames_.emplace_back();
      Control ctl = Control::kNone;
      const absl::Status st = Exec(s.bodies[1], &ctl);
      frames_.pop_back();
      RETURN_IF_ERROR(st);
    }
    return absl::OkStatus();
  }

  Value Lookup(const std::string& name) const {
    for (auto f = frames_.rbegin(); f != frames_.rend(); ++f) {
      for (const auto& [k, v] : *f) {
        if (k == name) return v;
      }
    }
    return Value::Undefined(absl::StrFormat("'%s' is undefined", name));
  }

  absl::StatusOr<std::vector<Value>> EvalArgs(const Expr& e, size_t from) {
    std::vector<Value> out;
    for (size_t k = from; k < e.args.size(); ++k) {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[k]));
      out.push_back(std::move(v));
    }
    return out;
  }

  absl::StatusOr<Value> EvalCollection(const Expr& e) {
    ASSIGN_OR_RETURN(std::vector<Value> items, EvalArgs(e, 0));
    Value v;
    if (e.kind == Expr::Kind::kDict) {
      Dict d;
      for (size_t k = 0; k + 1 < items.size(); k += 2) {
        if (!items[k].is_string()) {
          return absl::UnimplementedError(absl::StrFormat(
              "chat template: dict keys other than strings are not "
              "supported (offset %d)",
              e.offset));
        }
        bool replaced = false;
        for (auto& [key, value] : d) {
          if (key == items[k].s) {
            value = items[k + 1];
            replaced = true;
          }
        }
        if (!replaced) d.emplace_back(items[k].s, items[k + 1]);
      }
      v = Value::MakeDict(std::move(d));
    } else {
      v = Value::MakeList(std::move(items), e.kind == Expr::Kind::kTuple);
    }
    if (v.depth > kMaxValueDepth) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "chat template nests lists deeper than %d (offset %d)",
          kMaxValueDepth, e.offset));
    }
    RETURN_IF_ERROR(CheckSize(ApproxBytes(v)));
    return v;
  }

  absl::StatusOr<bool> CompareOp(const std::string& op, const Value& a,
                                 const Value& b) {
    if (op == "==") return Equal(a, b);
    if (op == "!=") return !Equal(a, b);
    if (op == "in" || op == "notin") {
      ASSIGN_OR_RETURN(bool in, Contains(b, a));
      return op == "in" ? in : !in;
    }
    ASSIGN_OR_RETURN(int c, Compare(a, b));
    if (op == "<") return c < 0;
    if (op == ">") return c > 0;
    if (op == "<=") return c <= 0;
    return c >= 0;
  }

  absl::StatusOr<Value> Eval(const Expr& e);

  std::vector<Frame> frames_;
  std::string out_;
};

absl::StatusOr<Value> Renderer::Eval(const Expr& e) {
  using K = Expr::Kind;
  switch (e.kind) {
    case K::kLiteral:
      return e.value;
    case K::kName:
      return Lookup(e.name);
    case K::kList:
    case K::kTuple:
    case K::kDict:
      return EvalCollection(e);
    case K::kGetAttr: {
      ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      return GetItem(obj, Value::Str(e.name));
    }
    case K::kGetItem: {
      ASSIGN_OR_RETURN(std::vector<Value> v, EvalArgs(e, 0));
      return GetItem(v[0], v[1]);
    }
    case K::kSlice: {
      ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      Value bounds[3];
      for (int k = 0; k < 3; ++k) {
        if (e.args[1 + k] != nullptr) {
          ASSIGN_OR_RETURN(bounds[k], Eval(*e.args[1 + k]));
        }
      }
      auto ptr = [&](int k) {
        return e.args[1 + k] != nullptr ? &bounds[k] : nullptr;
      };
      return Slice(obj, ptr(0), ptr(1), ptr(2));
    }
    case K::kCall: {  // raise_exception(message)
      ASSIGN_OR_RETURN(Value msg, Eval(*e.args[0]));
      return absl::InvalidArgumentError(ToStr(msg));
    }
    case K::kMethod: {
      ASSIGN_OR_RETURN(std::vector<Value> v, EvalArgs(e, 0));
      const Value self = v[0];
      v.erase(v.begin());
      return CallMethod(e.name, self, v);
    }
    case K::kFilter: {
      ASSIGN_OR_RETURN(std::vector<Value> v, EvalArgs(e, 0));
      const Value self = v[0];
      v.erase(v.begin());
      return ApplyFilter(e.name, self, v);
    }
    case K::kTest: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      return Value::Bool(ApplyTest(e.name, v) != e.negated);
    }
    case K::kNeg:
    case K::kPos: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      if (v.is_undefined()) return UndefinedError(v);
      if (!v.is_int()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("bad operand type for unary %s: '%s'",
                            e.kind == K::kNeg ? "-" : "+", TypeName(v)));
      }
      if (e.kind == K::kPos) return Value::Int(v.as_int());
      if (v.as_int() == INT64_MIN) return Overflow();
      return Value::Int(-v.as_int());
    }
    case K::kNot: {
      ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      return Value::Bool(!Truthy(v));
    }
    case K::kBinary: {
      ASSIGN_OR_RETURN(std::vector<Value> v, EvalArgs(e, 0));
      if (e.op == "~") {
        std::string s = ToStr(v[0]) + ToStr(v[1]);
        RETURN_IF_ERROR(CheckSize(s.size()));
        return Value::Str(std::move(s));
      }
      return Arithmetic(e.op, v[0], v[1]);
    }
    case K::kCompare: {
      ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
      for (size_t k = 0; k < e.cmp_ops.size(); ++k) {
        ASSIGN_OR_RETURN(Value right, Eval(*e.args[k + 1]));
        ASSIGN_OR_RETURN(bool ok, CompareOp(e.cmp_ops[k], left, right));
        if (!ok) return Value::Bool(false);
        left = std::move(right);
      }
      return Value::Bool(true);
    }
    case K::kAnd:
    case K::kOr: {
      ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
      if (Truthy(left) == (e.kind == K::kOr)) return left;
      return Eval(*e.args[1]);
    }
    case K::kCond: {
      ASSIGN_OR_RETURN(Value c, Eval(*e.args[1]));
      if (Truthy(c)) return Eval(*e.args[0]);
      if (e.args[2] != nullptr) return Eval(*e.args[2]);
      return Value::Undefined(
          "the inline if-expression evaluated to false and no else section "
          "was defined");
    }
  }
  return absl::InternalError("unknown expression kind");
}

}  // namespace

absl::StatusOr<std::string> RenderTemplate(
    const std::vector<Stmt>& body, absl::Span<const ChatMessage> messages,
    bool add_generation_prompt, const ChatTemplateTokens& tokens) {
  List list;
  for (size_t k = 0; k < messages.size(); ++k) {
    for (const std::string* s : {&messages[k].role, &messages[k].content}) {
      if (!tokenizer_internal::CheckUtf8(*s).ok()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("chat message %d is not valid UTF-8", k));
      }
    }
    list.push_back(
        Value::MakeDict({{"role", Value::Str(messages[k].role)},
                         {"content", Value::Str(messages[k].content)}}));
  }
  for (const std::string* s : {&tokens.bos_token, &tokens.eos_token}) {
    if (!tokenizer_internal::CheckUtf8(*s).ok()) {
      return absl::InvalidArgumentError(
          "chat bos/eos token is not valid UTF-8");
    }
  }
  Renderer r(
      Frame{{"messages", Value::MakeList(std::move(list))},
            {"add_generation_prompt", Value::Bool(add_generation_prompt)},
            {"bos_token", Value::Str(tokens.bos_token)},
            {"eos_token", Value::Str(tokens.eos_token)}});
  Control ctl = Control::kNone;
  RETURN_IF_ERROR(r.Exec(body, &ctl));
  return std::move(r.out());
}

}  // namespace chat_internal
}  // namespace seedlm
