// tokenizer.json post-processors (internal): TemplateProcessing (the
// "single" template only), ByteLevel (nothing to do for ids), Sequence of
// those, and null. Anything else is UNIMPLEMENTED naming the type; Sequences
// nested or counted over the limits of hf_limits.h are RESOURCE_EXHAUSTED.
// Ids are not checked against the vocabulary here (HfTokenizer does).
#ifndef SEEDLM_CORE_TOKENIZER_HF_POST_PROCESSOR_H_
#define SEEDLM_CORE_TOKENIZER_HF_POST_PROCESSOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"

namespace seedlm {
namespace hf_internal {

// What the post-processor puts around a single sequence.
struct SpecialWrap {
  bool has_template = false;    // a TemplateProcessing was found
  std::vector<int32_t> before;  // the specials before $A, in order
  std::vector<int32_t> after;   // the specials after $A, in order
};

absl::StatusOr<SpecialWrap> ParsePostProcessor(const Json& j,
                                               absl::string_view path);

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_POST_PROCESSOR_H_
