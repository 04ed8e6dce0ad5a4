#include "core/util/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace seedlm {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) {
    num_threads = static_cast<int>(std::thread::hardware_concurrency());
  }
  num_threads = std::max(num_threads, 1);
  for (int i = 1; i < num_threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

ThreadPool::~ThreadPool() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(&mu_);
      mu_.Await([this]()
                    ABSL_NO_THREAD_SAFETY_ANALYSIS { return HasWorkOrStop(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

namespace {

// One ParallelFor call's shared state; helpers may still hold it (and find
// no chunk left) after the call returned. Chunks are counted without the
// lock; only the last one takes it, so that the waiting caller wakes once.
struct ForState {
  explicit ForState(int64_t n) : chunks(n) {}
  bool Finished() const { return done.load() == chunks; }
  const int64_t chunks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  Mutex mu;  // taken by the last chunk (its release wakes the caller)
};

}  // namespace

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  auto state = std::make_shared<ForState>(chunks);
  // `fn` is only called for claimed chunks, all of which finish before this
  // call returns, so the reference never dangles when it is used.
  auto run = [state, chunks, grain, n, &fn] {
    for (;;) {
      const int64_t c = state->next.fetch_add(1);
      if (c >= chunks) return;
      const int64_t begin = c * grain;
      fn(begin, std::min(n, begin + grain));
      if (state->done.fetch_add(1) + 1 == chunks) MutexLock wake(&state->mu);
    }
  };
  const int64_t helpers =
      std::min<int64_t>(static_cast<int64_t>(workers_.size()), chunks - 1);
  if (helpers > 0) {
    MutexLock lock(&mu_);
    for (int64_t i = 0; i < helpers; ++i) tasks_.push_back(run);
  }
  run();
  MutexLock lock(&state->mu);
  state->mu.Await([&state] { return state->Finished(); });
}

}  // namespace seedlm
