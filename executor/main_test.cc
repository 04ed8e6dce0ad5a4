// The seedlm-executor binary: flags, exit codes, a refused token, and a stop
// on SIGTERM while attached to an in-process fake ExecutorService.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/model_test_util.h"
#include "executor/agent.h"
#include "executor/fake_executor_service.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"
#include "tests/util/subprocess.h"

namespace seedlm::executor {
namespace {

using seedlm::testing::RunSubprocess;
using seedlm::testing::Subprocess;
using seedlm::testing::SubprocessOptions;
using std::chrono::milliseconds;
using testing_util::FakeExecutorService;
namespace v1 = ::seedlm::v1;

const std::string kExecutor = std::string(SEEDLM_BIN_DIR) + "/seedlm-executor";

// The fake served on 127.0.0.1 for one test.
struct FakeServer {
  FakeServer() {
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~FakeServer() {
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  FakeExecutorService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(ExecutorMainTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{},
        {"--server", "127.0.0.1:1", "--threads", "0"},
        {"--server", "127.0.0.1:1", "--max-memory", "12X"},
        {"--server", "127.0.0.1:1", "--max-memory", "-1"},
        {"--server", "127.0.0.1:1", "extra"},
        {"--server=127.0.0.1:1", "--kind=gpu"},
        {"--server=127.0.0.1:1", "--kind=fpga-sim",
         "--fpga-bytes-per-cycle=0"}}) {
    std::vector<std::string> argv = {kExecutor};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    o.timeout = milliseconds(30000);
    auto r = RunSubprocess(argv, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << argv.size() << " " << r->err;
    EXPECT_NE(r->err.find("usage: seedlm-executor"), std::string::npos)
        << r->err;
  }
  if (kHaveFpgaSim) return;  // fpga-sim runs: see the next test
  auto r = RunSubprocess({kExecutor, "--server", "x:1", "--kind", "fpga-sim"},
                         SubprocessOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_NE(r->err.find("this build has no FPGA simulator (built without "
                        "Verilator)"),
            std::string::npos)
      << r->err;
}

// Where the build has the simulator, fpga-sim attaches and says it runs one
// thread (the engine's use is tests/fpga_executor_e2e_test.cc).
TEST(ExecutorMainTest, FpgaSimAttachesWithOneThread) {
  if (!kHaveFpgaSim) GTEST_SKIP() << "built without Verilator";
  FakeServer fake;
  SubprocessOptions o;
  o.timeout = milliseconds(60000);
  auto p = Subprocess::Start(
      {kExecutor, "--server", fake.address(), "--token", testing_util::kToken,
       "--kind", "fpga-sim", "--threads", "4"},
      o);
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<v1::ExecutorMessage> hello = fake.service.Next();
  ASSERT_TRUE(hello.has_value());
  ASSERT_TRUE(hello->has_hello()) << hello->DebugString();
  EXPECT_EQ(hello->hello().kind(), "fpga-sim");
  EXPECT_EQ(hello->hello().threads(), 1);
  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(30000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->err;
}

TEST(ExecutorMainTest, RefusedTokenExitsOne) {
  FakeServer fake;
  SubprocessOptions o;
  o.timeout = milliseconds(60000);
  auto r = RunSubprocess(
      {kExecutor, "--server", fake.address(), "--token", "not-the-token"}, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 1) << r->err;
  EXPECT_NE(r->err.find("PERMISSION_DENIED"), std::string::npos) << r->err;
  EXPECT_EQ(fake.service.attaches(), 1);
}

TEST(ExecutorMainTest, AttachesThenStopsOnSigterm) {
  FakeServer fake;
  ::seedlm::testing_util::ScratchDir dir;
  SubprocessOptions o;
  o.timeout = milliseconds(120000);
  o.stderr_path = dir.path() + "/executor.log";
  auto p = Subprocess::Start(
      {kExecutor, "--server", fake.address(), "--token", testing_util::kToken,
       "--threads", "3", "--max-memory", "64M", "--name", "main-test"},
      o);
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<v1::ExecutorMessage> hello = fake.service.Next();
  ASSERT_TRUE(hello.has_value());
  ASSERT_TRUE(hello->has_hello()) << hello->DebugString();
  EXPECT_EQ(hello->hello().name(), "main-test");
  EXPECT_EQ(hello->hello().threads(), 3);
  EXPECT_EQ(hello->hello().memory_bytes(), int64_t{64} << 20);
  v1::ServerMessage ping;
  ping.mutable_ping()->set_nonce(42);
  ASSERT_TRUE(fake.service.Send(ping));
  std::optional<v1::ExecutorMessage> pong = fake.service.Next();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->pong().nonce(), 42);

  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(30000));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  std::stringstream log;
  log << std::ifstream(o.stderr_path).rdbuf();
  EXPECT_NE(log.str().find("attached to " + fake.address()), std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("stopping"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace seedlm::executor
