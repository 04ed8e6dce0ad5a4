// tokenizer.json normalizers (internal): Sequence, Prepend, Replace (String
// or Regex pattern), NFC, NFKC, NFD, NFKD, Strip, and null. Anything else is
// UNIMPLEMENTED naming the type; Sequences nested or counted over the limits
// of hf_limits.h are RESOURCE_EXHAUSTED.
#ifndef SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_
#define SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"
#include "core/tokenizer/hf_limits.h"

namespace seedlm {
namespace hf_internal {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Rewrites `*s` (valid UTF-8) in place, charging every byte a stage
  // writes to *budget (a Sequence charges through its parts), checked before
  // the stage builds its output: RESOURCE_EXHAUSTED once it runs out.
  virtual absl::Status Normalize(std::string* s, TextBudget* budget) const = 0;
};

// The normalizer described by `j` (the "normalizer" member); null JSON gives
// nullptr (no normalization).
absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(
    const Json& j, absl::string_view path);

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_NORMALIZER_H_
