// libFuzzer target for Llama2cTokenizer (llama2.c's tokenizer.bin), also run
// over testdata/fuzz_llama2c_tokenizer/ by
// llama2c_tokenizer_fuzz_regression_test.
//
// The input is the file. When it loads, fixed strings and a slice of the
// input (made valid UTF-8) are encoded, and ids taken from the input are
// decoded. It aborts when a guarantee of llama2c_tokenizer.h breaks:
//   * Create fails only with DATA_LOSS or RESOURCE_EXHAUSTED, and a loaded
//     tokenizer has at least one token, none longer than
//     kMaxLlama2cTokenBytes;
//   * Encode of valid UTF-8 succeeds and its ids are in [0, vocab_size());
//   * Decode(Encode(text)) == " " + text (the dummy prefix) for the fixed
//     texts, when the tokenizer is shaped like llama2.c's (RoundTrips);
//   * Decode and every DecodeStream piece are valid UTF-8, and the pieces
//     add up to Decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/llama2c_tokenizer.h"
#include "core/tokenizer/tokenizer_fuzz_util.h"
#include "core/tokenizer/unicode_util.h"

namespace seedlm {
namespace {

using fuzz_util::Check;
using fuzz_util::CheckDecode;
using fuzz_util::IdsFromInput;

constexpr size_t kMaxTextBytes = 256;
constexpr size_t kMaxIds = 64;

// Whether Encode / Decode must round-trip texts free of "<unk>" and the
// BOS/EOS pieces: ids 0..2 are "<unk>", "\n<s>\n", "\n</s>\n", ids 3..258
// the byte tokens, and no other piece contains "<0x" (so nothing merges
// with a byte token, and every other piece decodes as itself).
bool RoundTrips(const Llama2cTokenizer& t) {
  if (t.vocab_size() < 259 || t.piece(0) != "<unk>" ||
      t.piece(1) != "\n<s>\n" || t.piece(2) != "\n</s>\n") {
    return false;
  }
  for (int32_t id = 3; id < t.vocab_size(); ++id) {
    const std::string& p = t.piece(id);
    if (id < 259 ? p != absl::StrFormat("<0x%02X>", id - 3)
                 : p.find("<0x") != std::string::npos) {
      return false;
    }
  }
  return true;
}

void CheckEncode(const Llama2cTokenizer& t, absl::string_view text, bool bos,
                 bool round_trips) {
  absl::StatusOr<std::vector<int32_t>> ids = t.Encode(text, bos, bos);
  Check(ids.ok(), "Encode of valid UTF-8", ids.status());
  for (int32_t id : *ids) {
    Check(id >= 0 && id < t.vocab_size(), "encoded id in range",
          absl::OkStatus());
  }
  if (round_trips && !text.empty()) {
    Check(t.Decode(*ids) == absl::StrCat(" ", text), "round trip",
          absl::OkStatus());
  }
  CheckDecode(t, *ids);
}

void Exercise(absl::string_view data) {
  absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> t =
      Llama2cTokenizer::Create(data);
  if (!t.ok()) {
    const absl::StatusCode c = t.status().code();
    Check(c == absl::StatusCode::kDataLoss ||
              c == absl::StatusCode::kResourceExhausted,
          "Create code", t.status());
    return;
  }
  const Llama2cTokenizer& tok = **t;
  Check(tok.vocab_size() >= 1, "vocab_size", absl::OkStatus());
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    Check(tok.piece(id).size() <= static_cast<size_t>(kMaxLlama2cTokenBytes),
          "token length", absl::OkStatus());
  }
  const bool round_trips = RoundTrips(tok);
  for (const char* text : {"", "Hello world", " a  b\n\n c\t", "<s>\x01",
                           "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"}) {
    CheckEncode(tok, text, /*bos=*/false, round_trips);
    CheckEncode(tok, text, /*bos=*/true, false);
  }
  CheckEncode(tok,
              tokenizer_internal::Utf8Lossy(
                  data.substr(data.size() / 2, kMaxTextBytes)),
              /*bos=*/true, false);
  CheckDecode(tok, IdsFromInput(data, tok.vocab_size(), kMaxIds));
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seedlm::Exercise(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
