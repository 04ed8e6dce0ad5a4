// The chat-template parser's statements and entry point (see
// chat_template_parser.h).
#include "core/tokenizer/chat_template_parser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/tokenizer/chat_template_builtins.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace chat_internal {

using TK = Token::Kind;

absl::Status Syntax(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "chat template syntax error at offset %d: %s", offset, what));
}

absl::Status Unsupported(size_t offset, absl::string_view what) {
  return absl::UnimplementedError(absl::StrFormat(
      "chat template uses %s (offset %d), outside the supported Jinja subset",
      what, offset));
}

ExprPtr Node(Expr::Kind kind, size_t offset) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->offset = offset;
  return e;
}

ExprPtr Node(Expr::Kind kind, size_t offset, ExprPtr a, ExprPtr b) {
  ExprPtr e = Node(kind, offset);
  e->args.push_back(std::move(a));
  if (b != nullptr) e->args.push_back(std::move(b));
  return e;
}

absl::StatusOr<std::vector<Stmt>> Parser::Run() {
  std::vector<Stmt> body;
  std::string end;
  RETURN_IF_ERROR(ParseBody({}, &body, &end));
  return body;
}

// Statements until a block tag named in `ends` (consumed up to its name;
// *end receives it) or the end of the template (only when `ends` is
// empty).
absl::Status Parser::ParseBody(const std::vector<std::string>& ends,
                               std::vector<Stmt>* body, std::string* end) {
  if (++depth_ > kMaxNesting) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("chat template nests deeper than %d (offset %d)",
                        kMaxNesting, Cur().offset));
  }
  while (true) {
    const Token& t = Cur();
    if (t.kind == TK::kEof) {
      if (!ends.empty()) {
        return Syntax(t.offset,
                      absl::StrFormat("unexpected end of template, expected "
                                      "'%s'",
                                      ends.back()));
      }
      break;
    }
    if (t.kind == TK::kData) {
      Stmt s;
      s.kind = Stmt::Kind::kText;
      s.offset = t.offset;
      s.text = t.text;
      body->push_back(std::move(s));
      ++pos_;
      continue;
    }
    if (t.kind == TK::kVarBegin) {
      Stmt s;
      s.kind = Stmt::Kind::kOutput;
      s.offset = t.offset;
      ++pos_;
      ASSIGN_OR_RETURN(s.expr, ParseTuple(true));
      RETURN_IF_ERROR(Expect(TK::kVarEnd, "'}}'"));
      body->push_back(std::move(s));
      continue;
    }
    // A block tag.
    ++pos_;
    if (Cur().kind != TK::kName)
      return Syntax(Cur().offset, "expected tag name");
    const std::string name = Cur().text;
    for (const std::string& e : ends) {
      if (name == e) {
        ++pos_;
        *end = name;
        --depth_;
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(ParseStatement(name, body));
  }
  --depth_;
  return absl::OkStatus();
}

absl::Status Parser::ParseStatement(const std::string& name,
                                    std::vector<Stmt>* body) {
  const size_t offset = Cur().offset;
  if (name == "if") return ParseIf(body);
  if (name == "for") return ParseFor(body);
  if (name == "set") return ParseSet(body);
  if (name == "generation") {
    // Hugging Face's AssistantTracker tag: its body renders as a call
    // block's, in a scope of its own.
    ++pos_;
    RETURN_IF_ERROR(Expect(TK::kBlockEnd, "'%}'"));
    Stmt s;
    s.kind = Stmt::Kind::kScope;
    s.offset = offset;
    s.bodies.emplace_back();
    std::string end;
    RETURN_IF_ERROR(ParseBody({"endgeneration"}, &s.bodies[0], &end));
    body->push_back(std::move(s));
    return Expect(TK::kBlockEnd, "'%}'");
  }
  if (name == "break" || name == "continue") {
    if (loops_ == 0) {
      return Syntax(offset, absl::StrFormat("'%s' outside a loop", name));
    }
    ++pos_;
    Stmt s;
    s.kind = name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
    s.offset = offset;
    body->push_back(std::move(s));
    return Expect(TK::kBlockEnd, "'%}'");
  }
  if (IsKnownJinjaTag(name)) {
    return Unsupported(offset, absl::StrFormat("the '%s' tag", name));
  }
  return Syntax(offset,
                absl::StrFormat("unknown or unexpected tag '%s'", name));
}

absl::Status Parser::ParseIf(std::vector<Stmt>* body) {
  Stmt s;
  s.kind = Stmt::Kind::kIf;
  s.offset = Cur().offset;
  ++pos_;
  std::string end = "elif";
  while (end != "endif") {
    if (end == "else") {
      s.conds.push_back(nullptr);
    } else {
      ASSIGN_OR_RETURN(ExprPtr cond, ParseTuple(true));
      s.conds.push_back(std::move(cond));
    }
    RETURN_IF_ERROR(Expect(TK::kBlockEnd, "'%}'"));
    s.bodies.emplace_back();
    if (end == "else") {
      RETURN_IF_ERROR(ParseBody({"endif"}, &s.bodies.back(), &end));
    } else {
      RETURN_IF_ERROR(
          ParseBody({"elif", "else", "endif"}, &s.bodies.back(), &end));
    }
  }
  body->push_back(std::move(s));
  return Expect(TK::kBlockEnd, "'%}'");
}

absl::Status Parser::ParseFor(std::vector<Stmt>* body) {
  Stmt s;
  s.kind = Stmt::Kind::kFor;
  s.offset = Cur().offset;
  ++pos_;
  if (Cur().kind != TK::kName)
    return Syntax(Cur().offset, "expected loop variable");
  s.target = Cur().text;
  ++pos_;
  if (IsOp(",")) return Unsupported(Cur().offset, "tuple unpacking in 'for'");
  if (!IsName("in")) return Syntax(Cur().offset, "expected 'in'");
  ++pos_;
  ASSIGN_OR_RETURN(s.expr, ParseTuple(false));
  if (IsName("if")) {
    ++pos_;
    ASSIGN_OR_RETURN(s.cond, ParseTuple(false));
  }
  if (IsName("recursive")) return Unsupported(Cur().offset, "recursive loops");
  RETURN_IF_ERROR(Expect(TK::kBlockEnd, "'%}'"));
  s.bodies.resize(2);
  std::string end;
  ++loops_;
  RETURN_IF_ERROR(ParseBody({"else", "endfor"}, &s.bodies[0], &end));
  --loops_;
  if (end == "else") {
    RETURN_IF_ERROR(Expect(TK::kBlockEnd, "'%}'"));
    RETURN_IF_ERROR(ParseBody({"endfor"}, &s.bodies[1], &end));
  }
  body->push_back(std::move(s));
  return Expect(TK::kBlockEnd, "'%}'");
}

absl::Status Parser::ParseSet(std::vector<Stmt>* body) {
  Stmt s;
  s.kind = Stmt::Kind::kSet;
  s.offset = Cur().offset;
  ++pos_;
  if (Cur().kind != TK::kName) return Syntax(Cur().offset, "expected a name");
  s.target = Cur().text;
  ++pos_;
  if (IsOp(".") || IsOp("[")) {
    return Unsupported(Cur().offset, "assignment to an attribute (namespace)");
  }
  if (IsOp(",")) return Unsupported(Cur().offset, "tuple unpacking in 'set'");
  if (Cur().kind == TK::kBlockEnd || IsOp("|")) {
    return Unsupported(Cur().offset,
                       "block assignment ({% set %}...{% endset %})");
  }
  RETURN_IF_ERROR(ExpectOp("="));
  ASSIGN_OR_RETURN(s.expr, ParseTuple(true));
  body->push_back(std::move(s));
  return Expect(TK::kBlockEnd, "'%}'");
}

absl::StatusOr<std::vector<Stmt>> ParseTemplate(absl::string_view source) {
  if (source.size() > kMaxSourceBytes) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("chat template is %d bytes, over the %d-byte limit",
                        source.size(), kMaxSourceBytes));
  }
  absl::Status utf8 = tokenizer_internal::CheckUtf8(source);
  if (!utf8.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chat template is not valid UTF-8: ", utf8.message()));
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, LexTemplate(source));
  return Parser(std::move(tokens)).Run();
}

}  // namespace chat_internal
}  // namespace seedlm
