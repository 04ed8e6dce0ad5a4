#include "core/tokenizer/tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_tokenizer.h"
#include "core/tokenizer/llama2c_tokenizer.h"

namespace seedlm {

absl::StatusOr<std::unique_ptr<Tokenizer>> CreateTokenizer(
    absl::string_view format, std::string data) {
  if (format == "llama2c-bin") {
    absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> t =
        Llama2cTokenizer::Create(data);
    if (!t.ok()) return t.status();
    return std::unique_ptr<Tokenizer>(std::move(*t));
  }
  if (format == "hf-tokenizer-json") {
    absl::StatusOr<std::unique_ptr<HfTokenizer>> t = HfTokenizer::Create(data);
    if (!t.ok()) return t.status();
    return std::unique_ptr<Tokenizer>(std::move(*t));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown tokenizer format \"", format,
                   "\" (expected \"llama2c-bin\" or \"hf-tokenizer-json\")"));
}

}  // namespace seedlm
