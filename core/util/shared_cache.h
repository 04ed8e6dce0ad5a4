// A process-wide cache of immutable values that are expensive to build and
// large (the seed tables of a codec, its expander and kernel tables), with
// lifetimes: values are shared (std::shared_ptr) between their users and
// freed when no user and no retention slot holds them any more.
//
// The cache keeps a weak reference to every live value, so while any user
// holds a value it is never built twice. Besides, it retains strong
// references to the most recently used values, up to `retain_bytes` of them
// (by Value::MemoryBytes()) and always at least the last one used, so that a
// value dropped and asked for again soon (one searcher per tensor, one model
// after another of the same codec) is not rebuilt. Memory held by the cache
// itself is therefore bounded by max(retain_bytes, the largest value).
//
// Thread-safety: all members may be called concurrently. A value is built
// under the cache's lock (builds are rare and this keeps them single), so
// `build` must not use the same cache.
#ifndef SEEDLM_CORE_UTIL_SHARED_CACHE_H_
#define SEEDLM_CORE_UTIL_SHARED_CACHE_H_

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/util/mutex.h"

namespace seedlm {

// REQUIRES: Value has `size_t MemoryBytes() const`; Key is ordered (<).
template <typename Key, typename Value>
class SharedCache {
 public:
  explicit SharedCache(size_t retain_bytes) : retain_bytes_(retain_bytes) {}
  SharedCache(const SharedCache&) = delete;
  SharedCache& operator=(const SharedCache&) = delete;

  // The live value of `key`, or a new one from `build()`, which returns
  // absl::StatusOr<std::unique_ptr<Value>> (or std::unique_ptr<Value>;
  // null is INTERNAL). Errors of `build` are returned and nothing is cached.
  template <typename Build>
  absl::StatusOr<std::shared_ptr<const Value>> GetOrBuild(const Key& key,
                                                          Build&& build)
      ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    auto it = live_.find(key);
    if (it != live_.end()) {
      if (std::shared_ptr<const Value> v = it->second.lock()) {
        Retain(key, v);
        return v;
      }
    }
    absl::StatusOr<std::unique_ptr<Value>> built = Unwrap(build());
    if (!built.ok()) return built.status();
    if (*built == nullptr) return absl::InternalError("cache build gave null");
    std::shared_ptr<const Value> v(std::move(*built));
    ++builds_;
    live_[key] = v;
    Retain(key, v);
    DropExpired();
    return v;
  }

  // Values built so far (a rebuilt value counts again).
  int builds() const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return builds_;
  }
  // Bytes of the values the cache itself keeps alive.
  size_t retained_bytes() const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return retained_bytes_;
  }
  // Drops every retention slot (values in use stay alive with their users).
  void ReleaseRetained() ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    lru_.clear();
    retained_bytes_ = 0;
    DropExpired();
  }

 private:
  using Slot = std::pair<Key, std::shared_ptr<const Value>>;

  static absl::StatusOr<std::unique_ptr<Value>> Unwrap(
      absl::StatusOr<std::unique_ptr<Value>> v) {
    return v;
  }

  // Moves `key` to the front of the retention list, then evicts from the
  // back while over budget, keeping at least the front slot.
  void Retain(const Key& key, const std::shared_ptr<const Value>& v)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      if (!(it->first < key) && !(key < it->first)) {
        lru_.splice(lru_.begin(), lru_, it);
        return;
      }
    }
    lru_.emplace_front(key, v);
    retained_bytes_ += v->MemoryBytes();
    while (lru_.size() > 1 && retained_bytes_ > retain_bytes_) {
      retained_bytes_ -= lru_.back().second->MemoryBytes();
      lru_.pop_back();
    }
  }

  void DropExpired() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = live_.begin(); it != live_.end();) {
      it = it->second.expired() ? live_.erase(it) : std::next(it);
    }
  }

  const size_t retain_bytes_;
  mutable Mutex mu_;
  std::map<Key, std::weak_ptr<const Value>> live_ ABSL_GUARDED_BY(mu_);
  std::list<Slot> lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  size_t retained_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int builds_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_SHARED_CACHE_H_
