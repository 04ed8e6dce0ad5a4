// Multi-pattern matching for added tokens (internal): for every position of
// a text, the longest of a set of byte strings that starts there, in time
// linear in the text (Aho-Corasick over the reversed patterns, scanned from
// the end of the text), whatever the number and length of the patterns.
//
// Memory: about 20 bytes per byte of the patterns (the trie), and 4 bytes
// per byte of a text being matched. Thread-safe after Build (const methods).
#ifndef SEEDLM_CORE_TOKENIZER_HF_TOKEN_MATCHER_H_
#define SEEDLM_CORE_TOKENIZER_HF_TOKEN_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace seedlm {
namespace hf_internal {

class TokenMatcher {
 public:
  // Adds pattern number size() (non-empty). Between identical patterns the
  // first one added wins.
  void Add(std::string pattern) { patterns_.push_back(std::move(pattern)); }
  // Builds the automaton; call once, after the last Add.
  void Build();

  size_t size() const { return patterns_.size(); }
  const std::string& pattern(size_t k) const { return patterns_[k]; }

  // out[p] = the number of the longest pattern that starts at byte p of
  // `text`, or -1 (out has text.size() entries).
  std::vector<int32_t> LongestAt(absl::string_view text) const;

 private:
  // The child of `node` on byte `c`, or -1.
  int32_t Child(int32_t node, uint8_t c) const;

  std::vector<std::string> patterns_;
  // The trie of the reversed patterns; node 0 is the root. The children of
  // node u are edge_byte_/edge_child_[edge_begin_[u], edge_begin_[u + 1]),
  // sorted by byte.
  std::vector<uint32_t> edge_begin_;
  std::vector<uint8_t> edge_byte_;
  std::vector<int32_t> edge_child_;
  std::vector<int32_t> fail_;
  // The longest pattern that is a suffix of the node's string (the node's
  // own pattern, else its failure node's), or -1.
  std::vector<int32_t> out_;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_TOKEN_MATCHER_H_
