// `seedlm-bench serve`: the continuous-batching engine under load, the
// engine that `seedlm-serve` runs (core/runtime/batch_engine.h), measured
// in-process so that the numbers are the engine's, not the network's.
//
//   seedlm-bench serve --model PATH [--concurrency 1,4,8,16]
//       [--prompt-tokens 32] [--output-tokens 32] [--threads T]
//       [--rounds R] [--json]
//
// For each concurrency N: N client threads each submit a request with a
// fixed pseudo-random prompt of --prompt-tokens ids and --output-tokens
// greedy tokens (EOS ignored), R rounds back to back, against (a) the
// batching engine with --max-batch N and (b) the same engine with
// --max-batch 1 (requests served one at a time: the unbatched baseline).
// Printed side by side per N: aggregate tokens/s (all generated tokens /
// wall time), per-stream tokens/s (output tokens / time from the first
// token to the last, mean), time to first token p50 / p99, and the ratio
// batched / unbatched aggregate. Peak RSS at the end (one model per
// process to compare models).
#ifndef SEEDLM_BENCH_SERVE_BENCH_H_
#define SEEDLM_BENCH_SERVE_BENCH_H_

#include <string>
#include <vector>

namespace seedlm {

int ServeMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_SERVE_BENCH_H_
