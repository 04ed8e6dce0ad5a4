// `seedlm-bench coordinator`: the capacity of one compression coordinator
// (issue 13). It starts a real `seedlm-coordinator` process per
// configuration, submits one job on a synthetic model under the
// coordinator's --model-root, and serves it with K fake workers (threads of
// the bench, each a real gRPC client: fake_worker.h) that answer every lease
// at once with the unit's precomputed result (prepared_units.h), so the
// coordinator's verification passes and the search costs nothing.
//
//   seedlm-bench coordinator [--workers 1,4,16] [--verify-blocks 8,0]
//       [--preset P] [--tensors N --rows R --cols C --period-rows P]
//       [--unit-blocks N] [--repeats N] [--coordinator-bin PATH]
//       [--work-dir DIR] [--keep] [--timeout S] [--json]
//
// Per run (K workers, V = --verify-blocks): units/s and MB/s (rows sent plus
// payloads received by the coordinator) over the unit phase (first lease to
// last accepted result), the coordinator's CPU seconds per unit over that
// phase (/proc/PID/stat utime + stime), its peak RSS (VmHWM, assembly
// included; it counts the memory-mapped model's pages) and its anonymous and
// file-mapped RSS at the end, the planning and assembly seconds, and the
// result's sha256 (equal in every run: a run whose result differs fails the
// bench).
//
// The fake workers share the machine with the coordinator: units/s is what
// this machine sustains with both; CPU per unit is the coordinator's own.
// Exit codes: 0 ok, 1 a run failed (a rejected result, a failed job, a
// timeout), 2 bad flags.
#ifndef SEEDLM_BENCH_COORDINATOR_BENCH_H_
#define SEEDLM_BENCH_COORDINATOR_BENCH_H_

#include <string>
#include <vector>

namespace seedlm {

int CoordinatorMain(const std::vector<std::string>& args);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_COORDINATOR_BENCH_H_
