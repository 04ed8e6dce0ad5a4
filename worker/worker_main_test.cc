// The seedlm-worker binary: flags, exit codes, and a drain on SIGTERM after
// working for an in-process fake coordinator.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/compress/plan_test_util.h"
#include "core/compress/unit_rows_test_util.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"
#include "tests/util/subprocess.h"
#include "worker/fake_work_service.h"
#include "worker/work_proto.h"
#include "worker/worker_test_util.h"

namespace seedlm::worker {
namespace {

using seedlm::testing::RunSubprocess;
using seedlm::testing::Subprocess;
using seedlm::testing::SubprocessOptions;
using seedlm::testing_util::OddCodec;
using seedlm::testing_util::ScratchDir;
using seedlm::testing_util::WriteDTypeModel;
namespace v1 = ::seedlm::v1;
using std::chrono::milliseconds;
using testing_util::FakeServer;
using testing_util::FakeWorkService;
using testing_util::TaskForPlanUnit;

const std::string kWorker = std::string(SEEDLM_BIN_DIR) + "/seedlm-worker";

TEST(WorkerMainTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{},
        {"--coordinator"},
        {"--coordinator", "127.0.0.1:1", "--threads", "0"},
        {"--coordinator", "127.0.0.1:1", "--threads", "x"},
        {"--coordinator", "127.0.0.1:1", "--bogus", "1"},
        {"--coordinator", "127.0.0.1:1", "extra"},
        {"--coordinator=127.0.0.1:1", "--drain-seconds=-1"}}) {
    std::vector<std::string> argv = {kWorker};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    o.timeout = milliseconds(30000);
    auto r = RunSubprocess(argv, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << argv.size() << " " << r->err;
    EXPECT_NE(r->err.find("usage: seedlm-worker"), std::string::npos);
  }
}

TEST(WorkerMainTest, ServesUnitsThenDrainsOnSigterm) {
  ScratchDir dir;
  auto source = *OpenModel(WriteDTypeModel(dir));
  CompressOptions options = CompressOptions::ForCodec(OddCodec());
  options.exponent_bias = -6;
  const CompressionPlan plan = *PlanCompression(*source, options, 20);
  FakeServer fake;
  FakeWorkService& s = fake.service;
  for (size_t i = 0; i < 3; ++i) {
    s.Add("L" + std::to_string(i),
          TaskToProto(TaskForPlanUnit(plan, i, -6, *source)));
  }
  SubprocessOptions o;
  o.timeout = milliseconds(120000);
  o.stderr_path = dir.File("worker.log");
  auto p =
      Subprocess::Start({kWorker, "--coordinator", fake.address(), "--threads",
                         "2", "--name", "main-test", "--log-level", "debug"},
                        o);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(s.WaitUntil([&] { return s.completed_.size() == 3; }));
  for (size_t i = 0; i < 3; ++i) {
    const v1::CompleteWorkRequest got =
        s.Get(s.completed_).at("L" + std::to_string(i));
    ASSERT_TRUE(got.has_rows()) << got.DebugString();
    const UnitResult want = *CompressUnit(plan, i, -6, *source,
                                          SearchAlgorithm::kFast, nullptr, {});
    EXPECT_EQ(got.rows().payload(),
              std::string(want.payload.begin(), want.payload.end()));
  }
  EXPECT_EQ(s.Get(s.last_register_).name(), "main-test");
  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(30000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  std::stringstream log;
  log << std::ifstream(dir.File("worker.log")).rdbuf();
  EXPECT_NE(log.str().find("unit done"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("job=job unit=2"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("draining"), std::string::npos) << log.str();
  EXPECT_TRUE(s.WaitUntil([&] { return s.streams_closed_ >= 1; }));
}

// TLS (a self-signed certificate made now, as the CA) and a bearer token on
// every call; a worker without the token is refused and exits 1.
TEST(WorkerMainTest, TlsAndToken) {
  if (!std::filesystem::exists("/usr/bin/openssl")) {
    GTEST_SKIP() << "no /usr/bin/openssl to make a certificate";
  }
  ScratchDir dir;
  const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  SubprocessOptions quick;
  quick.timeout = milliseconds(60000);
  auto made = RunSubprocess(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
       "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
       "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
      quick);
  ASSERT_TRUE(made.ok() && made->exit_code == 0) << made->err;
  auto source = *OpenModel(WriteDTypeModel(dir));
  CompressOptions options = CompressOptions::ForCodec(OddCodec());
  options.exponent_bias = -6;
  const CompressionPlan plan = *PlanCompression(*source, options, 20);
  FakeServer fake(0, *rpc::ServerCredentials(cert, key));
  FakeWorkService& s = fake.service;
  {
    std::lock_guard<std::mutex> lock(s.mu_);
    s.token_ = "worker-secret-1";
  }
  s.Add("L0", TaskToProto(TaskForPlanUnit(plan, 0, -6, *source)));

  // No token: refused for good.
  auto refused = RunSubprocess(
      {kWorker, "--coordinator", fake.address(), "--tls-ca", cert}, quick);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 1) << refused->err;
  EXPECT_NE(refused->err.find("UNAUTHENTICATED"), std::string::npos)
      << refused->err;

  SubprocessOptions o = quick;
  o.stderr_path = dir.File("worker.log");
  auto p = Subprocess::Start({kWorker, "--coordinator", fake.address(),
                              "--tls-ca", cert, "--token", "worker-secret-1"},
                             o);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(s.WaitUntil([&] { return s.completed_.count("L0") > 0; }));
  const v1::CompleteWorkRequest got = s.Get(s.completed_).at("L0");
  const UnitResult want =
      *CompressUnit(plan, 0, -6, *source, SearchAlgorithm::kFast, nullptr, {});
  EXPECT_EQ(got.rows().payload(),
            std::string(want.payload.begin(), want.payload.end()));
  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(30000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_GE(s.Get(s.authorized_calls_), 4);  // register, stream, lease, done
}

TEST(WorkerMainTest, SigtermWhileTheCoordinatorIsDownExitsZero) {
  int port = 0;
  {
    FakeServer probe;
    port = probe.port;
  }
  ScratchDir dir;
  SubprocessOptions o;
  o.timeout = milliseconds(60000);
  o.stderr_path = dir.File("worker.log");
  auto p = Subprocess::Start(
      {kWorker, "--coordinator", "127.0.0.1:" + std::to_string(port)}, o);
  ASSERT_TRUE(p.ok()) << p.status();
  // Wait until it is retrying (the handshakes take a moment first).
  for (int i = 0; i < 600; ++i) {
    std::stringstream log;
    log << std::ifstream(dir.File("worker.log")).rdbuf();
    if (log.str().find("cannot register") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(30000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
}

}  // namespace
}  // namespace seedlm::worker
