// Shared by the tokenizer libFuzzer entry points (tokenizer_json_fuzz,
// llama2c_tokenizer_fuzz): the decode invariants every Tokenizer keeps, and
// ids taken from the fuzzer's input. Test-only; header-only.
#ifndef SEEDLM_CORE_TOKENIZER_TOKENIZER_FUZZ_UTIL_H_
#define SEEDLM_CORE_TOKENIZER_TOKENIZER_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/fuzz_check.h"

namespace seedlm {
namespace fuzz_util {

inline bool IsUtf8(absl::string_view s) {
  return tokenizer_internal::CheckUtf8(s).ok();
}

// Decode and every DecodeStream piece (and its tail) are valid UTF-8, and
// the pieces add up to Decode.
inline void CheckDecode(const Tokenizer& t, const std::vector<int32_t>& ids) {
  const std::string text = t.Decode(ids);
  Check(IsUtf8(text), "Decode is valid UTF-8");
  std::unique_ptr<DecodeStream> stream = t.NewDecodeStream();
  std::string streamed;
  for (int32_t id : ids) {
    const std::string piece = stream->Next(id);
    Check(IsUtf8(piece), "stream piece is valid UTF-8");
    streamed += piece;
  }
  const std::string tail = stream->Finish();
  Check(IsUtf8(tail), "stream tail is valid UTF-8");
  Check(streamed + tail == text, "stream adds up to Decode");
}

// Up to `max_ids` ids from consecutive byte pairs of `data`, in
// [-1, vocab_size] (one out of range at each end).
inline std::vector<int32_t> IdsFromInput(absl::string_view data,
                                         int32_t vocab_size, size_t max_ids) {
  std::vector<int32_t> ids;
  const int32_t span = vocab_size + 2;
  for (size_t i = 0; i + 1 < data.size() && ids.size() < max_ids; i += 2) {
    ids.push_back((static_cast<uint8_t>(data[i]) << 8 |
                   static_cast<uint8_t>(data[i + 1])) %
                      span -
                  1);
  }
  return ids;
}

}  // namespace fuzz_util
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_TOKENIZER_FUZZ_UTIL_H_
