#include "core/tokenizer/unicode_util.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace tokenizer_internal {
namespace {

enum class Seq { kValid, kInvalid, kIncomplete };

// Classifies the sequence at s[pos]. kValid: *n is its length; kInvalid: *n
// is the length of the maximal invalid subpart (>= 1); kIncomplete: the input
// ends after *n bytes that are a valid prefix.
Seq Scan(absl::string_view s, size_t pos, size_t* n) {
  const uint8_t b = static_cast<uint8_t>(s[pos]);
  if (b < 0x80) {
    *n = 1;
    return Seq::kValid;
  }
  size_t len = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    *n = 1;
    return Seq::kInvalid;
  }
  for (size_t k = 1; k < len; ++k) {
    if (pos + k >= s.size()) {
      *n = k;
      return Seq::kIncomplete;
    }
    const uint8_t c = static_cast<uint8_t>(s[pos + k]);
    const bool ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    if (!ok) {
      *n = k;
      return Seq::kInvalid;
    }
  }
  *n = len;
  return Seq::kValid;
}

}  // namespace

absl::Status CheckUtf8(absl::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n;
    if (Scan(s, pos, &n) != Seq::kValid) {
      return absl::InvalidArgumentError(
          absl::StrCat("text is not valid UTF-8 (bad sequence at byte ", pos,
                       " of ", s.size(), ")"));
    }
    pos += n;
  }
  return absl::OkStatus();
}

char32_t DecodeUtf8(absl::string_view s, size_t pos, size_t* len) {
  const uint8_t b = static_cast<uint8_t>(s[pos]);
  if (b < 0x80) {
    *len = 1;
    return b;
  }
  const size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  char32_t cp = b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n && pos + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<uint8_t>(s[pos + k]) & 0x3F);
  }
  *len = n;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<absl::string_view> SplitChars(absl::string_view s) {
  std::vector<absl::string_view> chars;
  chars.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n;
    DecodeUtf8(s, pos, &n);
    if (pos + n > s.size()) n = s.size() - pos;
    chars.push_back(s.substr(pos, n));
    pos += n;
  }
  return chars;
}

size_t LastCharLen(absl::string_view s) {
  size_t n = 1;
  while (n < s.size() && n < 4 &&
         (static_cast<uint8_t>(s[s.size() - n]) & 0xC0) == 0x80) {
    ++n;
  }
  return n;
}

std::string Utf8Lossy(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n;
    if (Scan(bytes, pos, &n) == Seq::kValid) {
      out.append(bytes.data() + pos, n);
    } else {
      out.append(kReplacementChar.data(), kReplacementChar.size());
    }
    pos += n;
  }
  return out;
}

size_t IncompleteUtf8Tail(absl::string_view bytes) {
  // A sequence is at most 4 bytes: only the last 3 can start an open one.
  const size_t from = bytes.size() > 3 ? bytes.size() - 3 : 0;
  for (size_t start = from; start < bytes.size(); ++start) {
    size_t n;
    if (Scan(bytes, start, &n) == Seq::kIncomplete &&
        start + n == bytes.size()) {
      return n;
    }
  }
  return 0;
}

bool IsWhitespace(char32_t c) {
  if (c >= 0x09 && c <= 0x0D) return true;
  switch (c) {
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsWordChar(char32_t c) {
  const UChar32 u = static_cast<UChar32>(c);
  if (u_hasBinaryProperty(u, UCHAR_ALPHABETIC) ||
      u_hasBinaryProperty(u, UCHAR_JOIN_CONTROL)) {
    return true;
  }
  return (U_GET_GC_MASK(u) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0;
}

absl::Status NormalizeUnicode(absl::string_view form, std::string* s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  if (form == "NFC") {
    n = icu::Normalizer2::getNFCInstance(status);
  } else if (form == "NFKC") {
    n = icu::Normalizer2::getNFKCInstance(status);
  } else if (form == "NFD") {
    n = icu::Normalizer2::getNFDInstance(status);
  } else if (form == "NFKD") {
    n = icu::Normalizer2::getNFKDInstance(status);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown normalization form ", form));
  }
  if (U_FAILURE(status) || n == nullptr) {
    return absl::InternalError(
        absl::StrCat("ICU ", form, " normalizer: ", u_errorName(status)));
  }
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(s->data(), static_cast<int32_t>(s->size())));
  icu::UnicodeString out = n->normalize(in, status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("ICU ", form, " normalization: ", u_errorName(status)));
  }
  s->clear();
  out.toUTF8String(*s);
  return absl::OkStatus();
}

}  // namespace tokenizer_internal
}  // namespace seedlm
