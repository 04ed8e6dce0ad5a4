// The chat-template interpreter's built-ins (internal): which Jinja tags,
// filters, tests and methods the subset knows, their argument checks at
// Parse time, and what they compute at Render time (jinja2's and Python's
// semantics). See chat_template.cc for the list.
#ifndef SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_BUILTINS_H_
#define SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_BUILTINS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/chat_template_ast.h"
#include "core/tokenizer/chat_template_value.h"

namespace seedlm {
namespace chat_internal {

// A tag jinja2 (or a common extension) knows but the subset does not
// (macro, call, include, raw, ...): Parse reports it UNIMPLEMENTED rather
// than as a syntax error.
bool IsKnownJinjaTag(absl::string_view name);

// Whether `x is <name>` is supported (no-argument tests only).
bool IsSupportedTest(absl::string_view name);

// Checks a filter node (args: the operand, then the call's arguments, the
// last kwargs.size() of them given by keyword) and rewrites its arguments
// to one per parameter, by position, defaults filled in. UNIMPLEMENTED for
// an unknown filter or keyword, INVALID_ARGUMENT for a wrong count.
absl::Status NormalizeFilterArgs(Expr* filter,
                                 const std::vector<std::string>& kwargs);

// Checks a method call node (args: the receiver, then the arguments).
// UNIMPLEMENTED for an unknown method or keyword arguments,
// INVALID_ARGUMENT for a wrong argument count.
absl::Status CheckMethodArgs(const Expr& call,
                             const std::vector<std::string>& kwargs);

// The filter `name` on `v` with its normalized arguments.
absl::StatusOr<Value> ApplyFilter(absl::string_view name, const Value& v,
                                  const std::vector<Value>& args);
// The test `name` on `v`.
bool ApplyTest(absl::string_view name, const Value& v);
// The method `name` of `v` called with `args`; INVALID_ARGUMENT when `v`
// has no such method (an Undefined receiver: its UndefinedError).
absl::StatusOr<Value> CallMethod(absl::string_view name, const Value& v,
                                 const std::vector<Value>& args);

}  // namespace chat_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_BUILTINS_H_
