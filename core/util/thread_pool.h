// A small fixed-size thread pool with a blocking parallel-for.
//
// Kernels and searches borrow a pool from their caller instead of creating
// threads. Work is split into chunks that workers (and the calling thread)
// claim from an atomic counter, so results never depend on the thread count as
// long as each index is processed independently.
//
// Thread-safety: ParallelFor may be called from several threads at once; each
// call blocks until all of its chunks have run. Not reentrant from inside a
// chunk (a chunk must not call ParallelFor on the same pool).
#ifndef SEEDLM_CORE_UTIL_THREAD_POOL_H_
#define SEEDLM_CORE_UTIL_THREAD_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/util/mutex.h"

namespace seedlm {

class ThreadPool {
 public:
  // Starts `num_threads - 1` workers (the caller of ParallelFor is the last
  // thread). num_threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total threads that run chunks, including the caller.
  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over [0, n) in chunks of at most `grain` indices.
  // Blocks until every chunk has finished. REQUIRES: grain >= 1.
  void ParallelFor(int64_t n, int64_t grain,
                   const std::function<void(int64_t, int64_t)>& fn)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWorkOrStop() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !tasks_.empty();
  }

  mutable Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // set in the constructor only
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_THREAD_POOL_H_
