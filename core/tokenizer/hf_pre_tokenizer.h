// tokenizer.json pre-tokenizers (internal): ByteLevel, Metaspace, Split,
// Sequence, and null. Anything else is UNIMPLEMENTED naming the type.
//
//   ByteLevel   add_prefix_space (a " " before each piece that does not start
//               with one), use_regex (split with the GPT-2 pattern, see
//               hf_regex.h for its lookahead), then every byte is mapped to
//               its GPT-2 byte-level character; trim_offsets is ignored
//               (offsets are not computed).
//   Metaspace   " " -> replacement; prepend_scheme "always" / "first" (only
//               on the piece that starts the original text) / "never" (or
//               the legacy add_prefix_space); split (MergedWithNext on the
//               replacement character).
//   Split       String or Regex pattern; behavior Removed, Isolated,
//               MergedWithPrevious, MergedWithNext, Contiguous; invert.
// Sequences nested or counted over the limits of hf_limits.h are
// RESOURCE_EXHAUSTED.
#ifndef SEEDLM_CORE_TOKENIZER_HF_PRE_TOKENIZER_H_
#define SEEDLM_CORE_TOKENIZER_HF_PRE_TOKENIZER_H_

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tokenizer/hf_json.h"
#include "core/tokenizer/hf_limits.h"

namespace seedlm {
namespace hf_internal {

// A piece of normalized text on its way to the model.
struct PreToken {
  std::string text;
  // True when the piece begins at offset 0 of the original input (what
  // Metaspace's prepend_scheme "first" looks at).
  bool at_origin = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces every piece by its sub-pieces (empty ones are dropped),
  // charging the bytes of each stage's output to *budget (checked before a
  // stage that can grow the text builds it): RESOURCE_EXHAUSTED once it runs
  // out.
  virtual absl::Status Apply(std::vector<PreToken>* pieces,
                             TextBudget* budget) const = 0;
};

// The pre-tokenizer described by `j`; null JSON gives nullptr.
absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(
    const Json& j, absl::string_view path);

// How Split keeps the delimiters (Hugging Face's SplitDelimiterBehavior).
enum class SplitBehavior {
  kRemoved,
  kIsolated,
  kMergedWithPrevious,
  kMergedWithNext,
  kContiguous
};

// The [begin, end) ranges `text` splits into, given the pattern's matches
// (sorted, non-overlapping), the behavior, and `invert` (the matches are the
// pieces to keep apart, and the gaps the delimiters). Empty ranges dropped.
std::vector<std::pair<size_t, size_t>> SplitRanges(
    size_t text_size, const std::vector<std::pair<size_t, size_t>>& matches,
    SplitBehavior behavior, bool invert);

// GPT-2's byte-level alphabet: the UTF-8 character standing for each byte.
const std::array<std::string, 256>& ByteLevelChars();
// The byte a byte-level character stands for, or -1.
int ByteLevelByte(char32_t c);

}  // namespace hf_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_HF_PRE_TOKENIZER_H_
