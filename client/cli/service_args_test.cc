#include "client/cli/service_args.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm::cli {
namespace {

// argv as main() gets it: "seedlm", the command, then `rest`.
struct Argv {
  explicit Argv(const std::string& command, std::vector<std::string> rest) {
    strings.push_back("seedlm");
    strings.push_back(command);
    for (std::string& s : rest) strings.push_back(std::move(s));
    for (std::string& s : strings) ptrs.push_back(s.data());
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> strings;
  std::vector<char*> ptrs;
};

absl::StatusOr<SubmitCommand> Submit(std::vector<std::string> rest) {
  Argv a("submit", std::move(rest));
  return ParseSubmitArgs(a.argc(), a.argv());
}

absl::StatusCode SubmitCode(std::vector<std::string> rest) {
  return Submit(std::move(rest)).status().code();
}

TEST(SubmitArgsTest, DefaultsAreThoseOfCompress) {
  auto c = Submit({"--coordinator", "h:1", "dir/m.bin", "o.seedlm"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connection.address, "h:1");
  EXPECT_EQ(c->connection.token, "");
  EXPECT_EQ(c->model, "dir/m.bin");
  EXPECT_EQ(c->out, "o.seedlm");
  EXPECT_FALSE(c->server_path);
  EXPECT_FALSE(c->detach);
  const v1::CompressionOptions& o = c->request.options();
  EXPECT_EQ(o.preset(), "4bit-p4");
  EXPECT_EQ(o.exponent_mode(), v1::EXPONENT_MODE_SEARCH);
  EXPECT_FALSE(o.has_exponent_bias());  // the preset's policy (automatic)
  EXPECT_EQ(o.include_size(), 0);
  EXPECT_EQ(c->request.display_name(), "m.bin");
  EXPECT_FALSE(c->request.has_model());  // filled in by the upload
}

TEST(SubmitArgsTest, EveryFlagReachesTheRequest) {
  auto c = Submit({"m",           "o",         "--coordinator=h:2",
                   "--preset",    "4bit",      "--exponent",
                   "fit",         "--bias",    "-3",
                   "--include",   "a.*",       "--include",
                   "b",           "--exclude", "c",
                   "--tokenizer", "t.bin",     "--server-path",
                   "--name",      "my job",    "--token",
                   "tok",         "--tls-ca",  "ca.pem",
                   "--detach"});
  ASSERT_TRUE(c.ok()) << c.status();
  const v1::CompressionOptions& o = c->request.options();
  EXPECT_EQ(o.preset(), "4bit");
  EXPECT_EQ(o.exponent_mode(), v1::EXPONENT_MODE_FIT);
  ASSERT_TRUE(o.has_exponent_bias());
  EXPECT_EQ(o.exponent_bias(), -3);
  ASSERT_EQ(o.include_size(), 2);
  EXPECT_EQ(o.include(0), "a.*");
  EXPECT_EQ(o.include(1), "b");
  ASSERT_EQ(o.exclude_size(), 1);
  EXPECT_EQ(c->request.display_name(), "my job");
  EXPECT_EQ(c->connection.token, "tok");
  EXPECT_EQ(c->connection.tls_ca_path, "ca.pem");
  EXPECT_TRUE(c->detach);
  ASSERT_TRUE(c->server_path);
  EXPECT_EQ(c->request.model().server_path(), "m");
  EXPECT_EQ(c->request.model().tokenizer_path(), "t.bin");
}

TEST(SubmitArgsTest, BiasIsSentOnlyWhenItDepartsFromThePresetsPolicy) {
  // 4bit-p4's policy is automatic: auto is the default, a number departs.
  auto c = Submit({"--coordinator", "h:1", "m", "o", "--bias", "auto"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->request.options().has_exponent_bias());
  c = Submit({"--coordinator", "h:1", "m", "o", "--bias", "0"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->request.options().has_exponent_bias());
  EXPECT_EQ(c->request.options().exponent_bias(), 0);
  EXPECT_FALSE(c->request.options().exponent_bias_auto());
  // 4bit's policy is a fixed 0: 0 is the default, auto departs from it.
  c = Submit(
      {"--coordinator", "h:1", "m", "o", "--preset", "4bit", "--bias", "0"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->request.options().has_exponent_bias());
  EXPECT_FALSE(c->request.options().exponent_bias_auto());
  c = Submit(
      {"--coordinator", "h:1", "m", "o", "--preset", "4bit", "--bias", "auto"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->request.options().has_exponent_bias());
  EXPECT_TRUE(c->request.options().exponent_bias_auto());
}

TEST(SubmitArgsTest, ErrorsAreThoseOfCompressAndOneClearLine) {
  // No coordinator, wrong positionals, unknown flags: usage errors.
  EXPECT_EQ(SubmitCode({"m", "o"}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "x"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--threads", "2"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--detach=1"}),
            absl::StatusCode::kInvalidArgument);
  // The shared option parse: the same codes as seedlm compress.
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--preset", "9bit"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      SubmitCode({"--coordinator", "h:1", "m", "o", "--exponent", "wild"}),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--bias", "128"}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--include", "("}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitCode({"--coordinator", "h:1", "m", "o", "--name",
                        std::string(kMaxDisplayNameBytes + 1, 'x')}),
            absl::StatusCode::kInvalidArgument);
}

absl::StatusOr<JobCommand> Job(const std::string& command,
                               std::vector<std::string> rest) {
  Argv a(command, std::move(rest));
  return ParseJobCommandArgs(a.argc(), a.argv());
}

TEST(JobCommandArgsTest, PositionalsPerCommand) {
  auto jobs = Job("jobs", {"--json", "--coordinator", "h:1"});
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  EXPECT_TRUE(jobs->json);
  auto fetch = Job("fetch", {"j1", "o.seedlm", "--coordinator", "h:1",
                             "--token", "t", "--tls-ca", "ca"});
  ASSERT_TRUE(fetch.ok()) << fetch.status();
  EXPECT_EQ(fetch->job_id, "j1");
  EXPECT_EQ(fetch->out, "o.seedlm");
  EXPECT_EQ(fetch->connection.token, "t");
  auto watch = Job("watch", {"j2", "--coordinator", "h:1"});
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(watch->job_id, "j2");
  EXPECT_FALSE(watch->json);
  auto watch_json = Job("watch", {"j2", "--json", "--coordinator", "h:1"});
  ASSERT_TRUE(watch_json.ok()) << watch_json.status();
  EXPECT_TRUE(watch_json->json);
  for (auto bad :
       {Job("jobs", {"x", "--coordinator", "h:1"}),
        Job("watch", {"--coordinator", "h:1"}),
        Job("cancel", {"j", "--json", "--coordinator", "h:1"}),
        Job("fetch", {"j", "--coordinator", "h:1"}), Job("delete", {"j"}),
        Job("delete", {"", "--coordinator", "h:1"})}) {
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace seedlm::cli
