// An executor in another process that attached to this server (over
// ExecutorService, remote_executor.h), as the executor pool
// (executor_pool.h) sees it: an Executor (core/runtime/executor.h) that can
// be told which layers to load, and that may go away at any time.
//
// Thread-safety: Load, Open, Close and Step from one thread at a time (the
// pool's caller, the engine thread); the accessors, alive() and
// Fail() from any thread.

#ifndef SEEDLM_SERVER_EXECUTOR_ATTACHED_EXECUTOR_H_
#define SEEDLM_SERVER_EXECUTOR_ATTACHED_EXECUTOR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "core/runtime/executor.h"
#include "core/runtime/layer_plan.h"
#include "core/runtime/weight_stream.h"

namespace seedlm::serve {

// What an executor announced when it attached.
struct ExecutorAnnouncement {
  std::string kind = "cpu";  // "cpu" or "fpga-sim"
  std::string name;          // host name or --name
  int threads = 1;
  uint64_t memory_bytes = 0;  // 0: no limit
};

// The model-wide settings every loaded executor is built with.
struct ExecutorBuild {
  int n_layers = 0;
  int context = 0;
  int max_sequences = 1;
  int max_step_tokens = 64;
};

class AttachedExecutor : public Executor {
 public:
  // The server's id for it ("ex-1", "ex-2", ... in attach order).
  virtual const std::string& id() const = 0;
  virtual const ExecutorAnnouncement& announcement() const = 0;

  // Replaces its layers with `range` (empty: it holds none and stands by)
  // and forgets every sequence: streams the stored weights of the range's
  // tensors from `weights` (not owned; used only during the call) and
  // returns once the executor has checked and loaded them. UNAVAILABLE
  // when it is gone or goes away meanwhile; DATA_LOSS (and the executor is
  // then dropped) when it refused the weights; DEADLINE_EXCEEDED when it
  // did not answer in time.
  virtual absl::Status Load(LayerRange range, const WeightSource& weights,
                            const ExecutorBuild& build) = 0;

  // False once the attachment ended (stream broken, heartbeat missed,
  // Fail()): every later call fails with UNAVAILABLE.
  virtual bool alive() const = 0;
  // Ends the attachment with `why` (e.g. the server shuts down).
  virtual void Fail(const absl::Status& why) = 0;
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_EXECUTOR_ATTACHED_EXECUTOR_H_
