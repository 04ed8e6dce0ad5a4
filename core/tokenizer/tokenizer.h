// Tokenizers that turn text into model token ids and back.
//
// A compressed .seedlm file carries its tokenizer's bytes (metadata keys
// "tokenizer.format" and "tokenizer.data"), so it can be served alone. Two
// formats are supported:
//   "llama2c-bin"        llama2.c's tokenizer.bin (score-ordered BPE merges
//                        over UTF-8 characters, byte fallback id = byte + 3,
//                        dummy leading space, BOS = 1, EOS = 2);
//   "hf-tokenizer-json"  a Hugging Face tokenizer.json for Llama-family models
//                        (BPE model; see hf_tokenizer.h for the components).
//
// Thread-safety: a Tokenizer is immutable after creation; all const methods
// may be called concurrently. A DecodeStream is single-threaded.

#ifndef SEEDLM_CORE_TOKENIZER_TOKENIZER_H_
#define SEEDLM_CORE_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace seedlm {

class DecodeStream;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Number of token ids (ids are 0 .. vocab_size()-1).
  virtual int32_t vocab_size() const = 0;
  // Beginning / end of sequence ids; -1 when the tokenizer has none.
  virtual int32_t bos_id() const = 0;
  virtual int32_t eos_id() const = 0;

  // Tokenizes `text` (UTF-8). `add_bos` / `add_eos` put the tokenizer's
  // sequence-start / sequence-end special tokens around the text (for
  // tokenizer.json: the special tokens of the TemplateProcessing "single"
  // template before / after $A, so Llama-2's "<s> $A" adds nothing for
  // add_eos; when there is no TemplateProcessing, bos_id() / eos_id()).
  // Special-token strings written in `text` (e.g. "<s>"): llama2c-bin
  // tokenizes them as plain text; tokenizer.json matches its added tokens
  // (special or not) in the text as Hugging Face does and emits their ids
  // (hf_tokenizer.h, hf_added_vocab.h).
  // INVALID_ARGUMENT if text is not valid UTF-8; FAILED_PRECONDITION when a
  // tokenizer.json needs its unk_token and that is not in its vocabulary.
  virtual absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text,
                                                      bool add_bos,
                                                      bool add_eos) const = 0;

  // Text of a whole sequence, as the reference implementation decodes it
  // (special tokens such as BOS/EOS are skipped; for llama2c-bin also
  // <unk>). Ids out of range are skipped. Always valid UTF-8: bytes that do
  // not form characters become U+FFFD.
  virtual std::string Decode(absl::Span<const int32_t> ids) const = 0;

  // A decoder for text produced one token at a time (generation). The
  // concatenation of everything it returns equals Decode(all ids fed).
  virtual std::unique_ptr<DecodeStream> NewDecodeStream() const = 0;
};

// Incremental decoding: Next(id) returns the text that became final with
// `id` (possibly empty, e.g. while a multi-byte UTF-8 character is
// incomplete); Finish() returns whatever is still pending. Every piece is
// valid UTF-8 (whole characters only).
class DecodeStream {
 public:
  virtual ~DecodeStream() = default;
  virtual std::string Next(int32_t id) = 0;
  virtual std::string Finish() = 0;
};

// Creates a tokenizer from a format name (see above) and the file's bytes.
// INVALID_ARGUMENT for an unknown format; DATA_LOSS for a corrupt/truncated
// file; UNIMPLEMENTED for a valid tokenizer.json using a component we do
// not support (the message names it).
absl::StatusOr<std::unique_ptr<Tokenizer>> CreateTokenizer(
    absl::string_view format, std::string data);

}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_TOKENIZER_H_
