// PlanLayers: the balanced split by threads, the memory bound, the shift to
// later executors and the greedy fallback, checked against a brute-force
// search over every contiguous split.
#include "core/runtime/layer_plan.h"

#include <functional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

using Ranges = std::vector<LayerRange>;

Ranges Plan(const std::vector<uint64_t>& layers,
            const std::vector<ExecutorCapacity>& executors,
            uint64_t fixed = 0) {
  auto r = PlanLayers(layers, executors, fixed);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Ranges{};
}

// Whether executor x can hold [begin, end) (an empty range always fits).
bool Fits(const std::vector<uint64_t>& layers, const ExecutorCapacity& x,
          uint64_t fixed, int begin, int end) {
  if (begin == end || x.memory_bytes == 0) return true;
  uint64_t need = fixed;
  for (int l = begin; l < end; ++l) need += layers[l];
  return need <= x.memory_bytes;
}

// Whether some contiguous split fits, by trying them all.
bool AnySplitFits(const std::vector<uint64_t>& layers,
                  const std::vector<ExecutorCapacity>& executors,
                  uint64_t fixed) {
  const int n = static_cast<int>(layers.size());
  std::function<bool(size_t, int)> from = [&](size_t i, int begin) {
    if (i + 1 == executors.size()) {
      return Fits(layers, executors[i], fixed, begin, n);
    }
    for (int end = begin; end <= n; ++end) {
      if (Fits(layers, executors[i], fixed, begin, end) && from(i + 1, end)) {
        return true;
      }
    }
    return false;
  };
  return from(0, 0);
}

TEST(PlanLayers, BalancedByThreads) {
  const std::vector<uint64_t> six(6, 10);
  EXPECT_EQ(Plan(six, {{1, 0}, {1, 0}}), (Ranges{{0, 3}, {3, 6}}));
  EXPECT_EQ(Plan(six, {{1, 0}, {2, 0}}), (Ranges{{0, 2}, {2, 6}}));
  EXPECT_EQ(Plan(six, {{2, 0}, {1, 0}}), (Ranges{{0, 4}, {4, 6}}));
  EXPECT_EQ(Plan(six, {{4, 0}}), (Ranges{{0, 6}}));
  EXPECT_EQ(Plan(six, {{1, 0}, {1, 0}, {1, 0}}),
            (Ranges{{0, 2}, {2, 4}, {4, 6}}));
  // Cumulative rounding: 5 * 1/3 = 1.67 -> 2, 5 * 2/3 = 3.33 -> 3.
  EXPECT_EQ(Plan(std::vector<uint64_t>(5, 1), {{1, 0}, {1, 0}, {1, 0}}),
            (Ranges{{0, 2}, {2, 3}, {3, 5}}));
  // Memory that holds the balanced share changes nothing.
  EXPECT_EQ(Plan(six, {{1, 35}, {2, 45}}, 5), (Ranges{{0, 2}, {2, 6}}));
}

TEST(PlanLayers, MoreExecutorsThanLayers) {
  // Ends round(2 * {1, 2, 3, 4} / 4) = {1, 1, 2, 2} (halves round up).
  EXPECT_EQ(Plan({7, 7}, {{1, 0}, {1, 0}, {1, 0}, {1, 0}}),
            (Ranges{{0, 1}, {1, 1}, {1, 2}, {2, 2}}));
  EXPECT_EQ(Plan({7}, {{1, 0}, {1, 0}, {1, 0}}),
            (Ranges{{0, 0}, {0, 1}, {1, 1}}));
}

TEST(PlanLayers, MemoryShiftsLayersToLaterExecutors) {
  const std::vector<uint64_t> six(6, 10);
  // The first holds two layers only; the third layer moves on.
  EXPECT_EQ(Plan(six, {{1, 20}, {1, 0}}), (Ranges{{0, 2}, {2, 6}}));
  // With fixed bytes, only one.
  EXPECT_EQ(Plan(six, {{1, 20}, {1, 0}}, 5), (Ranges{{0, 1}, {1, 6}}));
  // The middle one is small: what it cannot hold goes to the last.
  EXPECT_EQ(Plan(six, {{1, 0}, {1, 10}, {1, 0}}),
            (Ranges{{0, 2}, {2, 3}, {3, 6}}));
  // Too little for even one layer: an empty range.
  EXPECT_EQ(Plan(six, {{1, 9}, {1, 0}}), (Ranges{{0, 0}, {0, 6}}));
}

TEST(PlanLayers, GreedyFallback) {
  const std::vector<uint64_t> six(6, 10);
  // Balanced and shifted, the last would need 30 > 20: each in order takes
  // what fits instead.
  EXPECT_EQ(Plan(six, {{1, 0}, {1, 20}}), (Ranges{{0, 6}, {6, 6}}));
  EXPECT_EQ(Plan(six, {{1, 40}, {1, 20}}), (Ranges{{0, 4}, {4, 6}}));
  EXPECT_EQ(Plan(six, {{1, 30}, {5, 20}, {1, 10}}),
            (Ranges{{0, 3}, {3, 5}, {5, 6}}));
}

TEST(PlanLayers, Errors) {
  const std::vector<uint64_t> six(6, 10);
  EXPECT_EQ(PlanLayers(six, {{1, 30}, {1, 20}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlanLayers(six, {{1, 40}, {1, 40}}, 11).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlanLayers({}, {{1, 0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanLayers(six, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanLayers(six, {{1, 0}, {0, 0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanLayers(six, {{-3, 0}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Sums that overflow do not fit.
  EXPECT_EQ(PlanLayers({UINT64_MAX, UINT64_MAX}, {{1, UINT64_MAX}}, 1)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PlanLayers, RandomizedAgainstBruteForce) {
  std::mt19937 rng(15);
  int planned = 0, infeasible = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = 1 + rng() % 7;
    const int k = 1 + rng() % 4;
    std::vector<uint64_t> layers(n);
    for (uint64_t& b : layers) b = rng() % 20;
    std::vector<ExecutorCapacity> executors(k);
    for (ExecutorCapacity& x : executors) {
      x.threads = 1 + rng() % 4;
      x.memory_bytes = rng() % 4 == 0 ? 0 : rng() % 60;
    }
    const uint64_t fixed = rng() % 3 == 0 ? rng() % 10 : 0;
    auto r = PlanLayers(layers, executors, fixed);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_FALSE(AnySplitFits(layers, executors, fixed)) << trial;
      ++infeasible;
      continue;
    }
    ++planned;
    ASSERT_EQ(r->size(), executors.size());
    int next = 0;
    for (int i = 0; i < k; ++i) {
      const LayerRange& g = (*r)[i];
      EXPECT_EQ(g.begin, next) << trial;
      EXPECT_LE(g.begin, g.end) << trial;
      EXPECT_TRUE(Fits(layers, executors[i], fixed, g.begin, g.end)) << trial;
      next = g.end;
    }
    EXPECT_EQ(next, n) << trial;
  }
  // Both outcomes were exercised.
  EXPECT_GT(planned, 500);
  EXPECT_GT(infeasible, 100);
}

}  // namespace
}  // namespace seedlm
