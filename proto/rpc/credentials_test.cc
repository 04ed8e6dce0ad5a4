#include "proto/rpc/credentials.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace seedlm::rpc {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TokenTableTest, AuthOffIsAnonymousAdmin) {
  TokenTable table;
  EXPECT_FALSE(table.enabled());
  auto p = table.Check("", Role::kWorker);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kAdmin);
}

TEST(TokenTableTest, ChecksRoles) {
  auto table = TokenTable::Load(
      WriteTemp("tokens",
                "# comment\nclient-token-1 client alice\n\n"
                "worker-token-1 worker\nadmin-token-1 admin root\n"
                "executor-token-1 executor\n"));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->Check("", Role::kClient).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(table->Check("nope-nope-nope", Role::kClient).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto alice = table->Check("client-token-1", Role::kClient);
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(table->Check("client-token-1", Role::kWorker).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(table->Check("worker-token-1", Role::kClient).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto worker = table->Check("worker-token-1", Role::kWorker);
  ASSERT_TRUE(worker.ok());
  EXPECT_EQ(worker->name, "worker4");
  auto admin = table->Check("admin-token-1", Role::kWorker);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->role, Role::kAdmin);
  auto executor = table->Check("executor-token-1", Role::kExecutor);
  ASSERT_TRUE(executor.ok());
  EXPECT_EQ(executor->role, Role::kExecutor);
  EXPECT_EQ(executor->name, "executor6");
  EXPECT_EQ(table->Check("executor-token-1", Role::kClient).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(table->Check("worker-token-1", Role::kExecutor).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(table->Check("admin-token-1", Role::kExecutor).ok());
  EXPECT_EQ(RoleName(Role::kExecutor), "executor");
}

TEST(TokenTableTest, RejectsBadLines) {
  for (const char* text : {"short client\n", "token-token-1 emperor\n",
                           "token-token-1\n", "token-token-1 client a b\n",
                           "token-token-1 client\ntoken-token-1 admin\n"}) {
    auto table = TokenTable::Load(WriteTemp("bad_tokens", text));
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
  EXPECT_FALSE(TokenTable::Load(::testing::TempDir() + "/missing").ok());
}

TEST(CredentialsTest, CertAndKeyGoTogether) {
  EXPECT_TRUE(ServerCredentials("", "").ok());
  EXPECT_EQ(ServerCredentials("cert.pem", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ServerCredentials("/nonexistent/c", "/nonexistent/k").ok());
  EXPECT_TRUE(ChannelCredentials("").ok());
  EXPECT_FALSE(ChannelCredentials("/nonexistent/ca").ok());
}

}  // namespace
}  // namespace seedlm::rpc
