// `seedlm-bench perplexity`: the quality table of Runtime I. A real model
// (stories260K by default) is run on real text through the runtime's forward
// pass for FP32, every SeedLM preset in each exponent mode (compressed with
// `seedlm compress`'s defaults, run from the packed blocks) and the
// round-to-nearest baselines (rtn.h, applied to the same linear tensors),
// and compared with FP32: bits/weight of the quantized tensors, relative
// error, perplexity, KL(FP32 || model) and top-1 agreement, per text.
// `make quality` writes the result into docs/QUALITY.md.
#ifndef SEEDLM_BENCH_PPL_TABLE_H_
#define SEEDLM_BENCH_PPL_TABLE_H_

#include <string>
#include <vector>

namespace seedlm {

int PerplexityTableMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_PPL_TABLE_H_
