// The worker's seedlm_worker_* metrics: zero-valued at start, then, after a
// real Worker ran every unit of a plan against the fake WorkService, units
// done by kind equal the plan's, blocks searched equal what its heartbeats
// reported (at least the plan's row blocks), and one search-time sample per
// unit.
#include "worker/worker_metrics.h"

#include <filesystem>
#include <future>
#include <sstream>

#include "absl/strings/numbers.h"
#include "core/compress/plan_test_util.h"
#include "core/compress/unit_rows_test_util.h"
#include "gtest/gtest.h"
#include "worker/fake_work_service.h"
#include "worker/work_proto.h"
#include "worker/worker.h"
#include "worker/worker_test_util.h"

namespace seedlm::worker {
namespace {

using seedlm::testing_util::OddCodec;
using seedlm::testing_util::ScratchDir;
using seedlm::testing_util::WriteDTypeModel;
using testing_util::FakeServer;
using testing_util::FakeWorkService;
using testing_util::TaskForPlanUnit;

// The value of `series` in the text exposition, or -1 when absent.
double Value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) != 0) continue;
    std::string rest = line.substr(series.size() + 1);
    double v = 0;
    return absl::SimpleAtod(rest.substr(0, rest.find(' ')), &v) ? v : -1;
  }
  return -1;
}

TEST(WorkerMetricsTest, NullRegistryGivesNull) {
  EXPECT_EQ(WorkerMetrics::Create(nullptr, 4), nullptr);
}

TEST(WorkerMetricsTest, CountsWhatTheWorkerDid) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.File("m"));
  auto source = *OpenModel(WriteDTypeModel(dir, "m/dtypes"));
  const CompressionPlan plan = *PlanCompression(
      *source, CompressOptions::ForCodec(OddCodec()), /*unit_blocks=*/20);
  FakeServer fake;
  int64_t rows_units = 0, row_blocks = 0;
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const WorkUnit& u = plan.units[i];
    fake.service.Add("L" + std::to_string(i),
                     TaskToProto(TaskForPlanUnit(plan, i, -6, *source)));
    if (u.kind == UnitKind::kCompressRows) {
      ++rows_units;
      row_blocks += (u.row_end - u.row_begin) *
                    plan.tensors[u.tensor].geometry.blocks_per_row();
    }
  }
  const int64_t units = static_cast<int64_t>(plan.units.size());

  obs::MetricsRegistry registry("seedlm-worker");
  WorkerOptions o;
  o.coordinator = fake.address();
  o.threads = 2;
  o.lease_wait_ms = 200;
  o.backoff_initial = absl::Milliseconds(20);
  o.backoff_max = absl::Milliseconds(200);
  o.metrics = &registry;
  auto worker = Worker::Create(o);
  ASSERT_TRUE(worker.ok()) << worker.status();
  std::string text = registry.Render();
  for (const char* s :
       {"seedlm_worker_blocks_searched_total",
        "seedlm_worker_units_done_total{kind=\"rows\"}",
        "seedlm_worker_units_done_total{kind=\"bias\"}",
        "seedlm_worker_busy_threads", "seedlm_worker_search_seconds_count",
        "seedlm_worker_search_seconds_total"}) {
    EXPECT_EQ(Value(text, s), 0) << s << "\n" << text;
  }
  EXPECT_EQ(Value(text, "seedlm_worker_threads"), 2);

  auto run = std::async(std::launch::async, [&] { return (*worker)->Run(); });
  FakeWorkService& s = fake.service;
  const bool all = s.WaitUntil(
      [&] { return static_cast<int64_t>(s.completed_.size()) == units; });
  // Every searched block reaches the fake through a heartbeat.
  const double searched = [&] {
    for (int i = 0; i < 200; ++i) {
      const double v =
          Value(registry.Render(), "seedlm_worker_blocks_searched_total");
      if (v == static_cast<double>(s.Get(s.blocks_searched_))) return v;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return -1.0;
  }();
  (*worker)->Abort();
  ASSERT_TRUE(run.get().ok());
  ASSERT_TRUE(all) << s.Get(s.completed_).size() << " of " << units;
  text = registry.Render();
  EXPECT_GE(searched, static_cast<double>(row_blocks)) << text;
  EXPECT_EQ(Value(text, "seedlm_worker_units_done_total{kind=\"rows\"}"),
            rows_units);
  EXPECT_EQ(Value(text, "seedlm_worker_units_done_total{kind=\"bias\"}"),
            units - rows_units);
  EXPECT_EQ(Value(text, "seedlm_worker_search_seconds_count"), units);
  EXPECT_GT(Value(text, "seedlm_worker_search_seconds_total"), 0);
  EXPECT_EQ(Value(text, "seedlm_worker_busy_threads"), 0);
}

}  // namespace
}  // namespace seedlm::worker
