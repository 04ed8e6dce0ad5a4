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
//     Llama-3 patterns, `\s+(?!\S)`, is emulated: it is compiled as a
//     capturing group `(\s+)`; when that group ends a match and the next
//     character is not whitespace, the match gives back its last character
//     (which is what the backtracking `\s+(?!\S)` does). If the run is a
//     single character, `\s+(?!\S)` fails there: when the pattern continues
//     with the alternative `|\s+` (GPT-2, Llama-3) that alternative matches
//     the same single character, so the one-character match is kept; when
//     `\s+(?!\S)` ends the pattern the match is dropped and the search goes
//     on one character later. Any other placement of `\s+(?!\S)`, and any
//     other lookaround, is UNIMPLEMENTED.
//
// ^ and $ are line anchors, as in Oniguruma's Ruby syntax (RE2 (?m)).
// Matches are found like Oniguruma's find_iter: leftmost-first, non-
// overlapping, and an empty match right after the previous match is skipped.
#ifndef SEEDLM_CORE_TOKENIZER_HF_REGEX_H_
#define SEEDLM_CORE_TOKENIZER_HF_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace seedlm {
namespace hf_internal {

class HfRegex {
 public:
  // An Oniguruma pattern. UNIMPLEMENTED (naming the pattern and RE2's
  // error) when it cannot be run with RE2.
  static absl::StatusOr<std::unique_ptr<HfRegex>> Compile(
      absl::string_view pattern);
  // A literal string (Split / Replace "String" patterns).
  static std::unique_ptr<HfRegex> Literal(absl::string_view text);

  ~HfRegex();

  // [begin, end) byte ranges of the matches in `text` (valid UTF-8).
  std::vector<std::pair<size_t, size_t>> FindAll(absl::string_view text) const;

  // `text` with every match replaced by `content` (taken literally).
  std::string ReplaceAll(absl::string_view text,
                         absl::string_view content) const;

  // The RE2 pattern actually compiled (for tests and messages).
  const std::string& re2_pattern() const { return re2_pattern_; }

 private:
  HfRegex() = default;

  // Applies the `\s+(?!\S)` emulation to a match [begin, *end); false when
  // the match must be dropped.
  bool AdjustLookahead(absl::string_view text, const void* groups,
                       size_t* end) const;

  std::string re2_pattern_;
  std::unique_ptr<re2::RE2> re_;
  // Capture group indices of emulated `\s+(?!\S)`, and whether each is
  // followed by `|\s+` (true) or ends the pattern (false).
  std::vector<std::pair<int, bool>> lookahead_groups_;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_REGEX_H_
