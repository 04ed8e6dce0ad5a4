// The chat-template parser (internal): jinja2's Parser (statements and the
// expression grammar with its precedence) over LexTemplate's tokens,
// refusing what the subset lacks. Statements are parsed in
// chat_template_parser.cc, expressions in chat_template_parser_expr.cc.
// One Parser parses one template, on one thread.
#ifndef SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_PARSER_H_
#define SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_PARSER_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/chat_template_ast.h"

namespace seedlm {
namespace chat_internal {

using ExprPtr = std::unique_ptr<Expr>;

// INVALID_ARGUMENT "chat template syntax error at offset N: what".
absl::Status Syntax(size_t offset, absl::string_view what);
// UNIMPLEMENTED naming the construct and its offset.
absl::Status Unsupported(size_t offset, absl::string_view what);
// A new expression node with up to two operands.
ExprPtr Node(Expr::Kind kind, size_t offset);
ExprPtr Node(Expr::Kind kind, size_t offset, ExprPtr a, ExprPtr b = nullptr);

class Parser {
 public:
  using TK = Token::Kind;

  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  // The whole template: chat_template_ast.h's ParseTemplate errors.
  absl::StatusOr<std::vector<Stmt>> Run();

 private:
  // Statements (chat_template_parser.cc).
  absl::Status ParseBody(const std::vector<std::string>& ends,
                         std::vector<Stmt>* body, std::string* end);
  absl::Status ParseStatement(const std::string& name, std::vector<Stmt>* body);
  absl::Status ParseIf(std::vector<Stmt>* body);
  absl::Status ParseFor(std::vector<Stmt>* body);
  absl::Status ParseSet(std::vector<Stmt>* body);

  // Expressions, lowest precedence first (chat_template_parser_expr.cc).
  absl::StatusOr<ExprPtr> ParseTuple(bool with_condexpr);
  absl::StatusOr<ExprPtr> ParseExpression();
  absl::StatusOr<ExprPtr> ParseOr();
  absl::StatusOr<ExprPtr> ParseAnd();
  absl::StatusOr<ExprPtr> ParseNot();
  absl::StatusOr<ExprPtr> ParseCompare();
  absl::StatusOr<ExprPtr> ParseBinary(int level);
  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);
  absl::StatusOr<ExprPtr> ParsePrimary();
  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr e);
  absl::StatusOr<ExprPtr> ParseFilters(ExprPtr e);
  absl::Status ParseCallArgs(Expr* call, std::vector<std::string>* kwargs);
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr e);

  // Token access.

  const Token& Cur() const { return toks_[pos_]; }
  const Token& Peek(size_t k = 1) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  bool IsOp(const char* op) const {
    return Cur().kind == TK::kOp && Cur().text == op;
  }
  bool IsName(const char* name) const {
    return Cur().kind == TK::kName && Cur().text == name;
  }
  absl::Status Expect(TK kind, const char* what) {
    if (Cur().kind != kind) {
      return Syntax(Cur().offset, absl::StrFormat("expected %s", what));
    }
    ++pos_;
    return absl::OkStatus();
  }
  absl::Status ExpectOp(const char* op) {
    if (!IsOp(op)) {
      return Syntax(Cur().offset, absl::StrFormat("expected '%s'", op));
    }
    ++pos_;
    return absl::OkStatus();
  }

  bool AtExpressionEnd() const {
    return Cur().kind == TK::kBlockEnd || Cur().kind == TK::kVarEnd ||
           Cur().kind == TK::kEof || IsOp(")") || IsName("if") ||
           IsName("recursive");
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int expr_depth_ = 0;
  int loops_ = 0;
};

}  // namespace chat_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_PARSER_H_
