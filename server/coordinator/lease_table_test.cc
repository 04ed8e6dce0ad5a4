#include "server/coordinator/lease_table.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm::coordinator {
namespace {

// A manual clock.
class FakeClock {
 public:
  absl::Time Now() const { return absl::FromUnixSeconds(0) + offset_; }
  void Advance(absl::Duration d) { offset_ += d; }
  std::function<absl::Time()> fn() {
    return [this] { return Now(); };
  }

 private:
  absl::Duration offset_;
};

std::vector<UnitSpec> Chain(int64_t n) {  // unit 0, then 1..n-1 after it
  std::vector<UnitSpec> units = {{0, -1}};
  for (int64_t i = 1; i < n; ++i) units.push_back({i, 0});
  return units;
}

TEST(LeaseTableTest, DependantsWaitForTheirUnit) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", Chain(3)).ok());
  EXPECT_EQ(t.stats().ready, 1);
  EXPECT_EQ(t.stats().waiting, 2);
  std::optional<Lease> bias = t.Acquire("w1");
  ASSERT_TRUE(bias.has_value());
  EXPECT_EQ(bias->unit.unit, 0);
  EXPECT_FALSE(t.Acquire("w2").has_value());  // rows wait for the bias
  ASSERT_TRUE(t.Complete("w1", bias->lease_id).ok());
  std::optional<Lease> a = t.Acquire("w2");
  std::optional<Lease> b = t.Acquire("w1");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->unit.unit, 1);
  EXPECT_EQ(b->unit.unit, 2);
  EXPECT_FALSE(*t.JobDone("j"));
  ASSERT_TRUE(t.Complete("w2", a->lease_id).ok());
  ASSERT_TRUE(t.Complete("w1", b->lease_id).ok());
  EXPECT_TRUE(*t.JobDone("j"));
}

TEST(LeaseTableTest, ExpiredLeaseGoesElsewhereAndItsLateCompletionIsDropped) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", {{0, -1}}).ok());
  std::optional<Lease> first = t.Acquire("slow");
  ASSERT_TRUE(first.has_value());
  clock.Advance(absl::Seconds(20));
  EXPECT_TRUE(t.Heartbeat("slow", {first->lease_id}).empty());
  clock.Advance(absl::Seconds(20));  // 20 s since the heartbeat: still held
  EXPECT_FALSE(t.Acquire("fast").has_value());
  clock.Advance(absl::Seconds(11));  // 31 s: expired
  std::optional<Lease> second = t.Acquire("fast");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->unit, first->unit);
  EXPECT_NE(second->lease_id, first->lease_id);
  EXPECT_EQ(t.Heartbeat("slow", {first->lease_id}),
            std::vector<std::string>{first->lease_id});
  EXPECT_EQ(t.Complete("slow", first->lease_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(t.Complete("fast", second->lease_id).ok());
  // A duplicate completion is refused too.
  EXPECT_EQ(t.Complete("fast", second->lease_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.stats().expired, 1);
  EXPECT_EQ(t.stats().rejected, 2);
  EXPECT_EQ(t.stats().done, 1);
}

TEST(LeaseTableTest, TimedOutLeaseCannotCompleteEvenIfNobodyTookIt) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", {{0, -1}}).ok());
  std::optional<Lease> l = t.Acquire("w");
  clock.Advance(absl::Seconds(31));
  EXPECT_FALSE(t.Complete("w", l->lease_id).ok());
  EXPECT_EQ(t.stats().ready, 1);
}

TEST(LeaseTableTest, DroppedWorkerFreesItsLeasesAtOnce) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", {{0, -1}, {1, -1}, {2, -1}}).ok());
  std::optional<Lease> a = t.Acquire("dead");
  std::optional<Lease> b = t.Acquire("dead");
  std::optional<Lease> c = t.Acquire("alive");
  EXPECT_EQ(t.ReleaseWorker("dead"), 2);
  EXPECT_EQ(t.stats().ready, 2);
  EXPECT_EQ(t.stats().leased, 1);
  EXPECT_FALSE(t.Complete("dead", a->lease_id).ok());
  EXPECT_TRUE(t.Complete("alive", c->lease_id).ok());
  // Another worker cannot complete or release someone else's lease.
  std::optional<Lease> d = t.Acquire("alive");
  EXPECT_FALSE(t.Complete("other", d->lease_id).ok());
  EXPECT_EQ(t.Release("other", d->lease_id).code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(t.Release("alive", d->lease_id).ok());
  EXPECT_EQ(t.stats().ready, 2);
  (void)b;
}

TEST(LeaseTableTest, JobsAreServedInSubmissionOrderUnitsInPlanOrder) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("second", {{5, -1}, {2, -1}}).ok());
  ASSERT_TRUE(t.AddJob("first", {{0, -1}}).ok());
  std::vector<std::pair<std::string, int64_t>> got;
  while (std::optional<Lease> l = t.Acquire("w")) {
    got.push_back({l->unit.job_id, l->unit.unit});
  }
  const std::vector<std::pair<std::string, int64_t>> want = {
      {"second", 2}, {"second", 5}, {"first", 0}};
  EXPECT_EQ(got, want);
}

TEST(LeaseTableTest, ReplayedDoneUnitsAreNotRedoneAndReleaseTheirDependants) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", Chain(4), /*done=*/{0, 2}).ok());
  std::set<int64_t> leased;
  while (std::optional<Lease> l = t.Acquire("w")) leased.insert(l->unit.unit);
  EXPECT_EQ(leased, (std::set<int64_t>{1, 3}));
}

TEST(LeaseTableTest, RedoAndRemoveJob) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("j", {{0, -1}, {1, -1}}).ok());
  std::optional<Lease> a = t.Acquire("w1");
  std::optional<Lease> b = t.Acquire("w2");
  ASSERT_TRUE(t.Complete("w1", a->lease_id).ok());
  ASSERT_TRUE(t.Redo(a->unit).ok());  // failed verification
  EXPECT_EQ(t.Redo(a->unit).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.stats().ready, 1);
  const auto revoked = t.RemoveJob("j");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked.at("w2"), std::vector<std::string>{b->lease_id});
  EXPECT_FALSE(t.Complete("w2", b->lease_id).ok());
  EXPECT_EQ(t.JobDone("j").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(t.Acquire("w1").has_value());
}

TEST(LeaseTableTest, BadJobsAreRefused) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  EXPECT_EQ(t.AddJob("a", {{0, -1}, {0, -1}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.AddJob("b", {{0, 1}, {1, -1}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.AddJob("c", {{0, -1}}, {7}).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(t.AddJob("d", {{0, -1}}).ok());
  EXPECT_EQ(t.AddJob("d", {{0, -1}}).code(),
            absl::StatusCode::kInvalidArgument);
}

// Many workers racing: every unit is completed exactly once.
TEST(LeaseTableTest, ConcurrentWorkersCompleteEachUnitOnce) {
  LeaseTable t(absl::Seconds(30), [] { return absl::Now(); });
  std::vector<UnitSpec> units;
  for (int64_t i = 0; i < 2000; ++i) units.push_back({i, -1});
  ASSERT_TRUE(t.AddJob("j", units).ok());
  std::atomic<int> completed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      const std::string id = "w" + std::to_string(w);
      while (std::optional<Lease> l = t.Acquire(id)) {
        if (t.Complete(id, l->lease_id).ok()) ++completed;
      }
    });
  }
  for (std::thread& th : workers) th.join();
  EXPECT_EQ(completed.load(), 2000);
  EXPECT_TRUE(*t.JobDone("j"));
}

TEST(LeaseTableTest, EligibilityFiltersJobsAndCurrentPeeksWithoutCompleting) {
  FakeClock clock;
  LeaseTable t(absl::Seconds(30), clock.fn());
  ASSERT_TRUE(t.AddJob("a", {{0, -1}}).ok());
  ASSERT_TRUE(t.AddJob("b", {{0, -1}, {1, -1}}).ok());
  // "a" is older, but this worker may not run it.
  std::optional<Lease> l =
      t.Acquire("w", [](const std::string& job) { return job != "a"; });
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->unit.job_id, "b");
  EXPECT_FALSE(t.Acquire("w", [](const std::string&) { return false; }));
  auto cur = t.Current("w", l->lease_id);
  ASSERT_TRUE(cur.ok());
  EXPECT_EQ(cur->job_id, "b");
  EXPECT_EQ(t.Current("other", l->lease_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.JobStats("b").leased, 1);
  EXPECT_EQ(t.JobStats("b").ready, 1);
  EXPECT_EQ(t.JobStats("a").ready, 1);
  EXPECT_EQ(t.JobStats("zz").ready, 0);
  // Current() changed nothing: the lease still completes once.
  ASSERT_TRUE(t.Complete("w", l->lease_id).ok());
  EXPECT_EQ(t.Current("w", l->lease_id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.JobStats("b").done, 1);
  // An expired lease is not current.
  std::optional<Lease> m = t.Acquire("w");
  ASSERT_TRUE(m.has_value());
  clock.Advance(absl::Seconds(31));
  EXPECT_FALSE(t.Current("w", m->lease_id).ok());
}

}  // namespace
}  // namespace seedlm::coordinator
