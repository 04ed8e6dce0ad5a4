#include "core/tokenizer/hf_added_vocab.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

using tokenizer_internal::DecodeUtf8;
using tokenizer_internal::IsWhitespace;
using tokenizer_internal::IsWordChar;
using tokenizer_internal::LastCharLen;

// Rust regex `\w$` / `^\w` (Unicode).
bool EndsWithWord(absl::string_view s) {
  if (s.empty()) return false;
  size_t n;
  return IsWordChar(DecodeUtf8(s, s.size() - LastCharLen(s), &n));
}
bool StartsWithWord(absl::string_view s) {
  size_t n;
  return !s.empty() && IsWordChar(DecodeUtf8(s, 0, &n));
}

// Where the whitespace run that ends at `end` starts, looking back no
// further than `floor` (`\s*$` over text[floor, end)).
size_t TrailingSpaceStart(absl::string_view text, size_t floor, size_t end) {
  size_t n;
  while (end > floor) {
    const size_t last = LastCharLen(text.substr(floor, end - floor));
    if (!IsWhitespace(DecodeUtf8(text, end - last, &n))) break;
    end -= last;
  }
  return end;
}

// Bytes of whitespace at the start of `s` (`^\s*`).
size_t LeadingSpaceLength(absl::string_view s) {
  size_t pos = 0, n;
  while (pos < s.size() && IsWhitespace(DecodeUtf8(s, pos, &n))) pos += n;
  return pos;
}

absl::Status TooBig(absl::string_view path, absl::string_view what, uint64_t n,
                    uint64_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      Where(path), ": ", what, " (", n, ") exceeds the limit of ", limit));
}

absl::StatusOr<AddedToken> ParseToken(const Json& t, absl::string_view path) {
  AddedToken a;
  ASSIGN_OR_RETURN(const int64_t id,
                   JsonInt(t, "id", 0, INT32_MAX - 1, Where(path)));
  if (id >= kMaxVocabSize) {
    return TooBig(absl::StrCat(path, ".id"), "an id", id, kMaxVocabSize);
  }
  a.id = static_cast<int32_t>(id);
  ASSIGN_OR_RETURN(a.content, GetString(t, "content", path));
  if (a.content.size() > kMaxTokenBytes) {
    return TooBig(absl::StrCat(path, ".content"), "its length",
                  a.content.size(), kMaxTokenBytes);
  }
  ASSIGN_OR_RETURN(a.special, GetBool(t, "special", false, path));
  ASSIGN_OR_RETURN(a.single_word, GetBool(t, "single_word", false, path));
  ASSIGN_OR_RETURN(a.lstrip, GetBool(t, "lstrip", false, path));
  ASSIGN_OR_RETURN(a.rstrip, GetBool(t, "rstrip", false, path));
  ASSIGN_OR_RETURN(a.normalized, GetBool(t, "normalized", !a.special, path));
  return a;
}

}  // namespace

absl::StatusOr<AddedVocabulary> AddedVocabulary::Parse(
    const Json& j, absl::string_view path, const Normalizer* normalizer) {
  AddedVocabulary v;
  if (j.is_null()) return v;
  if (!j.is_array()) return Malformed(path, "expected an array");
  if (static_cast<int64_t>(j.size()) > kMaxAddedTokens) {
    return TooBig(path, "the number of added tokens", j.size(),
                  kMaxAddedTokens);
  }
  size_t bytes = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(AddedToken a,
                     ParseToken(j[i], absl::StrCat(path, "[", i, "]")));
    bytes += a.content.size();
    if (bytes > kMaxAddedTokenBytes) {
      return TooBig(path, "the bytes of all added tokens", bytes,
                    kMaxAddedTokenBytes);
    }
    if (a.content.empty() || v.by_content_.count(a.content) > 0) continue;
    v.by_content_[a.content] = a.id;
    v.by_id_[a.id] = v.tokens_.size();
    if (a.special) v.special_texts_.insert(a.content);
    v.id_limit_ = std::max(v.id_limit_, a.id + 1);
    v.tokens_.push_back(std::move(a));
  }
  RETURN_IF_ERROR(v.AddToMatchers(normalizer, path, bytes));
  return v;
}

absl::Status AddedVocabulary::AddToMatchers(const Normalizer* normalizer,
                                            absl::string_view path,
                                            size_t content_bytes) {
  // One budget for normalizing every content, as for one text.
  TextBudget budget(content_bytes);
  size_t normalized_bytes = 0;
  // Hugging Face lists special tokens first, then the others.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const AddedToken& t = tokens_[i];
      if (t.special != (pass == 0)) continue;
      Matcher& m = t.normalized ? normalized_ : raw_;
      std::string pattern = t.content;
      if (t.normalized && normalizer != nullptr) {
        RETURN_IF_ERROR(normalizer->Normalize(&pattern, &budget));
        normalized_bytes += pattern.size();
        if (normalized_bytes > kMaxAddedTokenBytes) {
          return TooBig(path, "the bytes of the normalized added tokens",
                        normalized_bytes, kMaxAddedTokenBytes);
        }
      }
      if (pattern.empty()) continue;
      m.patterns.Add(std::move(pattern));
      m.token.push_back(i);
    }
  }
  raw_.patterns.Build();
  normalized_.patterns.Build();
  return absl::OkStatus();
}

std::vector<AddedVocabulary::Span> AddedVocabulary::Split(
    absl::string_view text, bool normalized) const {
  const Matcher& m = normalized ? normalized_ : raw_;
  std::vector<Span> out;
  size_t start_offset = 0;
  if (m.patterns.size() > 0) {
    const std::vector<int32_t> longest = m.patterns.LongestAt(text);
    size_t from = 0;
    while (from < text.size()) {
      const int32_t k = longest[from];
      if (k < 0) {
        ++from;
        continue;
      }
      const AddedToken& t = tokens_[m.token[k]];
      size_t start = from, stop = from + m.patterns.pattern(k).size();
      from = stop;  // the match iterator moves on even when it is discarded
      if (t.single_word &&
          ((start > 0 && EndsWithWord(text.substr(0, start))) ||
           StartsWithWord(text.substr(stop)))) {
        continue;
      }
      // Not past the previous match: the scans stay linear in all.
      if (t.lstrip) start = TrailingSpaceStart(text, start_offset, start);
      if (t.rstrip) {
        stop += LeadingSpaceLength(text.substr(stop));
        from = stop;
      }
      if (start_offset < start) out.push_back({start_offset, start, -1});
      out.push_back({start, stop, t.id});
      start_offset = stop;
    }
  }
  if (start_offset != text.size()) {
    out.push_back({start_offset, text.size(), -1});
  }
  return out;
}

const AddedToken* AddedVocabulary::Find(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedVocabulary::IdOf(absl::string_view content) const {
  auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? -1 : it->second;
}

}  // namespace hf_internal
}  // namespace seedlm
