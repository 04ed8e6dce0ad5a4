// `seedlm-bench tokens`: end-to-end generation speed and memory of one model
// file through the runtime (core/runtime), without a tokenizer, so that
// synthetic checkpoints (`seedlm synth`) can be measured too.
//
//   seedlm-bench tokens --model PATH [--tokens N] [--threads T] [--json]
//
// Loads the model (timed), then feeds BOS (id 1) and greedily generated ids
// for N forward passes (timed: tokens/s = N / seconds). Peak RSS is the
// process's (getrusage): run one model per process to compare models.
#ifndef SEEDLM_BENCH_TOKENS_BENCH_H_
#define SEEDLM_BENCH_TOKENS_BENCH_H_

#include <string>
#include <vector>

namespace seedlm {

int TokensMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_TOKENS_BENCH_H_
