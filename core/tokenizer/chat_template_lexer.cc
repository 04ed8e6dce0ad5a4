// The chat-template lexer: jinja2's Lexer.tokeniter for the default
// delimiters with trim_blocks=True and lstrip_blocks=True (what Hugging
// Face's apply_chat_template uses). See chat_template_ast.h.
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/tokenizer/chat_template_ast.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace chat_internal {
namespace {

using tokenizer_internal::AppendUtf8;
using tokenizer_internal::DecodeUtf8;

absl::Status SyntaxError(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "chat template syntax error at offset %d: %s", offset, what));
}

// jinja2 splits on \r\n, \r and \n, joins with \n, and drops one trailing
// newline (keep_trailing_newline=False).
std::string NormalizeNewlines(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k] == '\r') {
      out.push_back('\n');
      if (k + 1 < in.size() && in[k + 1] == '\n') ++k;
    } else {
      out.push_back(in[k]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Length of the Python whitespace character (str.isspace, regex \s) at
// s[pos], or 0.
size_t SpaceAt(const std::string& s, size_t pos) {
  if (pos >= s.size()) return 0;
  size_t len = 0;
  const char32_t c = DecodeUtf8(s, pos, &len);
  return IsPySpace(c) ? len : 0;
}

size_t SkipSpace(const std::string& s, size_t pos) {
  while (size_t len = SpaceAt(s, pos)) pos += len;
  return pos;
}

// Python's str.rstrip() of s[begin, end): the new end.
size_t RstripEnd(const std::string& s, size_t begin, size_t end) {
  size_t keep = begin;
  for (size_t pos = begin; pos < end;) {
    const size_t len = SpaceAt(s, pos);
    if (len == 0) {
      size_t clen = 0;
      DecodeUtf8(s, pos, &clen);
      pos += clen;
      keep = pos;
    } else {
      pos += len;
    }
  }
  return keep;
}

bool HexValue(char c, int* v) {
  if (c >= '0' && c <= '9')
    *v = c - '0';
  else if (c >= 'a' && c <= 'f')
    *v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F')
    *v = c - 'A' + 10;
  else
    return false;
  return true;
}

// A string literal's body decoded as jinja2 does (Python's unicode-escape
// over the backslash-replaced text): \\ \' \" \a \b \f \n \r \t \v, octal,
// \xHH, \uHHHH, \UHHHHHHHH, backslash-newline; other escapes stay as they
// are.
absl::Status DecodeEscapes(absl::string_view body, size_t offset,
                           std::string* out) {
  for (size_t k = 0; k < body.size(); ++k) {
    const char c = body[k];
    if (c != '\\' || k + 1 >= body.size()) {
      out->push_back(c);
      continue;
    }
    const char e = body[++k];
    switch (e) {
      case '\n':
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\'':
        out->push_back('\'');
        break;
      case '"':
        out->push_back('"');
        break;
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        uint32_t cp = 0;
        for (size_t d = 0; d < n; ++d) {
          int v = 0;
          if (k + 1 + d >= body.size() || !HexValue(body[k + 1 + d], &v)) {
            return SyntaxError(offset, "truncated \\x/\\u escape in string");
          }
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        k += n;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return SyntaxError(offset, "string escape is not a Unicode scalar");
        }
        AppendUtf8(cp, out);
        break;
      }
      case 'N':
        return absl::UnimplementedError(absl::StrFormat(
            "chat template: \\N{...} escapes are not supported (offset %d)",
            offset));
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int d = 0; d < 2 && k + 1 < body.size() && body[k + 1] >= '0' &&
                          body[k + 1] <= '7';
               ++d) {
            cp = cp * 8 + static_cast<uint32_t>(body[++k] - '0');
          }
          AppendUtf8(cp, out);
        } else {
          out->push_back('\\');
          out->push_back(e);
        }
    }
  }
  return absl::OkStatus();
}

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {}

  absl::StatusOr<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      size_t tag = pos_;
      while (true) {
        tag = src_.find('{', tag);
        if (tag == std::string::npos || tag + 1 >= src_.size()) {
          tag = std::string::npos;
          break;
        }
        const char k = src_[tag + 1];
        if (k == '{' || k == '%' || k == '#') break;
        ++tag;
      }
      if (tag == std::string::npos) {
        Emit(Token::Kind::kData, pos_, src_.substr(pos_));
        break;
      }
      RETURN_IF_ERROR(LexTag(tag));
    }
    Emit(Token::Kind::kEof, src_.size(), "");
    return std::move(tokens_);
  }

 private:
  void Emit(Token::Kind kind, size_t offset, std::string text) {
    Token t;
    t.kind = kind;
    t.offset = offset;
    t.text = std::move(text);
    tokens_.push_back(std::move(t));
  }

  // The text before the tag at `tag`, whitespace-controlled, then the tag.
  absl::Status LexTag(size_t tag) {
    const char kind = src_[tag + 1];
    size_t p = tag + 2;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    size_t text_end = tag;
    if (sign == '-') {
      text_end = RstripEnd(src_, pos_, tag);
    } else if (sign != '+' && kind != '{') {  // lstrip_blocks
      const size_t nl = src_.rfind('\n', tag == 0 ? 0 : tag - 1);
      const size_t l_pos =
          (nl == std::string::npos || nl < pos_) ? pos_ : nl + 1;
      if ((l_pos > pos_ || line_starting_) && l_pos < tag &&
          SkipSpace(src_, l_pos) >= tag) {
        text_end = l_pos;
      }
    }
    if (text_end > pos_) {
      Emit(Token::Kind::kData, pos_, src_.substr(pos_, text_end - pos_));
    }
    if (kind == '#') return LexComment(tag, p);
    if (kind == '%') {
      const size_t w = SkipSpace(src_, p);
      if (src_.compare(w, 3, "raw") == 0 &&
          (w + 3 >= src_.size() ||
           !(std::isalnum(static_cast<unsigned char>(src_[w + 3])) ||
             src_[w + 3] == '_'))) {
        return absl::UnimplementedError(absl::StrFormat(
            "chat template: {%% raw %%} is not supported (offset %d)", tag));
      }
    }
    Emit(kind == '%' ? Token::Kind::kBlockBegin : Token::Kind::kVarBegin, tag,
         "");
    pos_ = p;
    return LexInside(kind, tag);
  }

  absl::Status LexComment(size_t tag, size_t p) {
    const size_t end = src_.find("#}", p);
    if (end == std::string::npos) {
      return SyntaxError(tag, "missing end of comment tag");
    }
    const char sign = end > p ? src_[end - 1] : 0;
    pos_ = end + 2;
    FinishTag(sign == '-' ? '-' : (sign == '+' ? '+' : 0), true);
    return absl::OkStatus();
  }

  // After a tag's closing delimiter: -X} strips all whitespace, +%} keeps
  // it, a plain block/comment end eats one newline (trim_blocks).
  void FinishTag(char sign, bool trim) {
    const size_t start = pos_;
    if (sign == '-') {
      pos_ = SkipSpace(src_, pos_);
    } else if (sign != '+' && trim && pos_ < src_.size() &&
               src_[pos_] == '\n') {
      ++pos_;
    }
    line_starting_ = pos_ > start && src_[pos_ - 1] == '\n';
  }

  // Tokens up to the closing %} or }}, with brackets balanced.
  absl::Status LexInside(char kind, size_t tag) {
    const char close = kind == '%' ? '%' : '}';
    std::vector<char> balance;
    while (true) {
      pos_ = SkipSpace(src_, pos_);
      if (pos_ >= src_.size()) {
        return SyntaxError(tag, "unexpected end of template, tag not closed");
      }
      if (balance.empty()) {
        char sign = 0;
        size_t q = pos_;
        if (src_[q] == '-' || (src_[q] == '+' && kind == '%')) sign = src_[q++];
        if (src_.compare(q, 2, std::string{close, '}'}) == 0) {
          Emit(kind == '%' ? Token::Kind::kBlockEnd : Token::Kind::kVarEnd,
               pos_, "");
          pos_ = q + 2;
          FinishTag(sign, kind == '%');
          return absl::OkStatus();
        }
      }
      RETURN_IF_ERROR(LexOne(&balance));
    }
  }

  absl::Status LexOne(std::vector<char>* balance) {
    const size_t start = pos_;
    const char c = src_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      int64_t v = 0;
      while (pos_ < src_.size() &&
             (std::isdigit(static_cast<unsigned char>(src_[pos_])) ||
              (src_[pos_] == '_' && pos_ + 1 < src_.size() &&
               std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))))) {
        if (src_[pos_] != '_') {
          if (v > (INT64_MAX - 9) / 10) {
            return SyntaxError(start, "integer literal too large");
          }
          v = v * 10 + (src_[pos_] - '0');
        }
        ++pos_;
      }
      const bool after_dot = start > 0 && src_[start - 1] == '.';
      if (!after_dot && pos_ + 1 < src_.size() &&
          ((src_[pos_] == '.' &&
            std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) ||
           src_[pos_] == 'e' || src_[pos_] == 'E')) {
        return absl::UnimplementedError(absl::StrFormat(
            "chat template: float literals are not supported (offset %d)",
            start));
      }
      Emit(Token::Kind::kInt, start, "");
      tokens_.back().int_value = v;
      return absl::OkStatus();
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[pos_])) ||
              src_[pos_] == '_')) {
        ++pos_;
      }
      Emit(Token::Kind::kName, start, src_.substr(start, pos_ - start));
      return absl::OkStatus();
    }
    if (c == '\'' || c == '"') return LexString(c);
    static constexpr const char* kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kTwo) {
      if (src_.compare(pos_, 2, op) == 0) {
        pos_ += 2;
        Emit(Token::Kind::kOp, start, op);
        return absl::OkStatus();
      }
    }
    if (std::string("+-/*%~[](){},.:|=<>;").find(c) == std::string::npos) {
      return SyntaxError(start, absl::StrFormat("unexpected char '%c'", c));
    }
    if (c == '(' || c == '[' || c == '{') {
      balance->push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance->empty() || balance->back() != c) {
        return SyntaxError(start, absl::StrFormat("unexpected '%c'", c));
      }
      balance->pop_back();
    }
    ++pos_;
    Emit(Token::Kind::kOp, start, std::string(1, c));
    return absl::OkStatus();
  }

  absl::Status LexString(char quote) {
    const size_t start = pos_;
    size_t p = pos_ + 1;
    while (p < src_.size() && src_[p] != quote) p += src_[p] == '\\' ? 2 : 1;
    if (p >= src_.size()) return SyntaxError(start, "unterminated string");
    std::string text;
    RETURN_IF_ERROR(
        DecodeEscapes(absl::string_view(src_).substr(start + 1, p - start - 1),
                      start, &text));
    pos_ = p + 1;
    Emit(Token::Kind::kString, start, std::move(text));
    return absl::OkStatus();
  }

  std::string src_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

absl::StatusOr<std::vector<Token>> LexTemplate(absl::string_view source) {
  return Lexer(NormalizeNewlines(source)).Run();
}

}  // namespace chat_internal
}  // namespace seedlm
