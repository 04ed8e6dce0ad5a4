// seedlm-health-probe's logic: the flags, the verdicts, and checks against a
// real in-process gRPC server (its standard health service) and a real
// cpp-httplib server.
#include "client/probe/probe.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "proto/rpc/credentials.h"

namespace seedlm::probe {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ProbeOptions> Parse(std::vector<std::string> args) {
  return ParseProbeArgs(args);
}

TEST(ParseProbeArgsTest, GrpcFlagsBothSpellings) {
  auto o = Parse({"--addr", "127.0.0.1:50051", "--service=seedlm.v1.X",
                  "--timeout", "2.5", "--tls-ca=/ca.pem"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->addr, "127.0.0.1:50051");
  EXPECT_EQ(o->service, "seedlm.v1.X");
  EXPECT_DOUBLE_EQ(o->timeout_seconds, 2.5);
  EXPECT_EQ(o->tls_ca, "/ca.pem");
  EXPECT_TRUE(o->http.empty());
}

TEST(ParseProbeArgsTest, Defaults) {
  auto o = Parse({"--http=127.0.0.1:9090"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->http, "127.0.0.1:9090");
  EXPECT_DOUBLE_EQ(o->timeout_seconds, 5);
  EXPECT_TRUE(o->service.empty());
}

TEST(ParseProbeArgsTest, HelpAndVersionNeedNoAddress) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->help);
  auto version = Parse({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(version->version);
}

TEST(ParseProbeArgsTest, UsageErrorsSayWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "exactly one of --addr"},
      {{"--addr", "a:1", "--http", "b:2"}, "exactly one of --addr"},
      {{"--http", "b:2", "--service", "x"}, "--service applies to gRPC"},
      {{"--addr"}, "--addr needs a value"},
      {{"--addr", "a:1", "--timeout", "0"}, "--timeout"},
      {{"--addr", "a:1", "--timeout", "-1"}, "--timeout"},
      {{"--addr", "a:1", "--timeout", "nan"}, "--timeout"},
      {{"--addr", "a:1", "--timeout", "3601"}, "--timeout"},
      {{"--addr", "a:1", "--timeout", "5s"}, "--timeout"},
      {{"--addr", "a:1", "--bogus"}, "unknown argument --bogus"},
      {{"--addr", "a:1", "extra"}, "unknown argument extra"},
      {{"--help=1"}, "unknown argument --help=1"}};
  for (const auto& [args, why] : cases) {
    auto o = Parse(args);
    ASSERT_FALSE(o.ok()) << why;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(o.status().message()), HasSubstr(why));
  }
}

TEST(VerdictTest, ServingStatuses) {
  EXPECT_EQ(FromServingStatus(1, "").exit_code, kExitServing);
  ProbeResult not_serving = FromServingStatus(2, "");
  EXPECT_EQ(not_serving.exit_code, kExitUnhealthy);
  EXPECT_THAT(not_serving.message, HasSubstr("server is NOT_SERVING"));
  EXPECT_EQ(FromServingStatus(0, "s").exit_code, kExitUnhealthy);
  EXPECT_THAT(FromServingStatus(3, "s").message,
              HasSubstr("service \"s\" is SERVICE_UNKNOWN"));
  EXPECT_EQ(FromServingStatus(7, "").exit_code, kExitUnhealthy);
}

TEST(VerdictTest, RpcErrors) {
  ProbeOptions o;
  o.addr = "h:1";
  o.service = "x";
  o.timeout_seconds = 3;
  ProbeResult unknown =
      FromRpcError(grpc::Status(grpc::StatusCode::NOT_FOUND, ""), o);
  EXPECT_EQ(unknown.exit_code, kExitUnhealthy);
  EXPECT_THAT(unknown.message, HasSubstr("service \"x\" is unknown to h:1"));
  EXPECT_THAT(
      FromRpcError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), o)
          .message,
      HasSubstr("no answer from h:1 within 3s"));
  ProbeResult down = FromRpcError(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "Connection refused"), o);
  EXPECT_EQ(down.exit_code, kExitUnhealthy);
  EXPECT_THAT(down.message, HasSubstr("Connection refused"));
}

// A real gRPC server with only the standard health service, on a free
// loopback port.
class GrpcHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    options_.addr = absl::StrCat("127.0.0.1:", port);
    options_.timeout_seconds = 5;
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  std::unique_ptr<grpc::Server> server_;
  ProbeOptions options_;
};

TEST_F(GrpcHealthTest, ServingThenNotServing) {
  ProbeResult r = CheckGrpc(options_);
  EXPECT_EQ(r.exit_code, kExitServing) << r.message;
  server_->GetHealthCheckService()->SetServingStatus(false);
  r = CheckGrpc(options_);
  EXPECT_EQ(r.exit_code, kExitUnhealthy);
  EXPECT_THAT(r.message, HasSubstr("NOT_SERVING"));
}

TEST_F(GrpcHealthTest, NamedServices) {
  server_->GetHealthCheckService()->SetServingStatus("seedlm.v1.Up", true);
  server_->GetHealthCheckService()->SetServingStatus("seedlm.v1.Down", false);
  options_.service = "seedlm.v1.Up";
  EXPECT_EQ(RunProbe(options_).exit_code, kExitServing);
  options_.service = "seedlm.v1.Down";
  EXPECT_EQ(RunProbe(options_).exit_code, kExitUnhealthy);
  options_.service = "no.such.Service";
  ProbeResult r = RunProbe(options_);
  EXPECT_EQ(r.exit_code, kExitUnhealthy);
  EXPECT_THAT(r.message, HasSubstr("is unknown to"));
}

TEST_F(GrpcHealthTest, StoppedServerIsUnhealthyQuickly) {
  server_->Shutdown();
  server_.reset();
  const auto t0 = std::chrono::steady_clock::now();
  ProbeResult r = CheckGrpc(options_);
  EXPECT_EQ(r.exit_code, kExitUnhealthy);
  EXPECT_THAT(r.message, HasSubstr(options_.addr));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(GrpcHealthTest, UnreadableCaIsAUsageError) {
  options_.tls_ca = "/nonexistent/ca.pem";
  ProbeResult r = CheckGrpc(options_);
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_THAT(r.message, HasSubstr("--tls-ca"));
}

TEST(HttpHealthTest, OkThenUnavailableThenStopped) {
  httplib::Server server;
  std::atomic<int> status{200};
  server.Get("/healthz", [&status](const httplib::Request&,
                                   httplib::Response& res) {
    res.status = status.load();
    res.set_content(res.status == 200 ? "ok\n" : "draining\n", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&server] { server.listen_after_bind(); });
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(server.is_running());
  ProbeOptions o;
  o.http = absl::StrCat("127.0.0.1:", port);
  o.timeout_seconds = 5;
  EXPECT_EQ(RunProbe(o).exit_code, kExitServing);
  status = 503;
  ProbeResult r = RunProbe(o);
  EXPECT_EQ(r.exit_code, kExitUnhealthy);
  EXPECT_THAT(r.message, HasSubstr("HTTP 503 draining"));
  server.stop();
  thread.join();
  r = RunProbe(o);
  EXPECT_EQ(r.exit_code, kExitUnhealthy);
  EXPECT_THAT(r.message, HasSubstr("/healthz failed"));
  o.tls_ca = "/nonexistent/ca.pem";
  EXPECT_EQ(RunProbe(o).exit_code, kExitUsage);
}

}  // namespace
}  // namespace seedlm::probe
