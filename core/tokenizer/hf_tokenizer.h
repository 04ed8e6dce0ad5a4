// A Hugging Face tokenizer.json ("hf-tokenizer-json") for Llama-family
// models, encoding and decoding as the Rust `tokenizers` library does.
//
// Supported components (anything else is UNIMPLEMENTED naming it):
//   model           BPE (hf_bpe.h)
//   normalizer      Sequence, Prepend, Replace, NFC, NFKC, NFD, NFKD, Strip
//                   (hf_normalizer.h)
//   pre_tokenizer   ByteLevel, Metaspace, Split, Sequence (hf_pre_tokenizer.h;
//                   regexes run with RE2, see hf_regex.h)
//   post_processor  TemplateProcessing, ByteLevel, Sequence
//                   (hf_post_processor.h)
//   decoder         ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip,
//                   Sequence (hf_decoder.h)
//   added_tokens    special and non-special (hf_added_vocab.h)
// "truncation" and "padding" are ignored.
//
// Encode(text, add_bos, add_eos): added tokens are matched first (special
// tokens written literally in `text`, e.g. "<|begin_of_text|>", become
// their id), the rest is normalized, pre-tokenized and run through BPE.
// add_bos / add_eos add the TemplateProcessing specials before / after $A
// (so a template "<s> $A", Llama-2's, adds nothing for add_eos); without a
// TemplateProcessing they add bos_id() / eos_id() when those exist.
// Cost: linear in the text (plus n log n for the merges of each word), at
// most kTextWorkFactor bytes of normalizer and pre-tokenizer output per input
// byte (else RESOURCE_EXHAUSTED; hf_limits.h).
// bos_id() / eos_id(): the first special before / after $A in the template,
// else the added token "<s>" / "</s>", else "<|begin_of_text|>" /
// "<|end_of_text|>", else -1.
//
// Decode(ids) = Hugging Face's decode(ids, skip_special_tokens=True): ids
// that are neither in the vocabulary nor added tokens are skipped too.
//
// The DecodeStream re-decodes only the tokens whose text is not final yet:
// an open byte-fallback run, an incomplete UTF-8 sequence of ByteLevel
// bytes, the sequence start while Strip/Metaspace may still remove it, and
// characters a Strip(stop > 0) could still strip; so its output only ever
// contains complete characters and adds up to Decode(all ids). Each Next
// decodes the tokens not forgotten yet once: linear in them (so a run of k
// tokens that stays open, e.g. byte-fallback tokens, costs O(k^2) in all).
// (With a decoder that runs Replace or ByteFallback after Fuse, which no Llama
// tokenizer does, earlier text can still change: everything then comes out
// of Finish().)
#ifndef SEEDLM_CORE_TOKENIZER_HF_TOKENIZER_H_
#define SEEDLM_CORE_TOKENIZER_HF_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tokenizer/hf_added_vocab.h"
#include "core/tokenizer/hf_bpe.h"
#include "core/tokenizer/hf_decoder.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/hf_normalizer.h"
#include "core/tokenizer/hf_pre_tokenizer.h"
#include "core/tokenizer/tokenizer.h"

namespace seedlm {

class HfTokenizer : public Tokenizer {
 public:
  // Parses tokenizer.json text. DATA_LOSS for invalid JSON or a malformed
  // structure, UNIMPLEMENTED for an unsupported component,
  // RESOURCE_EXHAUSTED for a file over a limit of hf_limits.h (size, JSON
  // depth, component nesting and count, vocabulary, merges, token and
  // pattern sizes, decoder growth).
  static absl::StatusOr<std::unique_ptr<HfTokenizer>> Create(
      absl::string_view json);

  int32_t vocab_size() const override { return vocab_size_; }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }

  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text,
                                              bool add_bos,
                                              bool add_eos) const override;
  std::string Decode(absl::Span<const int32_t> ids) const override;
  std::unique_ptr<DecodeStream> NewDecodeStream() const override;

  // The id of a token (added tokens first, then the model), or -1.
  int32_t TokenToId(absl::string_view token) const;
  // The text Decode starts from for `id`; nullptr when Decode skips it.
  const std::string* DecodeText(int32_t id) const;
  const hf_internal::DecoderPipeline& decoder() const { return *decoder_; }

 private:
  HfTokenizer() = default;

  absl::Status Build(const hf_internal::Json& j);
  void ResolveSpecialIds();
  // Normalizes, pre-tokenizes and tokenizes one piece of the input that
  // holds no raw added token.
  absl::Status EncodePiece(std::string piece, bool at_origin,
                           hf_internal::TextBudget* budget,
                           std::vector<int32_t>* ids) const;

  std::unique_ptr<hf_internal::Normalizer> normalizer_;
  std::unique_ptr<hf_internal::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<hf_internal::BpeModel> model_;
  std::unique_ptr<hf_internal::DecoderPipeline> decoder_;
  hf_internal::AddedVocabulary added_;
  std::vector<int32_t> before_;  // what add_bos adds
  std::vector<int32_t> after_;   // what add_eos adds
  int32_t vocab_size_ = 0;
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_TOKENIZER_H_
