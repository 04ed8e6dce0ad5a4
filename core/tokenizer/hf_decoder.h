// tokenizer.json decoders (internal): ByteLevel, Metaspace, Replace,
// ByteFallback, Fuse, Strip, Sequence; null joins the tokens with " " (as
// Hugging Face does without a decoder). Anything else is UNIMPLEMENTED.
// Limits (hf_limits.h, RESOURCE_EXHAUSTED when the file is loaded):
// Sequences nest at most kMaxComponentDepth deep with kMaxComponentCount
// components, and the Replace stages together may make the text at most
// kMaxDecoderGrowth times longer (each counts 1 + its content's bytes), so
// Decode, which cannot fail, stays linear in its input.
//
// Each stage works on a list of strings as Hugging Face's decode_chain does.
// For streaming, a pipeline can also decode a slice of the token sequence
// that does not start at its beginning (at_start == false: a Strip that
// runs after Fuse/ByteLevel then strips nothing at the start, and Metaspace
// treats no token as the first) or does not end it (at_end == false: such a
// Strip strips nothing at the end). It also reports whether the end of the
// slice is still "open" (a byte-fallback run or an incomplete UTF-8 sequence
// that more tokens could change).
#ifndef SEEDLM_CORE_TOKENIZER_HF_DECODER_H_
#define SEEDLM_CORE_TOKENIZER_HF_DECODER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tokenizer/hf_json.h"

namespace seedlm {
namespace hf_internal {

struct DecodeState {
  std::vector<std::string> tokens;
  bool at_start = true;    // tokens begin the sequence
  bool at_end = true;      // tokens end the sequence
  bool fused = false;      // tokens were joined into one string
  bool open_tail = false;  // more tokens could still change the end
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void Apply(DecodeState* state) const = 0;
};

class DecoderPipeline {
 public:
  // The "decoder" member (null allowed).
  static absl::StatusOr<std::unique_ptr<DecoderPipeline>> Parse(
      const Json& j, absl::string_view path);

  struct Result {
    std::string text;
    bool open_tail = false;
  };
  // Decodes `tokens` (token strings, special tokens already removed).
  Result Run(absl::Span<const std::string> tokens, bool at_start = true,
             bool at_end = true) const;

  // Length in bytes of the end of `text` (decoded with at_end == false)
  // that the end of the sequence could still strip: trailing characters of
  // a Strip with stop > 0.
  size_t HeldBack(absl::string_view text) const;

  // Whether decoding a sequence in two slices at a closed boundary (the
  // first slice not open and not held back) gives the same text as decoding
  // it whole. False when Replace / ByteFallback / Metaspace run after the
  // tokens were fused.
  bool separable() const { return separable_; }
  // Whether the decoding of a closed prefix of a sequence, less HeldBack, is
  // a prefix of the decoding of the whole. False when Replace or
  // ByteFallback run after the tokens were fused (a match may span the
  // boundary); a DecodeStream then returns everything from Finish().
  bool prefix_stable() const { return prefix_stable_; }

 private:
  DecoderPipeline() = default;

  std::vector<std::unique_ptr<Decoder>> stages_;  // Sequence flattened
  bool join_with_space_ = false;                  // no decoder at all
  std::vector<std::string> held_back_chars_;
  bool separable_ = true;
  bool prefix_stable_ = true;
};

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_DECODER_H_
