#include "tests/util/subprocess.h"

#include <signal.h>

#include <chrono>

#include "gtest/gtest.h"

namespace seedlm {
namespace testing {
namespace {

using std::chrono::milliseconds;

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  SubprocessOptions o;
  o.env = {"SEEDLM_X=42"};
  auto r = RunSubprocess(
      {"/bin/sh", "-c", "echo out; echo err >&2; echo \"$SEEDLM_X\"; exit 3"},
      o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->out, "out\n42\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessTest, KillsAChildPastItsDeadline) {
  const auto t0 = std::chrono::steady_clock::now();
  SubprocessOptions o;
  o.timeout = milliseconds(200);
  auto r = RunSubprocess({"/bin/sleep", "30"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(SubprocessTest, AMissingProgramExits127) {
  auto r = RunSubprocess({"/nonexistent/program"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
}

TEST(SubprocessTest, StartWaitAndKillByPid) {
  auto p = Subprocess::Start({"/bin/sleep", "30"});
  ASSERT_TRUE(p.ok());
  EXPECT_GT((*p)->pid(), 0);
  EXPECT_EQ((*p)->Wait(milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  (*p)->Kill(SIGTERM);
  auto r = (*p)->Wait(milliseconds(10000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signal, SIGTERM);
  EXPECT_FALSE((*p)->running());
}

TEST(SubprocessTest, DestructorKillsARunningChild) {
  pid_t pid = 0;
  {
    auto p = Subprocess::Start({"/bin/sleep", "30"});
    ASSERT_TRUE(p.ok());
    pid = (*p)->pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: no such process
}

}  // namespace
}  // namespace testing
}  // namespace seedlm
