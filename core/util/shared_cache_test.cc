#include "core/util/shared_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

// A value that counts how many instances are alive.
struct Blob {
  static std::atomic<int> alive;
  explicit Blob(size_t n) : bytes(n) { ++alive; }
  ~Blob() { --alive; }
  size_t MemoryBytes() const { return bytes; }
  size_t bytes;
};
std::atomic<int> Blob::alive{0};

auto Make(size_t n) {
  return [n] { return std::make_unique<Blob>(n); };
}

TEST(SharedCacheTest, SharesALiveValueAndFreesItWhenUnusedAndEvicted) {
  SharedCache<int, Blob> cache(/*retain_bytes=*/100);
  {
    auto a = *cache.GetOrBuild(1, Make(60));
    auto b = *cache.GetOrBuild(1, Make(60));
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(cache.builds(), 1);
    EXPECT_EQ(Blob::alive, 1);
  }
  // Retained: asking again does not rebuild.
  EXPECT_EQ(Blob::alive, 1);
  EXPECT_EQ(cache.retained_bytes(), 60u);
  (void)*cache.GetOrBuild(1, Make(60));
  EXPECT_EQ(cache.builds(), 1);
  // A second 60-byte value exceeds the budget: the older one is evicted and,
  // unused, freed.
  (void)*cache.GetOrBuild(2, Make(60));
  EXPECT_EQ(Blob::alive, 1);
  EXPECT_EQ(cache.retained_bytes(), 60u);
  (void)*cache.GetOrBuild(1, Make(60));
  EXPECT_EQ(cache.builds(), 3);
  cache.ReleaseRetained();
  EXPECT_EQ(Blob::alive, 0);
  EXPECT_EQ(cache.retained_bytes(), 0u);
}

TEST(SharedCacheTest, AValueInUseIsNeverBuiltTwiceEvenWhenEvicted) {
  SharedCache<int, Blob> cache(/*retain_bytes=*/0);
  auto held = *cache.GetOrBuild(1, Make(10));
  (void)*cache.GetOrBuild(2, Make(10));  // evicts 1 from retention
  auto again = *cache.GetOrBuild(1, Make(10));
  EXPECT_EQ(held.get(), again.get());
  EXPECT_EQ(cache.builds(), 2);
  held.reset();
  again.reset();
  cache.ReleaseRetained();
  EXPECT_EQ(Blob::alive, 0);
}

TEST(SharedCacheTest, KeepsTheLastValueEvenOverBudget) {
  SharedCache<int, Blob> cache(/*retain_bytes=*/10);
  (void)*cache.GetOrBuild(1, Make(1000));
  EXPECT_EQ(Blob::alive, 1);
  (void)*cache.GetOrBuild(2, Make(1000));
  EXPECT_EQ(Blob::alive, 1);  // 1 freed, 2 kept
  cache.ReleaseRetained();
  EXPECT_EQ(Blob::alive, 0);
}

TEST(SharedCacheTest, BuildErrorsAreReturnedAndNotCached) {
  SharedCache<std::string, Blob> cache(100);
  auto fail = [] {
    return absl::StatusOr<std::unique_ptr<Blob>>(
        absl::ResourceExhaustedError("too big"));
  };
  EXPECT_EQ(cache.GetOrBuild("x", fail).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(cache.builds(), 0);
  EXPECT_TRUE(cache.GetOrBuild("x", Make(1)).ok());
  auto null = [] { return std::unique_ptr<Blob>(); };
  EXPECT_EQ(cache.GetOrBuild("y", null).status().code(),
            absl::StatusCode::kInternal);
  cache.ReleaseRetained();
}

// Many threads asking for a few keys at once: each value is built once
// while it is held, and everything is freed at the end (run under TSan).
TEST(SharedCacheTest, ConcurrentCallers) {
  SharedCache<int, Blob> cache(/*retain_bytes=*/1 << 20);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int key = (t + i) % 4;
        auto v = cache.GetOrBuild(key, Make(100 + key));
        if (!v.ok() || (*v)->bytes != static_cast<size_t>(100 + key)) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(cache.builds(), 4);  // the budget retains all four
  cache.ReleaseRetained();
  EXPECT_EQ(Blob::alive, 0);
}

}  // namespace
}  // namespace seedlm
