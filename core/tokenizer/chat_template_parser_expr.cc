// The chat-template parser's expressions (see chat_template_parser.h).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/tokenizer/chat_template_builtins.h"
#include "core/tokenizer/chat_template_parser.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace chat_internal {

using TK = Token::Kind;

// jinja2's parse_tuple without parentheses: `a` or `a, b, ...`.
absl::StatusOr<ExprPtr> Parser::ParseTuple(bool with_condexpr) {
  const size_t offset = Cur().offset;
  ExprPtr first;
  if (with_condexpr) {
    ASSIGN_OR_RETURN(first, ParseExpression());
  } else {
    ASSIGN_OR_RETURN(first, ParseOr());
  }
  if (!IsOp(",")) return first;
  ExprPtr tuple = Node(Expr::Kind::kTuple, offset);
  tuple->args.push_back(std::move(first));
  while (IsOp(",")) {
    ++pos_;
    if (AtExpressionEnd()) break;
    ExprPtr next;
    if (with_condexpr) {
      ASSIGN_OR_RETURN(next, ParseExpression());
    } else {
      ASSIGN_OR_RETURN(next, ParseOr());
    }
    tuple->args.push_back(std::move(next));
  }
  return tuple;
}

// Expressions, lowest precedence first (jinja2's parse_condexpr ...).
// Expression nesting is counted in ParseUnary and ParseNot, which every
// nested expression passes through.
absl::StatusOr<ExprPtr> Parser::ParseExpression() {
  const size_t offset = Cur().offset;
  ASSIGN_OR_RETURN(ExprPtr e, ParseOr());
  while (IsName("if")) {
    ++pos_;
    ASSIGN_OR_RETURN(ExprPtr cond, ParseOr());
    ExprPtr other;
    if (IsName("else")) {
      ++pos_;
      ASSIGN_OR_RETURN(other, ParseExpression());
    }
    ExprPtr c = Node(Expr::Kind::kCond, offset, std::move(e), std::move(cond));
    c->args.push_back(std::move(other));
    e = std::move(c);
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseOr() {
  ASSIGN_OR_RETURN(ExprPtr e, ParseAnd());
  while (IsName("or")) {
    const size_t offset = Cur().offset;
    ++pos_;
    ASSIGN_OR_RETURN(ExprPtr r, ParseAnd());
    e = Node(Expr::Kind::kOr, offset, std::move(e), std::move(r));
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseAnd() {
  ASSIGN_OR_RETURN(ExprPtr e, ParseNot());
  while (IsName("and")) {
    const size_t offset = Cur().offset;
    ++pos_;
    ASSIGN_OR_RETURN(ExprPtr r, ParseNot());
    e = Node(Expr::Kind::kAnd, offset, std::move(e), std::move(r));
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    const size_t offset = Cur().offset;
    ++pos_;
    if (++expr_depth_ > kMaxNesting) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "chat template expression nests deeper than %d (offset %d)",
          kMaxNesting, offset));
    }
    ASSIGN_OR_RETURN(ExprPtr inner, ParseNot());
    --expr_depth_;
    return Node(Expr::Kind::kNot, offset, std::move(inner));
  }
  return ParseCompare();
}

absl::StatusOr<ExprPtr> Parser::ParseCompare() {
  const size_t offset = Cur().offset;
  ASSIGN_OR_RETURN(ExprPtr first, ParseBinary(0));
  ExprPtr cmp;
  while (true) {
    std::string op;
    if (Cur().kind == TK::kOp &&
        (Cur().text == "==" || Cur().text == "!=" || Cur().text == "<" ||
         Cur().text == ">" || Cur().text == "<=" || Cur().text == ">=")) {
      op = Cur().text;
      ++pos_;
    } else if (IsName("in")) {
      op = "in";
      ++pos_;
    } else if (IsName("not") && Peek().kind == TK::kName &&
               Peek().text == "in") {
      op = "notin";
      pos_ += 2;
    } else {
      break;
    }
    if (cmp == nullptr) {
      cmp = Node(Expr::Kind::kCompare, offset, std::move(first));
    }
    ASSIGN_OR_RETURN(ExprPtr rhs, ParseBinary(0));
    cmp->cmp_ops.push_back(op);
    cmp->args.push_back(std::move(rhs));
  }
  return cmp != nullptr ? std::move(cmp) : std::move(first);
}

// Binary levels: 0 is + -, 1 is ~, 2 is * / // %, then ** (refused).
absl::StatusOr<ExprPtr> Parser::ParseBinary(int level) {
  static const std::vector<std::vector<std::string>> kLevels = {
      {"+", "-"}, {"~"}, {"*", "/", "//", "%"}};
  if (level == 3) {
    ASSIGN_OR_RETURN(ExprPtr e, ParseUnary(true));
    if (IsOp("**")) return Unsupported(Cur().offset, "the '**' operator");
    return e;
  }
  ASSIGN_OR_RETURN(ExprPtr e, ParseBinary(level + 1));
  while (Cur().kind == TK::kOp) {
    const auto& ops = kLevels[level];
    if (std::find(ops.begin(), ops.end(), Cur().text) == ops.end()) break;
    const std::string op = Cur().text;
    const size_t offset = Cur().offset;
    if (op == "/") return Unsupported(offset, "the '/' operator (floats)");
    ++pos_;
    ASSIGN_OR_RETURN(ExprPtr r, ParseBinary(level + 1));
    e = Node(Expr::Kind::kBinary, offset, std::move(e), std::move(r));
    e->op = op;
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseUnary(bool with_filter) {
  if (++expr_depth_ > kMaxNesting) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "chat template expression nests deeper than %d (offset %d)",
        kMaxNesting, Cur().offset));
  }
  ExprPtr e;
  const size_t offset = Cur().offset;
  if (IsOp("-") || IsOp("+")) {
    const bool neg = IsOp("-");
    ++pos_;
    ASSIGN_OR_RETURN(ExprPtr inner, ParseUnary(false));
    e = Node(neg ? Expr::Kind::kNeg : Expr::Kind::kPos, offset,
             std::move(inner));
  } else {
    ASSIGN_OR_RETURN(e, ParsePrimary());
  }
  ASSIGN_OR_RETURN(e, ParsePostfix(std::move(e)));
  if (with_filter) {
    ASSIGN_OR_RETURN(e, ParseFilters(std::move(e)));
  }
  --expr_depth_;
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParsePrimary() {
  const Token& t = Cur();
  const size_t offset = t.offset;
  if (t.kind == TK::kName) {
    ExprPtr e = Node(Expr::Kind::kLiteral, offset);
    const std::string& n = t.text;
    ++pos_;
    if (n == "true" || n == "True") {
      e->value = Value::Bool(true);
    } else if (n == "false" || n == "False") {
      e->value = Value::Bool(false);
    } else if (n == "none" || n == "None") {
      e->value = Value::None();
    } else {
      e->kind = Expr::Kind::kName;
      e->name = n;
    }
    return e;
  }
  if (t.kind == TK::kString) {
    std::string s;
    while (Cur().kind == TK::kString) s += toks_[pos_++].text;
    ExprPtr e = Node(Expr::Kind::kLiteral, offset);
    e->value = Value::Str(std::move(s));
    return e;
  }
  if (t.kind == TK::kInt) {
    ExprPtr e = Node(Expr::Kind::kLiteral, offset);
    e->value = Value::Int(t.int_value);
    ++pos_;
    return e;
  }
  if (IsOp("(")) {
    ++pos_;
    if (IsOp(")")) {
      ++pos_;
      return Node(Expr::Kind::kTuple, offset);
    }
    ASSIGN_OR_RETURN(ExprPtr inner, ParseTuple(true));
    RETURN_IF_ERROR(ExpectOp(")"));
    return inner;
  }
  if (IsOp("[") || IsOp("{")) {
    const bool dict = IsOp("{");
    const char* close = dict ? "}" : "]";
    ExprPtr e = Node(dict ? Expr::Kind::kDict : Expr::Kind::kList, offset);
    ++pos_;
    while (!IsOp(close)) {
      if (!e->args.empty()) RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(close)) break;
      ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
      e->args.push_back(std::move(item));
      if (dict) {
        RETURN_IF_ERROR(ExpectOp(":"));
        ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
        e->args.push_back(std::move(value));
      }
    }
    ++pos_;
    return e;
  }
  return Syntax(offset, t.kind == TK::kEof || t.kind == TK::kVarEnd ||
                                t.kind == TK::kBlockEnd
                            ? "expected an expression"
                            : "unexpected token");
}

absl::StatusOr<ExprPtr> Parser::ParseSubscript(ExprPtr e) {
  const size_t offset = Cur().offset;
  if (IsOp(".")) {
    ++pos_;
    if (Cur().kind == TK::kInt) {
      ExprPtr key = Node(Expr::Kind::kLiteral, Cur().offset);
      key->value = Value::Int(Cur().int_value);
      ++pos_;
      return Node(Expr::Kind::kGetItem, offset, std::move(e), std::move(key));
    }
    if (Cur().kind != TK::kName)
      return Syntax(Cur().offset, "expected a name after '.'");
    ExprPtr a = Node(Expr::Kind::kGetAttr, offset, std::move(e));
    a->name = Cur().text;
    ++pos_;
    return a;
  }
  ++pos_;  // '['
  ExprPtr parts[3];
  int colons = 0;
  while (!IsOp("]")) {
    if (IsOp(":")) {
      if (++colons > 2) return Syntax(Cur().offset, "too many ':' in slice");
      ++pos_;
      continue;
    }
    if (parts[colons] != nullptr) return Syntax(Cur().offset, "expected ']'");
    ASSIGN_OR_RETURN(parts[colons], ParseExpression());
    if (colons == 0 && IsOp(",")) {
      return Unsupported(Cur().offset, "tuple subscripts");
    }
  }
  ++pos_;
  if (colons == 0) {
    if (parts[0] == nullptr) return Syntax(offset, "empty subscript");
    return Node(Expr::Kind::kGetItem, offset, std::move(e),
                std::move(parts[0]));
  }
  ExprPtr s = Node(Expr::Kind::kSlice, offset, std::move(e));
  for (ExprPtr& p : parts) s->args.push_back(std::move(p));
  return s;
}

absl::StatusOr<ExprPtr> Parser::ParsePostfix(ExprPtr e) {
  while (true) {
    if (IsOp(".") || IsOp("[")) {
      ASSIGN_OR_RETURN(e, ParseSubscript(std::move(e)));
    } else if (IsOp("(")) {
      const size_t offset = Cur().offset;
      std::vector<std::string> kwargs;
      if (e->kind == Expr::Kind::kName && e->name == "raise_exception") {
        ExprPtr call = Node(Expr::Kind::kCall, offset);
        call->name = e->name;
        RETURN_IF_ERROR(ParseCallArgs(call.get(), &kwargs));
        if (call->args.size() != 1 || !kwargs.empty()) {
          return Syntax(offset, "raise_exception takes one argument");
        }
        e = std::move(call);
      } else if (e->kind == Expr::Kind::kGetAttr) {
        ExprPtr call = Node(Expr::Kind::kMethod, offset, std::move(e->args[0]));
        call->name = e->name;
        RETURN_IF_ERROR(ParseCallArgs(call.get(), &kwargs));
        RETURN_IF_ERROR(CheckMethodArgs(*call, kwargs));
        e = std::move(call);
      } else {
        return Unsupported(offset,
                           e->kind == Expr::Kind::kName
                               ? absl::StrFormat("the function '%s'", e->name)
                               : std::string("this call"));
      }
    } else {
      return e;
    }
  }
}

absl::Status Parser::ParseCallArgs(Expr* call,
                                   std::vector<std::string>* kwargs) {
  ++pos_;  // '('
  bool first = true;
  while (!IsOp(")")) {
    if (!first) {
      RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
    }
    first = false;
    if (IsOp("*") || IsOp("**")) return Unsupported(Cur().offset, "*args");
    if (Cur().kind == TK::kName && Peek().kind == TK::kOp &&
        Peek().text == "=") {
      kwargs->push_back(Cur().text);
      pos_ += 2;
    } else if (!kwargs->empty()) {
      return Syntax(Cur().offset, "positional argument after keyword argument");
    }
    ASSIGN_OR_RETURN(ExprPtr arg, ParseExpression());
    call->args.push_back(std::move(arg));
  }
  ++pos_;
  return absl::OkStatus();
}

absl::StatusOr<ExprPtr> Parser::ParseFilters(ExprPtr e) {
  while (true) {
    const size_t offset = Cur().offset;
    if (IsOp("|")) {
      ++pos_;
      if (Cur().kind != TK::kName)
        return Syntax(Cur().offset, "expected a filter name");
      ExprPtr f = Node(Expr::Kind::kFilter, offset, std::move(e));
      f->name = Cur().text;
      ++pos_;
      std::vector<std::string> kwargs;
      if (IsOp("(")) RETURN_IF_ERROR(ParseCallArgs(f.get(), &kwargs));
      RETURN_IF_ERROR(NormalizeFilterArgs(f.get(), kwargs));
      e = std::move(f);
    } else if (IsName("is")) {
      ++pos_;
      ExprPtr t = Node(Expr::Kind::kTest, offset, std::move(e));
      if (IsName("not")) {
        t->negated = true;
        ++pos_;
      }
      if (Cur().kind != TK::kName)
        return Syntax(Cur().offset, "expected a test name");
      t->name = Cur().text;
      ++pos_;
      const bool arg = IsOp("(") || IsOp("[") || IsOp("{") ||
                       Cur().kind == TK::kString || Cur().kind == TK::kInt ||
                       (Cur().kind == TK::kName && !IsName("else") &&
                        !IsName("or") && !IsName("and"));
      if (arg) {
        return Unsupported(
            Cur().offset,
            absl::StrFormat("the test '%s' with an argument", t->name));
      }
      if (!IsSupportedTest(t->name)) {
        return Unsupported(offset, absl::StrFormat("the test '%s'", t->name));
      }
      e = std::move(t);
    } else if (IsOp("(")) {
      return Unsupported(offset, "calling a filter or test result");
    } else {
      return e;
    }
  }
}

}  // namespace chat_internal
}  // namespace seedlm
