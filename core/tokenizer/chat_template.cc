// Chat templates (chat_template.h): a small interpreter for the subset of
// Jinja that Hugging Face chat templates use, rendering byte for byte what
// transformers' apply_chat_template renders (jinja2's
// ImmutableSandboxedEnvironment with trim_blocks=True, lstrip_blocks=True;
// checked against Python's jinja2 by chat_template_test).
//
// Stages: chat_template_lexer.cc (source -> tokens, whitespace control),
// chat_template_parser{,_expr}.cc (tokens -> tree), chat_template_eval.cc
// (tree -> text) with chat_template_value.cc and chat_template_strings.cc
// (Python values and str methods) and chat_template_builtins.cc (filters,
// tests, methods).
//
// The supported subset:
//   text; {{ expr }}; {# comments #}; {% if %}/{% elif %}/{% else %}/
//   {% endif %}; {% for x in expr [if cond] %} ... [{% else %}]
//   {% endfor %} with loop.index, index0, revindex, revindex0, first, last,
//   length, previtem, nextitem; {% break %} / {% continue %};
//   {% set name = expr %}; {% generation %}...{% endgeneration %} (a no-op);
//   whitespace control {%- -%} {{- -}} {#- -#} and {%+ +%}; trim_blocks and
//   lstrip_blocks; newlines normalized to \n, one trailing newline dropped.
//   Expressions: string literals ('..', "..", Python escapes, adjacent ones
//   joined), integers, true/false/none (and True/False/None), names,
//   list [..], tuple (..) and dict {'k': v} literals, a.b, a['b'], a[0],
//   slices a[i:j:k], unary - +, binary + - * // % ~, comparisons
//   == != < > <= >= in, not in (chained as in Python), and, or, not,
//   x if c else y, tests (is / is not) defined, undefined, none, string,
//   number, integer, boolean, true, false, mapping, iterable, sequence;
//   filters trim, length, count, upper, lower, string, first, last, join,
//   default (d) with its boolean argument; methods of strings .strip()
//   .lstrip() .rstrip() .startswith() .endswith() .upper() .lower()
//   .split() .replace() and of dicts .items() .keys() .values() .get();
//   raise_exception('msg'), which makes Render fail with INVALID_ARGUMENT
//   and the message.
//   Values follow Python: == between int and bool, str() and repr() of
//   lists, None printed as "None", code-point string lengths and slices.
//   Undefined names behave as jinja2's default Undefined: printed as "",
//   falsy, iterable as empty, equal only to Undefined; an attribute,
//   subscript, arithmetic or ordering of one fails (INVALID_ARGUMENT).
// Not supported (Parse says UNIMPLEMENTED with the construct and offset):
//   macros, call blocks, include/import/extends/block, raw, set blocks,
//   namespace() and attribute assignment, tuple unpacking, other functions
//   and methods, other filters and tests, tests with arguments, floats and
//   the / and ** operators.
// Integers are 64-bit (overflow is INVALID_ARGUMENT, where Python would
// grow). Bounds: source <= 64 KiB, nesting <= 32 (blocks, and expressions
// separately), any value built and the output <= 16 MiB, list literals
// nested <= 64 deep; loops only iterate values, so they are bounded by the
// input.
#include "core/tokenizer/chat_template.h"

#include <utility>
#include <vector>

#include "core/tokenizer/chat_template_ast.h"
#include "core/util/status_macros.h"

namespace seedlm {

struct ChatTemplate::Node {
  std::vector<chat_internal::Stmt> body;
};

ChatTemplate::ChatTemplate(std::unique_ptr<Node> root)
    : root_(std::move(root)) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

absl::StatusOr<ChatTemplate> ChatTemplate::Parse(absl::string_view source) {
  auto root = std::make_unique<Node>();
  ASSIGN_OR_RETURN(root->body, chat_internal::ParseTemplate(source));
  return ChatTemplate(std::move(root));
}

absl::StatusOr<std::string> ChatTemplate::Render(
    absl::Span<const ChatMessage> messages, bool add_generation_prompt,
    const ChatTemplateTokens& tokens) const {
  return chat_internal::RenderTemplate(root_->body, messages,
                                       add_generation_prompt, tokens);
}

}  // namespace seedlm
