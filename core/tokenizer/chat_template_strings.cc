// Python's str methods for the chat-template interpreter (declared in
// chat_template_value.h).
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/chat_template_value.h"
#include "core/tokenizer/unicode_util.h"

namespace seedlm {
namespace chat_internal {

using tokenizer_internal::DecodeUtf8;
using tokenizer_internal::IsWhitespace;
using tokenizer_internal::SplitChars;

bool IsPySpace(char32_t c) {
  return IsWhitespace(c) || (c >= 0x1c && c <= 0x1f);
}

std::string PyStrip(absl::string_view s, bool left, bool right,
                    const std::string* chars) {
  std::vector<absl::string_view> cs = SplitChars(s);
  std::vector<absl::string_view> set;
  if (chars != nullptr) set = SplitChars(*chars);
  auto strip = [&](absl::string_view c) {
    if (chars == nullptr) {
      size_t len = 0;
      return IsPySpace(DecodeUtf8(c, 0, &len));
    }
    return std::find(set.begin(), set.end(), c) != set.end();
  };
  size_t lo = 0, hi = cs.size();
  if (left) {
    while (lo < hi && strip(cs[lo])) ++lo;
  }
  if (right) {
    while (hi > lo && strip(cs[hi - 1])) --hi;
  }
  if (lo == hi) return "";
  const char* begin = cs[lo].data();
  const char* end = cs[hi - 1].data() + cs[hi - 1].size();
  return std::string(begin, end);
}

std::string PyUpper(absl::string_view s) {
  std::string out;
  icu::UnicodeString::fromUTF8(
      icu::StringPiece(s.data(), static_cast<int32_t>(s.size())))
      .toUpper(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}

std::string PyLower(absl::string_view s) {
  std::string out;
  icu::UnicodeString::fromUTF8(
      icu::StringPiece(s.data(), static_cast<int32_t>(s.size())))
      .toLower(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}

size_t CodePointCount(absl::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

List PySplit(absl::string_view s, const std::string* sep) {
  List out;
  if (sep != nullptr) {
    size_t pos = 0;
    while (true) {
      const size_t hit = s.find(*sep, pos);
      if (hit == absl::string_view::npos) break;
      out.push_back(Value::Str(std::string(s.substr(pos, hit - pos))));
      pos = hit + sep->size();
    }
    out.push_back(Value::Str(std::string(s.substr(pos))));
    return out;
  }
  std::string word;
  bool in_word = false;
  for (absl::string_view c : SplitChars(s)) {
    size_t len = 0;
    if (IsPySpace(DecodeUtf8(c, 0, &len))) {
      if (in_word) out.push_back(Value::Str(std::move(word)));
      word.clear();
      in_word = false;
    } else {
      absl::StrAppend(&word, c);
      in_word = true;
    }
  }
  if (in_word) out.push_back(Value::Str(std::move(word)));
  return out;
}

std::string PyReplace(absl::string_view s, absl::string_view from,
                      absl::string_view to) {
  std::string out;
  if (from.empty()) {  // Python inserts `to` around every character
    absl::StrAppend(&out, to);
    for (absl::string_view c : SplitChars(s)) {
      absl::StrAppend(&out, c);
      absl::StrAppend(&out, to);
    }
    return out;
  }
  size_t pos = 0;
  while (true) {
    const size_t hit = s.find(from, pos);
    if (hit == absl::string_view::npos) break;
    absl::StrAppend(&out, s.substr(pos, hit - pos));
    absl::StrAppend(&out, to);
    pos = hit + from.size();
  }
  absl::StrAppend(&out, s.substr(pos));
  return out;
}

}  // namespace chat_internal
}  // namespace seedlm
