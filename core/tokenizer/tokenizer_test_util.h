// Test-only helpers for the tokenizer tests: reading files, and building a
// Llama-2-style tokenizer.json from a llama2.c tokenizer the way Hugging
// Face's transformers (LlamaConverter, SentencePieceExtractor) converts a
// SentencePiece model.
#ifndef SEEDLM_CORE_TOKENIZER_TOKENIZER_TEST_UTIL_H_
#define SEEDLM_CORE_TOKENIZER_TOKENIZER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/tokenizer/llama2c_tokenizer.h"

namespace seedlm {
namespace tokenizer_testing {

// The file's bytes; empty (and a test failure) when it cannot be read.
std::string ReadFileOrFail(const std::string& path);

// The lines of a text file (without their '\n'), at most `max_lines`.
std::vector<std::string> ReadLines(const std::string& path, size_t max_lines);

// t.Encode(text, bos, eos), with a test failure (and no ids) on error.
std::vector<int32_t> EncodeOk(const Tokenizer& t, const std::string& text,
                              bool bos, bool eos);

// The concatenated DecodeStream output for `ids`; a test failure if a piece
// is not valid UTF-8.
std::string StreamDecode(const Tokenizer& t, const std::vector<int32_t>& ids);

// tokenizer.json for the vocabulary of `t`:
//   vocab     pieces with " " written "▁"; ids 0, 1, 2 as "<unk>", "<s>",
//             "</s>" (llama2.c stores "\n<s>\n" / "\n</s>\n");
//   merges    for each piece (in id order), every split into two vocabulary
//             pieces, ordered by (left id, right id); then stably sorted by
//             the piece's score, highest first (SentencePieceExtractor);
//   model     BPE, unk_token "<unk>", fuse_unk, byte_fallback;
//   added     <unk>, <s>, </s> (special, not normalized);
//   legacy    normalizer Sequence[Prepend("▁"), Replace(" ", "▁")], no
//             pre-tokenizer; else no normalizer and pre-tokenizer
//             Metaspace(prepend_scheme "first", split false);
//   post      TemplateProcessing "<s> $A";
//   decoder   Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1,
//   0)].
// `merges_as_pairs` writes merges as ["a", "b"] instead of "a b".
std::string Llama2cToHfJson(const Llama2cTokenizer& t, bool legacy,
                            bool merges_as_pairs);

}  // namespace tokenizer_testing
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_TOKENIZER_TEST_UTIL_H_
