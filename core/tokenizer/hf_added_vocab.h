// tokenizer.json "added_tokens" (internal), matched as Hugging Face's
// AddedVocabulary does:
//   - tokens with normalized=false (the default for special tokens) are
//     found in the raw input; the text between them is then normalized
//     piece by piece, and tokens with normalized=true (the default for
//     non-special ones) are found in that normalized text, their own content
//     normalized the same way;
//   - matching is leftmost-longest (Aho-Corasick LeftmostLongest), in time
//     linear in the text (hf_token_matcher.h);
//     single_word rejects a match touching a word character (Unicode \w) on
//     either side; lstrip / rstrip make the match swallow the whitespace
//     before / after it;
//   - a match becomes the token's id, never split further.
// Ids come from the JSON (Hugging Face re-derives them; they agree for
// files it wrote). Decoding skips tokens whose text is a special token's.
// Limits (hf_limits.h, RESOURCE_EXHAUSTED): kMaxAddedTokens tokens, each at
// most kMaxTokenBytes, ids below kMaxVocabSize, kMaxAddedTokenBytes in all
// (contents, and separately their normalized forms).
#ifndef SEEDLM_CORE_TOKENIZER_HF_ADDED_VOCAB_H_
#define SEEDLM_CORE_TOKENIZER_HF_ADDED_VOCAB_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"
#include "core/tokenizer/hf_normalizer.h"
#include "core/tokenizer/hf_token_matcher.h"

namespace seedlm {
namespace hf_internal {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  // A part of a text: an added token (id >= 0) or plain text (id == -1).
  struct Span {
    size_t begin = 0;
    size_t end = 0;
    int32_t id = -1;
  };

  // Parses the "added_tokens" array (null: none). `normalizer` (may be null)
  // normalizes the content of normalized tokens.
  static absl::StatusOr<AddedVocabulary> Parse(const Json& j,
                                               absl::string_view path,
                                               const Normalizer* normalizer);

  // Splits `text` (non-empty) around the tokens with normalized ==
  // `normalized`; the spans cover the text in order.
  std::vector<Span> Split(absl::string_view text, bool normalized) const;

  // The added token with this id, or nullptr.
  const AddedToken* Find(int32_t id) const;
  // The id of the added token with this content, or -1.
  int32_t IdOf(absl::string_view content) const;
  // Whether decoding skips a token with this text.
  bool IsSpecialText(absl::string_view text) const {
    return special_texts_.count(std::string(text)) > 0;
  }
  // 1 + the largest id (0 when none).
  int32_t id_limit() const { return id_limit_; }

 private:
  // The patterns of one matching pass; token[k] is pattern k's index in
  // tokens_.
  struct Matcher {
    TokenMatcher patterns;
    std::vector<size_t> token;
  };

  absl::Status AddToMatchers(const Normalizer* normalizer,
                             absl::string_view path, size_t content_bytes);

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, int32_t> by_content_;
  std::unordered_set<std::string> special_texts_;
  Matcher raw_;         // normalized == false
  Matcher normalized_;  // normalized == true
  int32_t id_limit_ = 0;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_ADDED_VOCAB_H_
