// The chat-template interpreter's internals (chat_template.cc is the public
// face): the lexer's tokens, the parsed template (statements and
// expressions), and the three stages source -> tokens -> tree -> text.
// The supported Jinja subset is described in chat_template.cc.
//
// Offsets are byte offsets into the template after jinja2's newline
// normalization (\r\n and \r become \n, one trailing newline dropped).
// Everything here is pure; a parsed tree is immutable and may be rendered
// from several threads at once.
#ifndef SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_AST_H_
#define SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_AST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/chat_template.h"
#include "core/tokenizer/chat_template_value.h"

namespace seedlm {
namespace chat_internal {

// Limits (chat_template.h): larger sources and deeper nesting are
// RESOURCE_EXHAUSTED at Parse.
inline constexpr size_t kMaxSourceBytes = size_t{64} << 10;
inline constexpr int kMaxNesting = 32;

struct Token {
  enum class Kind {
    kData,        // template text, already whitespace-controlled
    kVarBegin,    // {{
    kVarEnd,      // }}
    kBlockBegin,  // {%
    kBlockEnd,    // %}
    kName,
    kString,  // text: the decoded literal
    kInt,     // int_value
    kOp,      // text: the operator ("==", "(", "|", ...)
    kEof,
  };
  Kind kind = Kind::kEof;
  size_t offset = 0;
  std::string text;
  int64_t int_value = 0;
};

// The tokens of `source` (newlines normalized first), ending with kEof.
// Comments are dropped; trim_blocks, lstrip_blocks and the -/+ whitespace
// control are applied to the data tokens, as jinja2's lexer does.
// INVALID_ARGUMENT for a syntax error, UNIMPLEMENTED for a float literal or
// {% raw %}, both with the offset.
absl::StatusOr<std::vector<Token>> LexTemplate(absl::string_view source);

struct Expr {
  enum class Kind {
    kLiteral,  // value
    kName,     // name
    kList,     // [args...]
    kTuple,    // (args...)
    kDict,     // {args[0]: args[1], args[2]: args[3], ...}
    kGetAttr,  // args[0].name
    kGetItem,  // args[0][args[1]]
    kSlice,    // args[0][args[1]:args[2]:args[3]], omitted parts null
    kCall,     // name(args...): raise_exception only
    kMethod,   // args[0].name(args[1...])
    kFilter,   // args[0] | name(args[1...]); arguments filled in by position
    kTest,     // args[0] is [not] name
    kNeg,      // -args[0]
    kPos,      // +args[0]
    kNot,      // not args[0]
    kBinary,   // args[0] op args[1]; op one of + - * // % ~
    kCompare,  // args[0] cmp_ops[0] args[1] cmp_ops[1] args[2] ...
    kAnd,      // args[0] and args[1]
    kOr,       // args[0] or args[1]
    kCond,     // args[0] if args[1] else args[2] (args[2] null: Undefined)
  };
  Kind kind = Kind::kLiteral;
  size_t offset = 0;
  Value value;
  std::string name;
  std::string op;
  // "==", "!=", "<", ">", "<=", ">=", "in", "notin".
  std::vector<std::string> cmp_ops;
  bool negated = false;
  std::vector<std::unique_ptr<Expr>> args;
};

struct Stmt {
  enum class Kind {
    kText,
    kOutput,
    kIf,
    kFor,
    kSet,
    kBreak,
    kContinue,
    kScope,  // bodies[0] in a scope of its own ({% generation %})
  };
  Kind kind = Kind::kText;
  size_t offset = 0;
  std::string text;            // kText
  std::unique_ptr<Expr> expr;  // kOutput; kSet's value; kFor's iterable
  std::unique_ptr<Expr> cond;  // kFor's `if` filter (null when none)
  std::string target;          // kFor's loop variable; kSet's name
  // kIf: one condition per branch, null for `else`; bodies[k] its body.
  std::vector<std::unique_ptr<Expr>> conds;
  // kIf: the branches' bodies. kFor: {body, else body}.
  std::vector<std::vector<Stmt>> bodies;
};

// Parses the template: INVALID_ARGUMENT (syntax, with offset), UNIMPLEMENTED
// (outside the subset, naming the construct and its offset),
// RESOURCE_EXHAUSTED (over kMaxSourceBytes or kMaxNesting).
absl::StatusOr<std::vector<Stmt>> ParseTemplate(absl::string_view source);

// Renders a parsed template (chat_template.h's Render contract).
absl::StatusOr<std::string> RenderTemplate(
    const std::vector<Stmt>& body, absl::Span<const ChatMessage> messages,
    bool add_generation_prompt, const ChatTemplateTokens& tokens);

}  // namespace chat_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_AST_H_
