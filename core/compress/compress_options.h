// What a model compression is asked to do (codec, exponent mode, exponent
// bias policy, search implementation, tensor selection, resume), and the
// policy of the per-tensor exponent bias: codecs without a block exponent
// (E = 0, e.g. the default preset "4bit-p4") get an automatic bias chosen per
// tensor, every other codec a fixed bias of 0. A trellis codec (spec §13)
// has no exponent at all: its bias is the fixed 0 and its mode `search`, and
// any other setting is rejected (INVALID_ARGUMENT), not ignored. The CLI, the
// benches and a coordinator of remote workers all take the policy from here.
//
// Plain value types; thread-compatible.
#ifndef SEEDLM_CORE_COMPRESS_COMPRESS_OPTIONS_H_
#define SEEDLM_CORE_COMPRESS_COMPRESS_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/codec/codec.h"
#include "core/search/search_options.h"
#include "core/search/searcher_factory.h"

namespace seedlm {

// The default exponent bias of `codec` (spec §4): std::nullopt (automatic,
// chosen per tensor by ChooseExponentBias in tensor_compressor.h) when the
// codec has no block exponent (E = 0): there the bias alone sets the scale of
// the blocks, and 0 fits no real weights. 0 (fixed) otherwise: the block
// exponent covers the range, as in the paper's presets. 0 for a trellis
// codec (unused: the per-row scale is in the payload).
std::optional<int> DefaultExponentBias(const CodecConfig& codec);

struct CompressOptions {
  CodecConfig codec;  // default: preset "4bit"
  ExponentMode mode = ExponentMode::kSearch;
  // The per-tensor exponent bias b (spec §4). Set: every compressed tensor
  // uses this value (-128..127). Unset: automatic, each tensor's bias is
  // chosen from a sample of its rows (ChooseExponentBias). Automatic works
  // for every valid codec; it is the default only for E = 0 codecs.
  // Default: DefaultExponentBias(codec) of the default codec, i.e. 0. Whoever
  // sets `codec` should set this too: ForCodec() does both.
  std::optional<int> exponent_bias = 0;
  // Which implementation searches; both give identical bytes, so it is not
  // part of the output's fingerprint.
  SearchAlgorithm algorithm = SearchAlgorithm::kFast;
  std::vector<std::string> include;  // RE2 patterns; empty: default set
  std::vector<std::string> exclude;  // RE2 patterns
  // Reuse the checkpoint of an interrupted run with the same input and
  // options (FAILED_PRECONDITION if they differ). Local runs only.
  bool resume = false;

  // Default options for `codec`: its DefaultExponentBias, the rest default.
  static CompressOptions ForCodec(const CodecConfig& codec);

  // OK, or INVALID_ARGUMENT naming the problem: an invalid codec, a fixed
  // bias outside -128..127, an exponent mode or search algorithm outside its
  // enum, an include/exclude pattern RE2 rejects; for a trellis codec any
  // bias but the fixed 0 or any mode but kSearch.
  absl::Status Validate() const;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_COMPRESS_OPTIONS_H_
