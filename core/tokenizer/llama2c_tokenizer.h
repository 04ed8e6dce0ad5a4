// llama2.c's tokenizer.bin ("llama2c-bin"), encoded and decoded exactly as
// llama2.c's run.c `encode` / `decode` do.
//
// File: int32 max_token_length, then for each token until the end of the
// file: float32 score, int32 byte length, the bytes (little-endian). The
// vocabulary size is the number of entries. Ids 0, 1, 2 are <unk>, BOS, EOS;
// ids 3..258 are the byte tokens "<0x00>".."<0xFF>".
//
// Encode(text): an empty text gives no tokens (BOS/EOS aside). Otherwise a
// dummy prefix token " " comes first, then each UTF-8 character's token, or
// the byte tokens (byte + 3) of a character that is not in the vocabulary;
// then, repeatedly, the adjacent pair whose concatenated text is a vocabulary
// token of the highest score (> -1e10; ties: the leftmost pair) is merged.
// BOS (1) goes first when add_bos, EOS (2) last when add_eos. Deviations
// from run.c, none of which affects a well-formed tokenizer and valid text:
//   - a NUL character is tokenized (run.c stops at it, C strings);
//   - when two tokens have the same text, the lowest id wins (run.c's
//     bsearch picks either);
//   - a byte token id byte + 3 that is not in the vocabulary (files with
//     fewer than 259 tokens) becomes <unk> (0);
//   - a missing " " token (no dummy prefix in the vocabulary) falls back to
//     byte 0x20's token, like any other character.
//
// Limits (a hostile file must not make the reader allocate much more than
// its own size, nor make Encode slow): at most kMaxLlama2cVocabSize tokens,
// each at most kMaxLlama2cTokenBytes long; checked in a first pass over the
// file, before anything is allocated; over either: RESOURCE_EXHAUSTED.
// Encode costs O(n log n + n * kMaxLlama2cTokenBytes) for n characters.
//
// Decode(ids): the concatenated pieces; a piece that follows BOS loses one
// leading space; pieces of the exact form "<0xXX>" are that raw byte;
// ids 0, 1, 2 (<unk>, BOS, EOS) and out-of-range ids produce nothing
// (the previous id still counts for the BOS rule). Invalid UTF-8 in the
// result (stray byte tokens) is replaced by U+FFFD per maximal invalid
// subpart.
#ifndef SEEDLM_CORE_TOKENIZER_LLAMA2C_TOKENIZER_H_
#define SEEDLM_CORE_TOKENIZER_LLAMA2C_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tokenizer/tokenizer.h"

namespace seedlm {

// Most tokens in a llama2.c tokenizer (real ones: 512 to 128,256).
inline constexpr int64_t kMaxLlama2cVocabSize = int64_t{1} << 21;
// Longest token, in bytes (real ones: under 64). Merging compares
// concatenations of two tokens, so this also bounds Encode's work per
// character.
inline constexpr int32_t kMaxLlama2cTokenBytes = 1024;

class Llama2cTokenizer : public Tokenizer {
 public:
  // Parses tokenizer.bin bytes. DATA_LOSS when truncated, corrupt or empty;
  // RESOURCE_EXHAUSTED over a limit above.
  static absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> Create(
      absl::string_view data);

  int32_t vocab_size() const override {
    return static_cast<int32_t>(pieces_.size());
  }
  int32_t bos_id() const override { return vocab_size() > 1 ? 1 : -1; }
  int32_t eos_id() const override { return vocab_size() > 2 ? 2 : -1; }

  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text,
                                              bool add_bos,
                                              bool add_eos) const override;
  std::string Decode(absl::Span<const int32_t> ids) const override;
  std::unique_ptr<DecodeStream> NewDecodeStream() const override;

  // The raw bytes a token contributes after `prev` (the previous id, or -1),
  // before UTF-8 repair: empty for <unk>/BOS/EOS and out-of-range ids.
  std::string PieceBytes(int32_t prev, int32_t id) const;

  const std::string& piece(int32_t id) const { return pieces_[id]; }
  float score(int32_t id) const { return scores_[id]; }
  int32_t max_token_length() const { return max_token_length_; }

 private:
  Llama2cTokenizer() = default;

  // The id of a token text, or -1.
  int32_t Lookup(absl::string_view text) const;
  // Merges `ids` in place (run.c's merge loop).
  void MergePairs(std::vector<int32_t>* ids) const;

  int32_t max_token_length_ = 0;  // as the file says (not used)
  size_t max_piece_bytes_ = 0;    // the longest piece
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int32_t> lookup_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_LLAMA2C_TOKENIZER_H_
