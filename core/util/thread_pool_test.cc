#include "core/util/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    std::vector<std::atomic<int>> hits(1001);
    pool.ParallelFor(1001, 7, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i]++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(ThreadPoolTest, EmptyAndSingleChunkRanges) {
  ThreadPool pool(3);
  int calls = 0;
  pool.ParallelFor(0, 4, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
  pool.ParallelFor(3, 100, [&](int64_t b, int64_t e) {
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 3);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

// Several threads share one pool, each with its own ParallelFor calls and
// its own result array: every call must see exactly its own indices, once,
// and return only when they are all done (checked right after it returns).
TEST(ThreadPoolTest, ConcurrentCallersEachGetAllTheirIndices) {
  ThreadPool pool(4);
  constexpr int kCallers = 6;
  constexpr int kRounds = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < kRounds; ++round) {
        const int64_t n = 50 + 37 * c + round;
        std::vector<int> hits(n, 0);  // each index written by one chunk
        pool.ParallelFor(n, 1 + (round % 5), [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[i] += 1 + c;
        });
        for (int64_t i = 0; i < n; ++i) {
          if (hits[i] != 1 + c) ++failures;
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPoolTest, DestroyWhileIdleAfterManyCalls) {
  for (int i = 0; i < 20; ++i) {
    ThreadPool pool(3);
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(100, 3, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) sum += k;
    });
    EXPECT_EQ(sum.load(), 4950);
  }
}

}  // namespace
}  // namespace seedlm
