// The coordinator's seedlm_coordinator_* metrics, read back from the
// registry's text exposition while an in-process worker drives a job:
// every series exists at zero before anything happens, and each counter
// ends at exactly the number of events the test caused (grants, one forced
// lease expiry, stale / invalid / failed completions, the job's blocks and
// units, upload and download bytes).
#include "server/coordinator/coordinator_metrics.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/numbers.h"
#include "core/compress/plan_test_util.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/model/model_test_util.h"
#include "core/util/crc32.h"
#include "core/util/sha256.h"
#include "gtest/gtest.h"
#include "server/common/metrics.h"
#include "server/coordinator/coordinator.h"
#include "server/coordinator/coordinator_test_util.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;
using testing_util::WriteOddModel;

// The value of `series` (name with its labels, as rendered) in `text`, or
// -1 when absent.
double Value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) != 0) continue;
    double v = 0;
    std::string rest = line.substr(series.size() + 1);
    rest = rest.substr(0, rest.find(' '));
    return absl::SimpleAtod(rest, &v) ? v : -1;
  }
  return -1;
}

using testing_util::AllHandshakes;
using testing_util::Compute;

class CoordinatorMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { model_ = WriteOddModel(dir_); }
  std::unique_ptr<Coordinator> Start(obs::MetricsRegistry* registry) {
    CoordinatorOptions o;
    o.state_dir = dir_.File("state");
    o.model_root = dir_.path();
    o.unit_blocks = 8;
    o.lease_timeout = absl::Seconds(1);
    o.metrics = registry;
    auto c = Coordinator::Start(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }
  std::string Register(Coordinator& c) {
    WorkerHello hello;
    hello.name = "test";
    hello.handshakes = AllHandshakes();
    return *c.RegisterWorker(hello);
  }
  // One unit, waiting up to 5 s for it.
  UnitAssignment Lease(Coordinator& c, const std::string& w) {
    for (int i = 0; i < 100; ++i) {
      auto a = c.LeaseWork(w, absl::Milliseconds(50));
      EXPECT_TRUE(a.ok()) << a.status();
      if (a.ok() && a->has_value()) {
        ++grants_;
        return **a;
      }
    }
    ADD_FAILURE() << "no unit leased";
    return {};
  }

  ScratchDir dir_;
  std::string model_;
  int grants_ = 0;
};

TEST_F(CoordinatorMetricsTest, EverySeriesExistsAtZero) {
  obs::MetricsRegistry registry("seedlm-coordinator");
  auto c = Start(&registry);
  const std::string text = registry.Render();
  for (const char* state : {"queued", "running", "assembling", "succeeded",
                            "failed", "cancelled"}) {
    EXPECT_EQ(Value(text, std::string("seedlm_coordinator_jobs{state=\"") +
                              state + "\"}"),
              0)
        << state;
  }
  for (const char* state : {"waiting", "ready", "leased", "done"}) {
    EXPECT_EQ(Value(text, std::string("seedlm_coordinator_units{state=\"") +
                              state + "\"}"),
              0)
        << state;
  }
  for (const char* reason : {"stale", "invalid", "failed"}) {
    EXPECT_EQ(Value(text, std::string("seedlm_coordinator_completions_"
                                      "rejected_total{reason=\"") +
                              reason + "\"}"),
              0);
  }
  for (const char* name :
       {"seedlm_coordinator_blocks_searched_total",
        "seedlm_coordinator_blocks_accepted_total",
        "seedlm_coordinator_units_accepted_total{kind=\"rows\"}",
        "seedlm_coordinator_units_accepted_total{kind=\"bias\"}",
        "seedlm_coordinator_lease_grants_total",
        "seedlm_coordinator_lease_expiries_total",
        "seedlm_coordinator_workers_connected",
        "seedlm_coordinator_upload_bytes_total",
        "seedlm_coordinator_download_bytes_total",
        "seedlm_coordinator_store_transaction_seconds_count",
        "seedlm_coordinator_assembly_seconds_count",
        "seedlm_coordinator_job_last_progress_timestamp_seconds"}) {
    EXPECT_EQ(Value(text, name), 0) << name << "\n" << text;
  }
  c->Shutdown();
  // The hook is gone: rendering after Shutdown does not touch the
  // coordinator (it would crash under ASan once the coordinator is freed).
  c.reset();
  EXPECT_NE(registry.Render().find("seedlm_coordinator_jobs"),
            std::string::npos);
}

TEST_F(CoordinatorMetricsTest, CountersFollowAJob) {
  obs::MetricsRegistry registry("seedlm-coordinator");
  auto c = Start(&registry);
  const std::string w = Register(*c);
  JobSpec spec;
  spec.server_path = std::filesystem::path(model_).filename().string();
  spec.preset = "4bit";
  auto job = c->Submit(Caller{}, spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string id = job->record.id;
  EXPECT_EQ(Value(registry.Render(), "seedlm_coordinator_workers_connected"),
            1);
  ASSERT_TRUE(c->Heartbeat(w, {}, 123).ok());

  // A lease left to expire, then completed late: one expiry, one stale.
  UnitAssignment held = Lease(*c, w);
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = registry.Render();
    if (Value(text, "seedlm_coordinator_lease_expiries_total") >= 1) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Value(text, "seedlm_coordinator_lease_expiries_total"), 1);
  auto late = c->CompleteWork(w, held.lease_id, Compute(held));
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->accepted);
  auto view = c->GetJob(Caller{}, id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->record.phase, JobPhase::kRunning);
  const int64_t units_total = view->units_total;
  const int64_t blocks_total = view->blocks_total;
  text = registry.Render();
  EXPECT_EQ(Value(text, "seedlm_coordinator_jobs{state=\"running\"}"), 1);
  EXPECT_EQ(Value(text, "seedlm_coordinator_units{state=\"waiting\"}") +
                Value(text, "seedlm_coordinator_units{state=\"ready\"}"),
            units_total);

  // A result of the wrong kind (invalid) and a worker-reported failure.
  UnitAssignment a = Lease(*c, w);
  UnitOutcome wrong = Compute(a);
  wrong.kind = a.kind == UnitKind::kChooseBias ? UnitOutcome::Kind::kRows
                                               : UnitOutcome::Kind::kBias;
  ASSERT_FALSE(c->CompleteWork(w, a.lease_id, wrong)->accepted);
  a = Lease(*c, w);
  EXPECT_EQ(
      Value(registry.Render(), "seedlm_coordinator_units{state=\"leased\"}"),
      1);
  UnitOutcome failure;
  failure.kind = UnitOutcome::Kind::kFailure;
  failure.message = "test failure";
  ASSERT_TRUE(c->CompleteWork(w, a.lease_id, failure).ok());

  // The rest of the job.
  int accepted = 0;
  for (int i = 0; i < 10000 && accepted < units_total; ++i) {
    a = Lease(*c, w);
    auto r = c->CompleteWork(w, a.lease_id, Compute(a));
    ASSERT_TRUE(r.ok() && r->accepted) << (r.ok() ? r->reason : "");
    ++accepted;
  }
  JobView v;
  for (int i = 0; i < 100 && !IsTerminal(v.record.phase); ++i) {
    v = *c->WaitJob(Caller{}, id, v.version, absl::Now() + absl::Seconds(1));
  }
  ASSERT_EQ(v.record.phase, JobPhase::kSucceeded) << v.record.error;
  ASSERT_EQ(v.blocks_done, blocks_total);

  c->CountResultBytesSent(1000);
  c->CountResultBytesSent(234);
  const std::string bytes = "0123456789";
  auto upload = c->BeginUpload(
      Caller{}, {UploadFileSpec{"m.bin", bytes.size(), Sha256Hex(bytes)}});
  ASSERT_TRUE(upload.ok()) << upload.status();
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  ASSERT_TRUE((*upload)
                  ->Write(0, 0, absl::MakeConstSpan(data, bytes.size()),
                          Crc32(data, bytes.size()))
                  .ok());
  ASSERT_TRUE((*upload)->Finish().ok());

  text = registry.Render();
  EXPECT_EQ(Value(text, "seedlm_coordinator_blocks_searched_total"), 123);
  EXPECT_EQ(Value(text, "seedlm_coordinator_blocks_accepted_total"),
            blocks_total);
  EXPECT_EQ(
      Value(text, "seedlm_coordinator_units_accepted_total{kind=\"rows\"}") +
          Value(text, "seedlm_coordinator_units_accepted_total{kind=\"bias\"}"),
      units_total);
  EXPECT_EQ(Value(text, "seedlm_coordinator_lease_grants_total"), grants_);
  EXPECT_EQ(grants_, units_total + 3);
  EXPECT_EQ(Value(text, "seedlm_coordinator_lease_expiries_total"), 1);
  EXPECT_EQ(
      Value(text,
            "seedlm_coordinator_completions_rejected_total{reason=\"stale\"}"),
      1);
  EXPECT_EQ(
      Value(
          text,
          "seedlm_coordinator_completions_rejected_total{reason=\"invalid\"}"),
      1);
  EXPECT_EQ(
      Value(text,
            "seedlm_coordinator_completions_rejected_total{reason=\"failed\"}"),
      1);
  EXPECT_EQ(Value(text, "seedlm_coordinator_jobs{state=\"succeeded\"}"), 1);
  EXPECT_EQ(Value(text, "seedlm_coordinator_jobs{state=\"running\"}"), 0);
  for (const char* state : {"waiting", "ready", "leased", "done"}) {
    EXPECT_EQ(Value(text, std::string("seedlm_coordinator_units{state=\"") +
                              state + "\"}"),
              0)
        << state;
  }
  EXPECT_EQ(Value(text, "seedlm_coordinator_download_bytes_total"), 1234);
  EXPECT_EQ(Value(text, "seedlm_coordinator_upload_bytes_total"), 10);
  EXPECT_EQ(Value(text, "seedlm_coordinator_assembly_seconds_count"), 1);
  // Job insert, updates, every unit row, the upload.
  EXPECT_GE(Value(text, "seedlm_coordinator_store_transaction_seconds_count"),
            units_total + 3);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  const double progress =
      Value(text, "seedlm_coordinator_job_last_progress_timestamp_seconds");
  EXPECT_GT(progress, now - 60);
  EXPECT_LE(progress, now + 1);
}

TEST_F(CoordinatorMetricsTest, NullRegistryRunsAJob) {
  auto c = Start(nullptr);
  const std::string w = Register(*c);
  JobSpec spec;
  spec.server_path = std::filesystem::path(model_).filename().string();
  spec.preset = "4bit";
  auto job = c->Submit(Caller{}, spec);
  ASSERT_TRUE(job.ok());
  JobView v = *job;
  for (int i = 0; i < 10000 && !IsTerminal(v.record.phase); ++i) {
    auto a = c->LeaseWork(w, absl::Milliseconds(20));
    if (a.ok() && a->has_value()) {
      ASSERT_TRUE(c->CompleteWork(w, (*a)->lease_id, Compute(**a))->accepted);
    }
    v = *c->GetJob(Caller{}, job->record.id);
  }
  for (int i = 0; i < 100 && !IsTerminal(v.record.phase); ++i) {
    v = *c->WaitJob(Caller{}, job->record.id, v.version,
                    absl::Now() + absl::Seconds(1));
  }
  EXPECT_EQ(v.record.phase, JobPhase::kSucceeded);
  c->CountResultBytesSent(10);  // no registry: nothing to count, no crash
}

}  // namespace
}  // namespace seedlm::coordinator
