// Internal to the worker (worker.cc, worker_heartbeat.cc): the RPC-in-flight
// record and the backoff of Worker. Not part of the worker's API.
#ifndef SEEDLM_WORKER_WORKER_INTERNAL_H_
#define SEEDLM_WORKER_WORKER_INTERNAL_H_

#include <algorithm>
#include <mutex>
#include <random>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/rpc/credentials.h"
#include "worker/worker.h"

namespace seedlm::worker {

// Errors worth retrying: the coordinator is down, restarting or busy.
inline bool Transient(absl::StatusCode c) {
  return c == absl::StatusCode::kUnavailable ||
         c == absl::StatusCode::kDeadlineExceeded ||
         c == absl::StatusCode::kAborted ||
         c == absl::StatusCode::kResourceExhausted ||
         c == absl::StatusCode::kCancelled || c == absl::StatusCode::kUnknown ||
         c == absl::StatusCode::kInternal;
}

// An RPC in flight: its context carries the token and deadline and is
// cancelled by Stop() (if cancel_on_stop) or Abort().
struct Worker::Call {
  inline Call(Worker* worker, bool cancel_on_stop, absl::Time deadline)
      : w(worker), cancel_on_stop(cancel_on_stop) {
    rpc::AttachToken(ctx, w->options_.token);
    if (deadline != absl::InfiniteFuture()) {
      ctx.set_deadline(absl::ToChronoTime(deadline));
    }
    std::lock_guard<std::mutex> lock(w->mu_);
    w->calls_.insert(this);
    if (w->aborting_ || w->run_done_ || (cancel_on_stop && w->stopping_)) {
      ctx.TryCancel();
    }
  }
  ~Call() {
    std::lock_guard<std::mutex> lock(w->mu_);
    w->calls_.erase(this);
  }
  Worker* const w;
  const bool cancel_on_stop;
  grpc::ClientContext ctx;
};

// Capped exponential backoff with jitter: each delay is drawn from
// [d/2, d], d doubling from `initial` to `max`.
class Worker::Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max)
      : initial_(initial),
        max_(max),
        next_(initial),
        rng_(std::random_device{}()) {}
  absl::Duration Next() {
    const absl::Duration d = next_;
    next_ = std::min(next_ * 2, max_);
    return d * std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
  }
  void Reset() { next_ = initial_; }

 private:
  const absl::Duration initial_, max_;
  absl::Duration next_;
  std::mt19937_64 rng_;
};

}  // namespace seedlm::worker

#endif  // SEEDLM_WORKER_WORKER_INTERNAL_H_
