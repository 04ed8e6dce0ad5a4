// The BPE model of tokenizer.json (internal), as Hugging Face tokenizers'
// models::bpe: vocab + ranked merges ("a b" strings or ["a", "b"] pairs),
// byte_fallback ("<0xXX>" tokens for characters not in the vocabulary),
// unk_token / fuse_unk, ignore_merges (a pre-token that is a vocabulary
// token is taken whole), continuing_subword_prefix, end_of_word_suffix.
// dropout must be null or 0. Other model types are UNIMPLEMENTED.
#ifndef SEEDLM_CORE_TOKENIZER_HF_BPE_H_
#define SEEDLM_CORE_TOKENIZER_HF_BPE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"

namespace seedlm {
namespace hf_internal {

class BpeModel {
 public:
  // The "model" member. DATA_LOSS for malformed vocab/merges (e.g. a merge
  // of tokens not in the vocabulary); UNIMPLEMENTED for another type.
  static absl::StatusOr<std::unique_ptr<BpeModel>> Parse(
      const Json& j, absl::string_view path);

  // Appends the ids of one pre-token to *ids. FAILED_PRECONDITION when a
  // character needs unk_token and unk_token is not in the vocabulary (as
  // Hugging Face, which fails only then).
  absl::Status Tokenize(absl::string_view word,
                        std::vector<int32_t>* ids) const;

  // The id of a vocabulary token, or -1.
  int32_t TokenToId(absl::string_view token) const;
  // The token of an id, or nullptr when the vocabulary has no such id.
  const std::string* IdToToken(int32_t id) const;
  // 1 + the largest id (0 when empty).
  int32_t id_limit() const { return static_cast<int32_t>(tokens_.size()); }

 private:
  BpeModel() = default;

  absl::Status ParseVocab(const Json& vocab, absl::string_view path);
  absl::Status ParseMerges(const Json& merges, absl::string_view path);
  // The word as initial symbols (characters, byte fallback, unk).
  absl::StatusOr<std::vector<int32_t>> InitialSymbols(
      absl::string_view word) const;
  // Applies the merges to `symbols` in place (Word::merge_all).
  void MergeAll(std::vector<int32_t>* symbols) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_;  // by id; holes are empty
  std::vector<bool> has_id_;
  // (left id << 32 | right id) -> (rank, merged id).
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  std::optional<int32_t> unk_id_;  // -1: unk_token not in the vocabulary
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string prefix_;  // continuing_subword_prefix
  std::string suffix_;  // end_of_word_suffix
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_BPE_H_
