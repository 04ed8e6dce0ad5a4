// Random packed payloads for tests and benchmarks: every block valid (seed
// 1..num_seeds, any exponent and coefficients), uniformly drawn. Not for
// production code paths.
#ifndef SEEDLM_CORE_CODEC_PACKED_TESTING_H_
#define SEEDLM_CORE_CODEC_PACKED_TESTING_H_

#include <cstdint>
#include <random>
#include <vector>

#include "core/codec/block_format.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"

namespace seedlm {

// The payload of a rows x cols matrix of random valid blocks of `c`.
template <typename Rng>
std::vector<uint8_t> RandomPackedPayload(const CodecConfig& c, int64_t rows,
                                         int64_t cols, Rng* rng) {
  const PackedGeometry g = MakeGeometry(c, rows, cols);
  std::vector<uint8_t> payload(g.payload_bytes());
  std::uniform_int_distribution<uint32_t> seed(1, c.num_seeds());
  std::uniform_int_distribution<int> e(c.e_lo(), c.e_hi());
  std::uniform_int_distribution<int> q(c.q_lo(), c.q_hi());
  for (int64_t b = 0; b < g.num_blocks(); ++b) {
    Block block;
    block.seed = seed(*rng);
    block.e = static_cast<int8_t>(e(*rng));
    for (int p = 0; p < c.P; ++p) block.q[p] = static_cast<int8_t>(q(*rng));
    PackBlock(c.layout(), block, payload.data(), static_cast<uint64_t>(b));
  }
  return payload;
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_PACKED_TESTING_H_
