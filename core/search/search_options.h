// Options and results of the seed search (spec §5), shared by every search
// implementation (the reference here, faster ones later, remote workers).
#ifndef SEEDLM_CORE_SEARCH_SEARCH_OPTIONS_H_
#define SEEDLM_CORE_SEARCH_SEARCH_OPTIONS_H_

#include <atomic>
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
