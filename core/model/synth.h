// A synthetic full-size model generator, for speed and memory work: writes a
// Hugging Face style Llama checkpoint (config.json, one safetensors shard per
// layer plus shards for the embeddings and the head, and
// model.safetensors.index.json) with random weights at realistic scales.
//
// Weights are Gaussian with a heavy tail (1% of weights drawn at 4x the
// scale), per-kind standard deviations close to those of Llama-2-7B's linear
// layers, from a counter-based generator: the bytes are a pure function of the
// options, on every platform. No tokenizer is written (compress needs none).
#ifndef SEEDLM_CORE_MODEL_SYNTH_H_
#define SEEDLM_CORE_MODEL_SYNTH_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "core/util/dtype.h"

namespace seedlm {

struct SynthOptions {
  std::string arch = "llama";  // the only architecture so far
  int64_t dim = 4096;
  int64_t hidden = 11008;
  int64_t layers = 2;
  int64_t heads = 32;
  int64_t kv_heads = 0;  // 0: same as heads
  int64_t vocab = 32000;
  uint64_t seed = 1;
  DType dtype = DType::kBF16;

  // INVALID_ARGUMENT for non-positive sizes, heads not dividing dim, kv_heads
  // not dividing heads, an unknown arch, or a model over 2^40 weights.
  absl::Status Validate() const;
};

// Writes the checkpoint into directory `out` (created if missing; existing
// files of the same names are replaced atomically). Memory: one shard.
absl::Status WriteSyntheticModel(const std::string& out,
                                 const SynthOptions& options);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_SYNTH_H_
