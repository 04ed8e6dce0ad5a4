// A real Worker against an in-process fake WorkService (a real gRPC server on
// 127.0.0.1): results byte-identical to the plan's own, revoked leases not
// completed, re-registration, drains, backoff while the coordinator is down.
// Every wait has a deadline; a failing test aborts its worker.
#include "worker/worker.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <set>

#include "core/compress/plan_test_util.h"
#include "core/compress/unit_rows_test_util.h"
#include "gtest/gtest.h"
#include "worker/fake_work_service.h"
#include "worker/work_proto.h"
#include "worker/worker_test_util.h"

namespace seedlm::worker {
namespace {

namespace v1 = ::seedlm::v1;
using seedlm::testing_util::OddCodec;
using seedlm::testing_util::ScratchDir;
using seedlm::testing_util::WriteDTypeModel;
using testing_util::ExpectedOutcome;
using testing_util::TaskForPlanUnit;

using testing_util::FakeServer;
using testing_util::FakeWorkService;
using testing_util::kWait;

WorkerOptions TestOptions(const std::string& address) {
  WorkerOptions o;
  o.coordinator = address;
  o.threads = 2;
  o.name = "test-worker";
  o.lease_wait_ms = 200;
  o.rpc_deadline = absl::Seconds(5);
  o.backoff_initial = absl::Milliseconds(20);
  o.backoff_max = absl::Milliseconds(200);
  return o;
}

// Polls `pred` until it holds (true) or kWait passes (false).
bool Eventually(const std::function<bool()>& pred) {
  const absl::Time end = absl::Now() + absl::FromChrono(kWait);
  while (!pred()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// A Worker running on its own thread; aborted and joined when destroyed.
struct Running {
  explicit Running(const WorkerOptions& o) : worker(*Worker::Create(o)) {
    result = std::async(std::launch::async, [this] { return worker->Run(); });
  }
  ~Running() {
    worker->Abort();
    if (result.valid()) result.wait();
  }
  // Run()'s status, or DEADLINE_EXCEEDED if it does not return within kWait.
  absl::Status Wait() {
    if (result.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("Run() did not return");
    }
    return result.get();
  }
  std::unique_ptr<Worker> worker;
  std::future<absl::Status> result;
};

// A plan over the f32/f16/bf16 model with automatic biases; the expected
// outcome of every unit, biases chosen first.
struct Job {
  explicit Job(const ScratchDir& dir, const CompressOptions& options,
               int64_t unit_blocks = 20) {
    std::filesystem::create_directories(dir.File("m"));
    source = *OpenModel(WriteDTypeModel(dir, "m/dtypes"));
    plan = *PlanCompression(*source, options, unit_blocks);
    std::map<size_t, int> bias;
    for (size_t i = 0; i < plan.units.size(); ++i) {
      const size_t t = plan.units[i].tensor;
      const int b = bias.count(t) ? bias[t]
                    : plan.tensors[t].exponent_bias
                        ? *plan.tensors[t].exponent_bias
                        : 0;
      biases.push_back(b);
      expected.push_back(ExpectedOutcome(plan, i, b, *source));
      if (expected.back().kind == UnitOutcome::Kind::kBias) {
        bias[t] = expected.back().exponent_bias;
      }
    }
  }
  v1::WorkUnit Unit(size_t i, bool by_reference = false) const {
    return TaskToProto(
        TaskForPlanUnit(plan, i, biases[i], *source, "job",
                        by_reference ? "m/dtypes.safetensors" : ""));
  }
  std::unique_ptr<ModelSource> source;
  CompressionPlan plan;
  std::vector<int> biases;
  std::vector<UnitOutcome> expected;
};

CompressOptions OddAuto() {
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  return o;
}

void ExpectMatches(const v1::CompleteWorkRequest& got, const UnitOutcome& want,
                   const std::string& what) {
  if (want.kind == UnitOutcome::Kind::kBias) {
    ASSERT_TRUE(got.has_bias()) << what << " " << got.DebugString();
    EXPECT_EQ(got.bias().exponent_bias(), want.exponent_bias) << what;
    return;
  }
  ASSERT_TRUE(got.has_rows()) << what << " " << got.DebugString();
  const std::string& p = got.rows().payload();
  EXPECT_EQ(std::vector<uint8_t>(p.begin(), p.end()), want.payload) << what;
  EXPECT_EQ(got.rows().crc32(), Crc32(p.data(), p.size())) << what;
  EXPECT_EQ(got.rows().sq_error(), want.sums.sq_error) << what;
  EXPECT_EQ(got.rows().sq_norm(), want.sums.sq_norm) << what;
  EXPECT_GT(got.rows().blocks(), 0) << what;
}

TEST(WorkerTest, ResultsAreTheUnitsOwn) {
  ScratchDir dir;
  const Job job(dir, OddAuto());
  FakeServer fake;
  for (size_t i = 0; i < job.plan.units.size(); ++i) {
    fake.service.Add("L" + std::to_string(i), job.Unit(i, i % 2 == 1));
  }
  WorkerOptions o = TestOptions(fake.address());
  o.model_root = dir.path();
  Running run(o);
  FakeWorkService& s = fake.service;
  ASSERT_TRUE(s.WaitUntil([&] {
    return s.completed_.size() == job.plan.units.size();
  })) << s.Get(s.completed_).size();
  for (size_t i = 0; i < job.plan.units.size(); ++i) {
    const v1::CompleteWorkRequest got =
        s.Get(s.completed_).at("L" + std::to_string(i));
    EXPECT_EQ(got.worker_id(), "w1");
    ExpectMatches(got, job.expected[i], "unit " + std::to_string(i));
  }
  const v1::RegisterWorkerRequest reg = s.Get(s.last_register_);
  EXPECT_EQ(reg.name(), "test-worker");
  EXPECT_EQ(reg.threads(), 2);
  EXPECT_TRUE(reg.has_model_root());
  ASSERT_EQ(static_cast<size_t>(reg.handshakes_size()), PresetNames().size());
  EXPECT_EQ(HandshakeFromProto(reg.handshakes(0)),
            *CodecHandshakeFor(*PresetByName(PresetNames()[0])));
  EXPECT_TRUE(Eventually([&] {
    return run.worker->stats().units_completed ==
           static_cast<int64_t>(job.plan.units.size());
  }));
  // Every block of the row units, reported in heartbeats.
  EXPECT_TRUE(s.WaitUntil([&] {
    return s.blocks_searched_ == job.plan.total_blocks;
  })) << s.Get(s.blocks_searched_)
      << " of " << job.plan.total_blocks;
}

// A unit slow enough to be caught running: the reference search of a K = 16
// codec over 390 blocks.
struct SlowJob {
  SlowJob()
      : job(dir, CompressOptions::ForCodec(*PresetByName("4bit")),
            /*unit_blocks=*/1 << 20) {}
  v1::WorkUnit Slow() const { return job.Unit(job.plan.units.size() - 1); }
  ScratchDir dir;
  Job job;
};

WorkerOptions SlowOptions(const std::string& address) {
  WorkerOptions o = TestOptions(address);
  o.threads = 1;
  o.algorithm = SearchAlgorithm::kReference;
  return o;
}

TEST(WorkerTest, RevokedLeaseIsCancelledAndNotCompleted) {
  SlowJob slow;
  FakeServer fake;
  FakeWorkService& s = fake.service;
  s.Revoke("L-slow");
  s.Add("L-slow", slow.Slow());
  s.Add("L-next", slow.job.Unit(0));
  Running run(SlowOptions(fake.address()));
  ASSERT_TRUE(s.WaitUntil([&] { return s.completed_.count("L-next") > 0; }));
  EXPECT_TRUE(s.Get(s.named_).count("L-slow"));  // it was running
  EXPECT_EQ(s.Get(s.completed_).count("L-slow"), 0u);
  ExpectMatches(s.Get(s.completed_).at("L-next"), slow.job.expected[0],
                "the next unit");
  EXPECT_TRUE(
      Eventually([&] { return run.worker->stats().units_dropped == 1; }));
}

TEST(WorkerTest, RegistersAgainWhenTheCoordinatorForgetsIt) {
  ScratchDir dir;
  const Job job(dir, OddAuto());
  FakeServer fake;
  FakeWorkService& s = fake.service;
  Running run(TestOptions(fake.address()));
  ASSERT_TRUE(s.WaitUntil([&] { return s.registrations_ == 1; }));
  s.ForgetWorkers();
  ASSERT_TRUE(s.WaitUntil([&] { return s.registrations_ >= 2; }));
  s.Add("L0", job.Unit(0));
  ASSERT_TRUE(s.WaitUntil([&] { return s.completed_.count("L0") > 0; }));
  const v1::CompleteWorkRequest got = s.Get(s.completed_).at("L0");
  EXPECT_NE(got.worker_id(), "w1");
  ExpectMatches(got, job.expected[0], "unit 0");
  EXPECT_GE(run.worker->stats().registrations, 2);
}

TEST(WorkerTest, StopFinishesTheUnitInHand) {
  SlowJob slow;
  FakeServer fake;
  FakeWorkService& s = fake.service;
  s.Add("L-slow", slow.Slow());
  WorkerOptions o = SlowOptions(fake.address());
  o.drain_deadline = absl::Seconds(50);
  Running run(o);
  ASSERT_TRUE(s.WaitUntil([&] { return s.named_.count("L-slow") > 0; }));
  run.worker->Stop();
  const int leases_at_stop = s.Get(s.lease_calls_);
  s.Add("L-more", slow.job.Unit(0));  // not taken: the worker is draining
  ASSERT_TRUE(run.Wait().ok());
  ASSERT_EQ(s.Get(s.completed_).count("L-slow"), 1u);
  ExpectMatches(s.Get(s.completed_).at("L-slow"), slow.job.expected.back(),
                "the slow unit");
  EXPECT_EQ(s.Get(s.lease_calls_), leases_at_stop);
  EXPECT_EQ(s.Get(s.completed_).count("L-more"), 0u);
  EXPECT_TRUE(s.WaitUntil([&] { return s.streams_closed_ >= 1; }));
}

TEST(WorkerTest, DrainDeadlineDropsTheUnitInHand) {
  SlowJob slow;
  FakeServer fake;
  FakeWorkService& s = fake.service;
  s.Add("L-slow", slow.Slow());
  WorkerOptions o = SlowOptions(fake.address());
  o.drain_deadline = absl::Milliseconds(50);
  Running run(o);
  ASSERT_TRUE(s.WaitUntil([&] { return s.named_.count("L-slow") > 0; }));
  const absl::Time stop = absl::Now();
  run.worker->Stop();
  ASSERT_TRUE(run.Wait().ok());
  EXPECT_LT(absl::Now() - stop, absl::Seconds(5));
  EXPECT_EQ(s.Get(s.completed_).count("L-slow"), 0u);
  EXPECT_EQ(run.worker->stats().units_dropped, 1);
  EXPECT_TRUE(s.WaitUntil([&] { return s.streams_closed_ >= 1; }));
}

TEST(WorkerTest, WaitsForACoordinatorThatIsDown) {
  ScratchDir dir;
  const Job job(dir, OddAuto());
  int port = 0;
  {
    FakeServer probe;  // a free port, then nobody listening on it
    port = probe.port;
  }
  Running run(TestOptions("127.0.0.1:" + std::to_string(port)));
  absl::SleepFor(absl::Milliseconds(500));  // several refused attempts
  EXPECT_EQ(run.worker->stats().registrations, 0);
  FakeServer fake(port);
  FakeWorkService& s = fake.service;
  s.Add("L0", job.Unit(0));
  ASSERT_TRUE(s.WaitUntil([&] { return s.completed_.count("L0") > 0; }));
  ExpectMatches(s.Get(s.completed_).at("L0"), job.expected[0], "unit 0");
}

TEST(WorkerTest, RefusedWorkerStops) {
  FakeServer fake;
  fake.service.Refuse(grpc::StatusCode::FAILED_PRECONDITION);
  Running run(TestOptions(fake.address()));
  EXPECT_EQ(run.Wait().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WorkerTest, StopBeforeRegisteringReturnsAtOnce) {
  int port = 0;
  {
    FakeServer probe;
    port = probe.port;
  }
  Running run(TestOptions("127.0.0.1:" + std::to_string(port)));
  absl::SleepFor(absl::Milliseconds(100));
  run.worker->Stop();
  EXPECT_TRUE(run.Wait().ok());
}

}  // namespace
}  // namespace seedlm::worker
