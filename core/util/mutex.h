// A mutex with a condition wait, annotated for clang's -Wthread-safety
// (ABSL_GUARDED_BY works with it as with absl::Mutex), built on std::mutex
// so that ThreadSanitizer sees every acquire and release: Debian's Abseil
// is not TSan-instrumented, which makes absl::Mutex invisible to TSan.
//
// Thread-safety: all members may be called from any thread.
#ifndef SEEDLM_CORE_UTIL_MUTEX_H_
#define SEEDLM_CORE_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace seedlm {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  // Wakes every Await()er so that it re-checks its condition.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    mu_.unlock();
    cv_.notify_all();
  }
  // Blocks until cond() is true; cond is evaluated with the mutex held.
  template <typename Cond>
  void Await(Cond cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    cv_.wait(lock, cond);
    lock.release();  // still held by the caller
  }
  // Blocks until cond() is true or `deadline` passes; returns cond(). cond
  // is evaluated with the mutex held.
  template <typename Cond>
  bool AwaitWithDeadline(Cond cond,
                         std::chrono::steady_clock::time_point deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    bool result = cv_.wait_until(lock, deadline, cond);
    lock.release();  // still held by the caller
    return result;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

// Holds a Mutex for a scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_MUTEX_H_
