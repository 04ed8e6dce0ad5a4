// tokenizer.json normalizers (internal): Sequence, Prepend, Replace (String
// or Regex pattern), NFC, NFKC, NFD, NFKD, Strip, and null. Anything else is
// UNIMPLEMENTED naming the type.
#ifndef SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_
#define SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"

namespace seedlm {
namespace hf_internal {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites `*s` (valid UTF-8) in place.
  virtual absl::Status Normalize(std::string* s) const = 0;
};

// The normalizer described by `j` (the "normalizer" member); null JSON gives
// nullptr (no normalization).
absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(
    const Json& j, absl::string_view path);

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_
