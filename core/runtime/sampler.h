// Next-token selection from logits: greedy, or temperature + nucleus (top-p)
// sampling with a seeded, platform-independent random stream.
//
// Sampling (the definition): probabilities p = softmax(logits / T) in double;
// tokens sorted by p descending (ties: lower id first); the smallest prefix
// whose mass reaches top_p is kept (at least one token); u = the next
// uniform in [0, 1) times the kept mass; the first token whose cumulative
// mass exceeds u is chosen. The uniforms are (splitmix64 output >> 11) *
// 2^-53, so a seed gives the same tokens on every machine.
//
// Thread-safety: a Sampler is used by one thread at a time.

#ifndef SEEDLM_CORE_RUNTIME_SAMPLER_H_
#define SEEDLM_CORE_RUNTIME_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace seedlm {

struct SamplerOptions {
  double temperature = 0.0;  // 0: greedy (argmax, lowest id on ties)
  double top_p = 1.0;        // (0, 1]
  uint64_t seed = 0;
};

// INVALID_ARGUMENT unless temperature >= 0 (finite) and 0 < top_p <= 1.
absl::Status ValidateSamplerOptions(const SamplerOptions& o);

// Index of the largest value (lowest index on ties). REQUIRES: non-empty.
int32_t ArgMax(absl::Span<const float> logits);

class Sampler {
 public:
  // REQUIRES: ValidateSamplerOptions(options).ok().
  explicit Sampler(const SamplerOptions& options);
  int32_t Sample(absl::Span<const float> logits);

 private:
  double NextUniform();
  SamplerOptions options_;
  uint64_t state_;
  std::vector<std::pair<double, int32_t>> scratch_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_SAMPLER_H_
