// Oniguruma-style patterns of tokenizer.json, run with RE2 (internal).
//
// Hugging Face tokenizers compiles Split / Replace regexes with Oniguruma;
// RE2 differs in two ways that matter for real tokenizers, handled here:
//
//  1. Shorthand classes are Unicode in Oniguruma, ASCII in RE2. \s \S \d \D
//     \w \W are rewritten to their Unicode meaning (\s: White_Space, i.e.
//     [\t\n\v\f\r\x{85}\p{Z}]; \d: \p{Nd}; \w: [\p{L}\p{M}\p{Nd}\p{Pc}]).
//     \S \D \W inside a bracket class are rejected (UNIMPLEMENTED).
//
//  2. RE2 has no lookaround. The one lookahead used by the GPT-2 and
//     Llama-3 patterns, `\s+(?!\S)`, is supported where it ends a top-level
//     alternative (the pattern, or the text before a top-level `|`). It is
//     compiled as `(?:\s+\z|\s+(\s))`: the whitespace run reaches the end
//     of the text, or is followed by one more whitespace character, which
//     the match consumes and then gives back. That is exactly what the
//     backtracking `\s+(?!\S)` matches (the longest run less its last
//     character when a non-space follows; the whole run at the end of the
//     text; no match for a single character before a non-space), so the
//     match is the same as Oniguruma's, and no match is ever dropped and
//     searched again. Any other placement of `\s+(?!\S)`, and any other
//     lookaround, is UNIMPLEMENTED.
//
// ^ and $ are line anchors, as in Oniguruma's Ruby syntax (RE2 (?m)).
// Matches are found like Oniguruma's find_iter: leftmost-first, non-
// overlapping, and an empty match right after the previous match is skipped
// (so a pattern matching the empty string matches once at each position
// between other matches, as in Hugging Face).
//
// Cost: RE2 runs in time linear in the text for each search (no
// backtracking; the pattern is at most kMaxPatternBytes and its program and
// DFA caches at most kRegexMaxMem, see hf_limits.h). FindAll searches again
// after each match, as Hugging Face's find_iter does; like it, a pattern
// whose preferred alternative scans far past the match it ends up with
// (e.g. `a[ab]*c|a` over "aaaa...") costs O(n) per match.
#ifndef SEEDLM_CORE_TOKENIZER_HF_REGEX_H_
#define SEEDLM_CORE_TOKENIZER_HF_REGEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_limits.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace seedlm {
namespace hf_internal {

class HfRegex {
 public:
  // An Oniguruma pattern. UNIMPLEMENTED (naming the pattern and RE2's
  // error) when it cannot be run with RE2; RESOURCE_EXHAUSTED when it is
  // longer than kMaxPatternBytes or its RE2 program exceeds kRegexMaxMem.
  static absl::StatusOr<std::unique_ptr<HfRegex>> Compile(
      absl::string_view pattern);
  // A literal string (Split / Replace "String" patterns); the same limits.
  static absl::StatusOr<std::unique_ptr<HfRegex>> Literal(
      absl::string_view text);

  ~HfRegex();

  // [begin, end) byte ranges of the matches in `text` (valid UTF-8), in
  // order. At most max_matches + 1 of them: a caller with a budget can tell
  // that the list was cut.
  std::vector<std::pair<size_t, size_t>> FindAll(
      absl::string_view text, size_t max_matches = SIZE_MAX) const;

  // `text` with every match replaced by `content` (taken literally).
  std::string ReplaceAll(absl::string_view text,
                         absl::string_view content) const;
  // The same, charging the size of the result to *budget: RESOURCE_EXHAUSTED
  // as soon as the part built exceeds what is left of it.
  absl::StatusOr<std::string> ReplaceAll(absl::string_view text,
                                         absl::string_view content,
                                         TextBudget* budget) const;

  // The RE2 pattern actually compiled (for tests and messages).
  const std::string& re2_pattern() const { return re2_pattern_; }

 private:
  HfRegex() = default;

  static absl::StatusOr<std::unique_ptr<HfRegex>> CompileRe2(
      absl::string_view pattern, std::string re2_pattern);
  // Calls fn(begin, end) for each match in order until it returns false.
  void Scan(absl::string_view text,
            const std::function<bool(size_t, size_t)>& fn) const;

  std::string re2_pattern_;
  std::unique_ptr<re2::RE2> re_;
  // Capture group indices of the character each emulated `\s+(?!\S)`
  // consumes and gives back.
  std::vector<int> lookahead_groups_;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_REGEX_H_
