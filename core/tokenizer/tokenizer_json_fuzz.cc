// libFuzzer target for HfTokenizer (tokenizer.json), also run over
// testdata/fuzz_tokenizer_json/ by tokenizer_json_fuzz_regression_test.
//
// The input is the file. When it loads, a few fixed strings and a slice of
// the input (made valid UTF-8) are encoded, and ids taken from the input are
// decoded. Besides "no crash, no sanitizer report, no hang, no unbounded
// allocation", it aborts when a guarantee of hf_tokenizer.h / tokenizer.h
// breaks:
//   * Create fails only with DATA_LOSS, UNIMPLEMENTED or RESOURCE_EXHAUSTED;
//   * Encode of valid UTF-8 fails only with FAILED_PRECONDITION (unk_token
//     missing) or RESOURCE_EXHAUSTED (the text work budget);
//   * every encoded id is in [0, vocab_size()); bos_id / eos_id are -1 or
//     in range;
//   * Decode is valid UTF-8, every DecodeStream piece is valid UTF-8, and
//     the pieces add up to Decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_tokenizer.h"
#include "core/tokenizer/tokenizer_fuzz_util.h"
#include "core/tokenizer/unicode_util.h"

namespace seedlm {
namespace {

using fuzz_util::Check;
using fuzz_util::CheckDecode;
using fuzz_util::IdsFromInput;

// At most this many bytes of the input are encoded as text, and this many
// ids decoded (the fuzzer's time goes to parsing, not to long texts).
constexpr size_t kMaxTextBytes = 256;
constexpr size_t kMaxIds = 64;

void CheckEncode(const HfTokenizer& t, absl::string_view text, bool bos,
                 bool eos) {
  absl::StatusOr<std::vector<int32_t>> ids = t.Encode(text, bos, eos);
  if (!ids.ok()) {
    const absl::StatusCode c = ids.status().code();
    Check(c == absl::StatusCode::kFailedPrecondition ||
              c == absl::StatusCode::kResourceExhausted,
          "Encode code", ids.status());
    return;
  }
  for (int32_t id : *ids) {
    Check(id >= 0 && id < t.vocab_size(), "encoded id in range",
          absl::OkStatus());
  }
  CheckDecode(t, *ids);
}

void Exercise(absl::string_view data) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::Create(data);
  if (!t.ok()) {
    const absl::StatusCode c = t.status().code();
    Check(c == absl::StatusCode::kDataLoss ||
              c == absl::StatusCode::kUnimplemented ||
              c == absl::StatusCode::kResourceExhausted,
          "Create code", t.status());
    return;
  }
  const HfTokenizer& tok = **t;
  Check(tok.vocab_size() >= 0, "vocab_size", absl::OkStatus());
  for (int32_t id : {tok.bos_id(), tok.eos_id()}) {
    Check(id == -1 || (id >= 0 && id < tok.vocab_size()), "special id",
          absl::OkStatus());
  }
  for (const char* text :
       {"", "Hello world", " a  b\n\n c\t", "<s>Hi</s><|begin_of_text|>",
        "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", "aaaaaaaaaaaaaaaa", "'s 123"}) {
    CheckEncode(tok, text, true, true);
  }
  const std::string slice = tokenizer_internal::Utf8Lossy(
      data.substr(data.size() / 2, kMaxTextBytes));
  CheckEncode(tok, slice, false, false);
  CheckDecode(tok, IdsFromInput(data, tok.vocab_size(), kMaxIds));
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seedlm::Exercise(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
