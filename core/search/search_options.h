// Options and results of the seed search (spec §5), shared by every search
// implementation (the reference here, faster ones later, remote workers).
#ifndef SEEDLM_CORE_SEARCH_SEARCH_OPTIONS_H_
#define SEEDLM_CORE_SEARCH_SEARCH_OPTIONS_H_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "core/codec/block_format.h"
#include "core/codec/codec.h"

namespace seedlm {

struct SearchOptions {
  CodecConfig codec;                          // default: preset "4bit"
  ExponentMode mode = ExponentMode::kSearch;  // spec §5 candidates
  int exponent_bias = 0;  // per-tensor bias b, int8 range; 0 in the presets

  // INVALID_ARGUMENT for a bad codec or a bias outside -128..127.
  absl::Status Validate() const;
};

// Where a per-tensor bias search starts for weights of root-mean-square
// `rms` (> 0): round(log2 rms) - 2, about where a block's coefficients use
// their range (the typical |sum M q| is ~4 times the scale 2^(e+b) /
// denominator). For i.i.d. sigma = 0.02 weights: -8.
inline int InitialExponentBias(double rms) {
  const double b = std::round(std::log2(rms)) - 2;
  return static_cast<int>(std::clamp(b, -128.0, 127.0));
}

// The encoding of one block and its squared error ‖w − ŵ‖² (float64, computed
// exactly as Quantizer::Error in quantizer.h defines).
struct BlockResult {
  Block block;
  double err = 0.0;
};

// Observers of a long search. Both are optional.
struct SearchCallbacks {
  // Called with (blocks done, blocks total) after each finished chunk, from
  // the worker threads but never concurrently (calls are serialised).
  std::function<void(int64_t, int64_t)> progress;
  // Polled between chunks; when it becomes true the search stops early and
  // returns CANCELLED. Not owned.
  const std::atomic<bool>* cancel = nullptr;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEARCH_OPTIONS_H_
