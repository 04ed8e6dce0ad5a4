// The Coordinator without gRPC: in-process workers lease units, compute them
// with the core (CompressRows / ChooseExponentBias over the rows they were
// sent) and complete them; outputs must be byte-identical to a local
// CompressModel, through restarts, bad results and cancellations.
#include "server/coordinator/coordinator.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/compress/model_compressor.h"
#include "core/compress/plan_test_util.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/model/model_test_util.h"
#include "core/util/crc32.h"
#include "gtest/gtest.h"
#include "server/coordinator/coordinator_test_util.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;

using testing_util::WriteOddModel;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using testing_util::AllHandshakes;
using testing_util::Compute;

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = WriteOddModel(dir_);
    state_ = dir_.File("state");
  }
  std::unique_ptr<Coordinator> Start() {
    CoordinatorOptions o;
    o.state_dir = state_;
    o.model_root = dir_.path();
    o.unit_blocks = 8;  // many small units
    o.lease_timeout = absl::Seconds(30);
    auto c = Coordinator::Start(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return std::move(*c);
  }
  std::string Register(Coordinator& c) {
    WorkerHello hello;
    hello.name = "test";
    hello.handshakes = AllHandshakes();
    auto id = c.RegisterWorker(hello);
    EXPECT_TRUE(id.ok()) << id.status();
    return *id;
  }
  // Runs units until the job ends or `max_units` were completed.
  int Drive(Coordinator& c, const std::string& worker, const std::string& job,
            int max_units = 1 << 30) {
    int done = 0;
    for (int i = 0; i < 100000 && done < max_units; ++i) {
      auto view = c.GetJob(Caller{}, job);
      if (!view.ok() || IsTerminal(view->record.phase)) break;
      auto a = c.LeaseWork(worker, absl::Milliseconds(50));
      EXPECT_TRUE(a.ok()) << a.status();
      if (!a.ok() || !a->has_value()) continue;
      auto r = c.CompleteWork(worker, (*a)->lease_id, Compute(**a));
      EXPECT_TRUE(r.ok() && r->accepted) << (r.ok() ? r->reason : "");
      ++done;
    }
    return done;
  }
  JobView WaitEnd(Coordinator& c, const std::string& job) {
    JobView v;
    for (int i = 0; i < 600; ++i) {
      v = *c.WaitJob(Caller{}, job, v.version, absl::Now() + absl::Seconds(1));
      if (IsTerminal(v.record.phase)) break;
    }
    return v;
  }
  std::string Local(const std::string& preset) {
    auto source = OpenModel(model_);
    CompressOptions o = CompressOptions::ForCodec(*PresetByName(preset));
    const std::string out = dir_.File("local-" + preset + ".seedlm");
    EXPECT_TRUE(CompressModel(**source, out, o, nullptr, {}).ok());
    return ReadAll(out);
  }
  JobSpec Spec(const std::string& preset) {
    JobSpec s;
    s.server_path = std::filesystem::path(model_).filename().string();
    s.preset = preset;
    return s;
  }

  ScratchDir dir_;
  std::string model_;
  std::string state_;
};

TEST_F(CoordinatorTest, OutputsEqualLocalCompression) {
  for (const char* preset : {"4bit-p4", "4bit"}) {
    auto c = Start();
    const std::string w = Register(*c);
    auto job = c->Submit(Caller{}, Spec(preset));
    ASSERT_TRUE(job.ok()) << job.status();
    Drive(*c, w, job->record.id);
    JobView v = WaitEnd(*c, job->record.id);
    ASSERT_EQ(v.record.phase, JobPhase::kSucceeded) << v.record.error;
    EXPECT_EQ(v.blocks_done, v.blocks_total);
    auto result = c->Result(Caller{}, job->record.id);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(ReadAll(result->path), Local(preset)) << preset;
    for (const TensorView& t : v.tensors) {
      EXPECT_TRUE(t.finished);
      EXPECT_GT(t.rel_error, 0);
    }
  }
}

TEST_F(CoordinatorTest, ResumesAfterRestartWithoutRedoingUnits) {
  std::string id;
  int first = 0;
  {
    auto c = Start();
    const std::string w = Register(*c);
    auto job = c->Submit(Caller{}, Spec("4bit-p4"));
    ASSERT_TRUE(job.ok());
    id = job->record.id;
    first = Drive(*c, w, id, 5);
    // A leased, unfinished unit at the "crash".
    auto a = c->LeaseWork(w, absl::Seconds(1));
    ASSERT_TRUE(a.ok() && a->has_value());
  }
  auto c = Start();
  const std::string w = Register(*c);
  // Wait until the job is planned again.
  JobView v;
  for (int i = 0; i < 100 && v.units_total == 0; ++i) {
    v = *c->WaitJob(Caller{}, id, v.version, absl::Now() + absl::Seconds(1));
  }
  EXPECT_EQ(v.units_done, first);
  const int second = Drive(*c, w, id);
  EXPECT_EQ(first + second, v.units_total);
  v = WaitEnd(*c, id);
  ASSERT_EQ(v.record.phase, JobPhase::kSucceeded) << v.record.error;
  EXPECT_EQ(ReadAll(c->Result(Caller{}, id)->path), Local("4bit-p4"));
}

TEST_F(CoordinatorTest, RejectsCorruptLateAndDuplicateResults) {
  auto c = Start();
  const std::string w = Register(*c);
  auto job = c->Submit(Caller{}, Spec("4bit"));
  ASSERT_TRUE(job.ok());
  auto a = c->LeaseWork(w, absl::Seconds(5));
  ASSERT_TRUE(a.ok() && a->has_value());
  UnitOutcome good = Compute(**a);
  UnitOutcome bad = good;
  bad.payload[0] ^= 0x01;  // seed bits of block 0: verification catches it
  bad.crc32 = Crc32(bad.payload.data(), bad.payload.size());
  auto r = c->CompleteWork(w, (*a)->lease_id, bad);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  EXPECT_NE(r->reason.find("verification"), std::string::npos) << r->reason;
  // The lease was freed; a duplicate of the same lease is refused.
  r = c->CompleteWork(w, (*a)->lease_id, good);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->accepted);
  // The worker is excluded from the job; another one finishes it.
  auto b = c->LeaseWork(w, absl::Milliseconds(100));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  const std::string w2 = Register(*c);
  Drive(*c, w2, job->record.id);
  JobView v = WaitEnd(*c, job->record.id);
  ASSERT_EQ(v.record.phase, JobPhase::kSucceeded);
  EXPECT_EQ(ReadAll(c->Result(Caller{}, job->record.id)->path), Local("4bit"));
  for (const WorkerView& wv : c->Workers()) {
    if (wv.id == w) {
      EXPECT_GE(wv.rejected, 1);
    }
  }
}

TEST_F(CoordinatorTest, BadRequestsGetClearCodes) {
  auto c = Start();
  JobSpec s = Spec("4bit");
  s.preset = "5bit";
  EXPECT_EQ(c->Submit(Caller{}, s).status().code(),
            absl::StatusCode::kInvalidArgument);
  s = Spec("4bit");
  s.server_path = "../etc/passwd";
  EXPECT_EQ(c->Submit(Caller{}, s).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::filesystem::create_symlink("/etc", dir_.File("escape"));
  s.server_path = "escape/passwd";
  EXPECT_EQ(c->Submit(Caller{}, s).status().code(),
            absl::StatusCode::kPermissionDenied);
  s.server_path = "missing.safetensors";
  EXPECT_EQ(c->Submit(Caller{}, s).status().code(),
            absl::StatusCode::kNotFound);
  // A file that does not parse fails the job with the reader's message.
  std::ofstream(dir_.File("junk.safetensors")) << "not a model";
  s.server_path = "junk.safetensors";
  auto job = c->Submit(Caller{}, s);
  ASSERT_TRUE(job.ok());
  JobView v = WaitEnd(*c, job->record.id);
  EXPECT_EQ(v.record.phase, JobPhase::kFailed);
  EXPECT_NE(v.record.error.find("model"), std::string::npos) << v.record.error;
  // Other clients cannot see a job.
  auto mine = c->Submit(Caller{"alice", false}, Spec("4bit"));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(c->GetJob(Caller{"bob", false}, mine->record.id).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(c->GetJob(Caller{"alice", false}, mine->record.id).ok());
  EXPECT_EQ(c->ListJobs(Caller{"bob", false})->size(), 0u);
  // Cancel, then cancelling again is refused.
  auto cancelled = c->Cancel(Caller{"alice", false}, mine->record.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->record.phase, JobPhase::kCancelled);
  EXPECT_EQ(c->Cancel(Caller{}, mine->record.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(c->Delete(Caller{}, mine->record.id).ok());
  EXPECT_EQ(c->GetJob(Caller{}, mine->record.id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, RefusesAWorkerOfAnotherBuild) {
  auto c = Start();
  WorkerHello hello;
  hello.handshakes = AllHandshakes();
  hello.handshakes[0].seed_table_crc ^= 1;
  EXPECT_EQ(c->RegisterWorker(hello).status().code(),
            absl::StatusCode::kFailedPrecondition);
  hello.handshakes = {CodecHandshake{"C1-P1-K2-Q2-E0-paper", 7}};
  EXPECT_EQ(c->RegisterWorker(hello).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c->LeaseWork("w-nobody", absl::ZeroDuration()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace seedlm::coordinator
