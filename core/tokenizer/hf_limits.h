// Limits on what a tokenizer.json may describe and on the work one Encode
// may do (internal). A hostile file or input text must not crash, hang or
// exhaust memory: each limit below is far above what real Llama-family
// tokenizers use, and exceeding it is RESOURCE_EXHAUSTED naming the limit.
// docs/LIMITS.md lists them.
#ifndef SEEDLM_CORE_TOKENIZER_HF_LIMITS_H_
#define SEEDLM_CORE_TOKENIZER_HF_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/json_util.h"

namespace seedlm {
namespace hf_internal {

// ---- The file (HfTokenizer::Create).

// Largest tokenizer.json, its deepest JSON nesting and most JSON items
// (real files: up to ~35 MB, depth ~6; Llama-3's 128k vocabulary and 280k
// merges as pairs are ~1.2 M items). Over any: RESOURCE_EXHAUSTED before
// parsing.
inline constexpr JsonLimits kTokenizerJsonLimits{uint64_t{64} << 20, 64,
                                                 uint64_t{1} << 23};

// Deepest nesting of Sequence components (normalizer, pre_tokenizer,
// decoder, post_processor; the top-level component has depth 0), and most
// components in one such tree, Sequences included. Real files: depth 1,
// fewer than 10 components.
inline constexpr int kMaxComponentDepth = 16;
inline constexpr int kMaxComponentCount = 256;

// Most tokens in model.vocab, and every id (vocabulary, added tokens,
// post-processor specials) must be below it. Real vocabularies: <= 262,144.
inline constexpr int64_t kMaxVocabSize = int64_t{1} << 21;
// model.vocab's ids may leave holes, but at most this many (each id costs
// a table slot); more: DATA_LOSS.
inline constexpr int64_t kMaxIdHoles = int64_t{1} << 20;
// Most entries in model.merges.
inline constexpr int64_t kMaxMerges = int64_t{1} << 22;
// Most entries in added_tokens, and most bytes of their contents in all
// (and, separately, of the contents after normalization): the matcher of
// hf_token_matcher.h takes about 20 bytes per byte.
inline constexpr int64_t kMaxAddedTokens = int64_t{1} << 18;
inline constexpr size_t kMaxAddedTokenBytes = size_t{4} << 20;
// Longest vocabulary token, merge token or added token, in bytes.
inline constexpr size_t kMaxTokenBytes = 4096;
// Longest continuing_subword_prefix / end_of_word_suffix (real: "##",
// "</w>"); each is copied once per character of a word.
inline constexpr size_t kMaxSubwordAffixBytes = 64;
// Longest Split / Replace pattern (String or Regex), in bytes. Real
// pre-tokenizer regexes are under 300 bytes.
inline constexpr size_t kMaxPatternBytes = 4096;
// Memory RE2 may use for one compiled pattern and its DFA caches
// (RE2::Options::max_mem). A pattern whose program does not fit is
// RESOURCE_EXHAUSTED; matching stays linear-time (RE2 falls back to its
// NFA when a DFA cache fills).
inline constexpr int64_t kRegexMaxMem = int64_t{8} << 20;
// The decoder's Replace stages may make decoded text at most this many
// times longer (a Replace whose content has c bytes counts 1 + c, since a
// pattern that matches the empty string inserts the content before every
// character); checked when the file is loaded, as Decode cannot fail.
inline constexpr int64_t kMaxDecoderGrowth = 64;

// ---- One Encode.

// All normalizer and pre-tokenizer stages of one Encode together may
// produce at most kTextWorkFactor bytes per input byte, plus
// kTextWorkSlackBytes (real pipelines: under 20 per byte; a pre-token
// also costs sizeof(PreToken) besides its bytes, so that splitting a text
// into tiny pieces cannot take much more memory than the budget). Over it:
// RESOURCE_EXHAUSTED. This bounds both the size of the normalized text (an
// empty-match Replace inserts its content at every position) and the work
// of long Sequences.
inline constexpr size_t kTextWorkFactor = 64;
inline constexpr size_t kTextWorkSlackBytes = 4096;

// The byte budget of kTextWorkFactor for one Encode (or one added token's
// content while the file is loaded). Not thread-safe; one per call.
class TextBudget {
 public:
  explicit TextBudget(size_t input_bytes)
      : limit_(input_bytes * kTextWorkFactor + kTextWorkSlackBytes),
        left_(limit_) {}

  // Charges `bytes` of output; RESOURCE_EXHAUSTED once the total exceeds
  // the budget.
  absl::Status Spend(size_t bytes) {
    if (bytes > left_) {
      left_ = 0;
      return Exceeded();
    }
    left_ -= bytes;
    return absl::OkStatus();
  }
  // What may still be spent.
  size_t left() const { return left_; }
  // The RESOURCE_EXHAUSTED error of a stage that found it would overspend.
  absl::Status Exceeded() const {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tokenizer.json: the normalizers and pre-tokenizers would produce "
        "more than ",
        limit_, " bytes for this text (limit: ", kTextWorkFactor,
        " bytes per input byte + ", kTextWorkSlackBytes, ")"));
  }

 private:
  size_t limit_;
  size_t left_;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_LIMITS_H_
