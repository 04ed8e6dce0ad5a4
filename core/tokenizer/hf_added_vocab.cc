#include "core/tokenizer/hf_added_vocab.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
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

// Where the whitespace at the end of `s` starts (`\s*$`).
size_t TrailingSpaceStart(absl::string_view s) {
  size_t end = s.size(), n;
  while (end > 0) {
    const size_t last = LastCharLen(s.substr(0, end));
    if (!IsWhitespace(DecodeUtf8(s, end - last, &n))) break;
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

absl::StatusOr<AddedToken> ParseToken(const Json& t, absl::string_view path) {
  AddedToken a;
  if (!t.is_object() || !t.contains("id") || AsId(t["id"]) < 0) {
    return Malformed(path, "an added token needs a non-negative \"id\"");
  }
  a.id = AsId(t["id"]);
  ASSIGN_OR_RETURN(a.content, GetString(t, "content", path));
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
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(AddedToken a,
                     ParseToken(j[i], absl::StrCat(path, "[", i, "]")));
    if (a.content.empty() || v.by_content_.count(a.content) > 0) continue;
    v.by_content_[a.content] = a.id;
    v.by_id_[a.id] = v.tokens_.size();
    if (a.special) v.special_texts_.insert(a.content);
    v.id_limit_ = std::max(v.id_limit_, a.id + 1);
    v.tokens_.push_back(std::move(a));
  }
  RETURN_IF_ERROR(v.AddToMatchers(normalizer));
  return v;
}

absl::Status AddedVocabulary::AddToMatchers(const Normalizer* normalizer) {
  // Hugging Face lists special tokens first, then the others.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      const AddedToken& t = tokens_[i];
      if (t.special != (pass == 0)) continue;
      Matcher& m = t.normalized ? normalized_ : raw_;
      std::string pattern = t.content;
      if (t.normalized && normalizer != nullptr) {
        RETURN_IF_ERROR(normalizer->Normalize(&pattern));
      }
      if (pattern.empty()) continue;
      m.patterns.push_back(std::move(pattern));
      m.token.push_back(i);
    }
  }
  for (Matcher* m : {&raw_, &normalized_}) {
    for (size_t k = 0; k < m->patterns.size(); ++k) {
      m->by_first_byte[static_cast<uint8_t>(m->patterns[k][0])].push_back(k);
    }
    for (auto& list : m->by_first_byte) {
      std::stable_sort(list.begin(), list.end(), [m](size_t a, size_t b) {
        return m->patterns[a].size() > m->patterns[b].size();
      });
    }
  }
  return absl::OkStatus();
}

int AddedVocabulary::FindLeftmost(const Matcher& m, absl::string_view text,
                                  size_t from, size_t* at) const {
  if (m.patterns.empty()) return -1;
  for (size_t p = from; p < text.size(); ++p) {
    for (size_t k : m.by_first_byte[static_cast<uint8_t>(text[p])]) {
      const std::string& pat = m.patterns[k];
      if (text.size() - p >= pat.size() &&
          text.compare(p, pat.size(), pat) == 0) {
        *at = p;
        return static_cast<int>(k);
      }
    }
  }
  return -1;
}

std::vector<AddedVocabulary::Span> AddedVocabulary::Split(
    absl::string_view text, bool normalized) const {
  const Matcher& m = normalized ? normalized_ : raw_;
  std::vector<Span> out;
  size_t start_offset = 0, from = 0, at = 0;
  for (int k; (k = FindLeftmost(m, text, from, &at)) >= 0;) {
    const AddedToken& t = tokens_[m.token[k]];
    size_t start = at, stop = at + m.patterns[k].size();
    from = stop;  // the match iterator moves on even when it is discarded
    if (t.single_word && ((start > 0 && EndsWithWord(text.substr(0, start))) ||
                          StartsWithWord(text.substr(stop)))) {
      continue;
    }
    if (t.lstrip) {
      start = std::max(TrailingSpaceStart(text.substr(0, start)), start_offset);
    }
    if (t.rstrip) {
      stop += LeadingSpaceLength(text.substr(stop));
      from = stop;
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, t.id});
    start_offset = stop;
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
