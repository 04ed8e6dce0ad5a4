// UTF-8 and Unicode helpers shared by the tokenizers (internal).
//
// Invalid UTF-8 is replaced the way Rust's String::from_utf8_lossy (and the
// WHATWG decoder) does it: one U+FFFD per maximal invalid subpart.
#ifndef SEEDLM_CORE_TOKENIZER_UNICODE_UTIL_H_
#define SEEDLM_CORE_TOKENIZER_UNICODE_UTIL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace seedlm {
namespace tokenizer_internal {

// U+FFFD REPLACEMENT CHARACTER in UTF-8.
inline constexpr absl::string_view kReplacementChar = "\xEF\xBF\xBD";

// OK, or INVALID_ARGUMENT naming the byte offset of the first bad sequence
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
absl::Status CheckUtf8(absl::string_view s);

// The code point starting at s[pos] of VALID UTF-8 and its length in bytes.
char32_t DecodeUtf8(absl::string_view s, size_t pos, size_t* len);

// Appends the UTF-8 encoding of `cp` (a scalar value) to *out.
void AppendUtf8(char32_t cp, std::string* out);

// The characters of valid UTF-8 `s`, each as a view into `s`.
std::vector<absl::string_view> SplitChars(absl::string_view s);

// Length in bytes of the last character of valid, non-empty UTF-8 `s`.
size_t LastCharLen(absl::string_view s);

// `bytes` with every maximal invalid subpart replaced by U+FFFD.
std::string Utf8Lossy(absl::string_view bytes);

// Number of trailing bytes of `bytes` that form an incomplete sequence which
// more bytes could still complete (0 when the bytes end on a boundary or in
// an already invalid sequence). Utf8Lossy(a + b) == Utf8Lossy(a) +
// Utf8Lossy(b) whenever this is 0 for `a`.
size_t IncompleteUtf8Tail(absl::string_view bytes);

// Unicode White_Space (Rust's char::is_whitespace, Oniguruma's \s).
bool IsWhitespace(char32_t c);

// A "word" character as Rust regex's Unicode \w: Alphabetic, marks, decimal
// digits, connector punctuation, Join_Control.
bool IsWordChar(char32_t c);

// Unicode normalization forms (ICU). `form` is one of "NFC", "NFKC", "NFD",
// "NFKD"; `s` must be valid UTF-8.
absl::Status NormalizeUnicode(absl::string_view form, std::string* s);

}  // namespace tokenizer_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_UNICODE_UTIL_H_
