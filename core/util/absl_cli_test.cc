#include "core/util/absl_cli.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, state_dir, "", "where the state lives");
ABSL_FLAG(int, lease_count, 3, "how many leases");
ABSL_FLAG(double, drain_seconds, 1.5, "how long to drain");
ABSL_FLAG(bool, dry_run, false, "do nothing");
ABSL_FLAG(std::string, log_level, "info", "the lowest level logged");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address");

namespace seedlm {
namespace {

AbslCliSpec Spec() {
  return {.binary = "seedlm-test",
          .synopsis = "--state-dir DIR [flags]",
          .description = "A test binary.",
          .main_file = __FILE__,
          .choices = {{"log-level", {"debug", "info", "warn", "error"}}}};
}

const FlagDoc* Find(const CommandDoc& doc, const std::string& name) {
  for (const FlagDoc& f : doc.flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(AbslCliTest, TheTableIsThisFilesFlagsDashedWithTheirKinds) {
  const CommandDoc doc = AbslCommandDoc(Spec());
  std::vector<std::string> names;
  for (const FlagDoc& f : doc.flags) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "drain-seconds", "dry-run", "lease-count", "listen",
                       "log-level", "state-dir", "tls-cert", "help", "version",
                       "completion-bash"}));
  EXPECT_EQ(Find(doc, "state-dir")->kind, FlagValueKind::kDir);
  EXPECT_EQ(Find(doc, "tls-cert")->kind, FlagValueKind::kFile);
  EXPECT_EQ(Find(doc, "lease-count")->kind, FlagValueKind::kNumber);
  EXPECT_EQ(Find(doc, "lease-count")->default_value, "3");
  EXPECT_EQ(Find(doc, "drain-seconds")->kind, FlagValueKind::kNumber);
  EXPECT_EQ(Find(doc, "dry-run")->kind, FlagValueKind::kNone);
  EXPECT_EQ(Find(doc, "listen")->kind, FlagValueKind::kText);
  EXPECT_EQ(Find(doc, "listen")->value_name, "HOST:PORT");
  EXPECT_EQ(Find(doc, "log-level")->kind, FlagValueKind::kChoice);
  EXPECT_EQ(Find(doc, "log-level")->choices.size(), 4u);
  EXPECT_EQ(Find(doc, "state-dir")->help, "where the state lives");
}

std::optional<int> Handle(std::vector<std::string> args) {
  args.insert(args.begin(), "seedlm-test");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return HandleAbslCliSurface(static_cast<int>(argv.size()), argv.data(),
                              Spec());
}

TEST(AbslCliTest, HelpVersionAndCompletionPrintAndExitZero) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(Handle({"--state-dir", "x", "--help"}), 0);
  const std::string help = testing::internal::GetCapturedStdout();
  EXPECT_EQ(help.rfind("usage: seedlm-test --state-dir DIR [flags]\n", 0), 0u)
      << help;
  EXPECT_NE(help.find("  --state-dir DIR\n"), std::string::npos) << help;
  EXPECT_NE(help.find("  --log-level debug|info|warn|error\n"),
            std::string::npos)
      << help;
  EXPECT_EQ(help.find("flagfile"), std::string::npos) << help;  // absl's own

  testing::internal::CaptureStdout();
  EXPECT_EQ(Handle({"-h"}), 0);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), help);

  testing::internal::CaptureStdout();
  EXPECT_EQ(Handle({"--version"}), 0);
  const std::string version = testing::internal::GetCapturedStdout();
  EXPECT_EQ(version.rfind("seedlm-test ", 0), 0u) << version;
  EXPECT_NE(version.find(".seedlm format"), std::string::npos) << version;

  testing::internal::CaptureStdout();
  EXPECT_EQ(Handle({"--completion-bash"}), 0);
  const std::string script = testing::internal::GetCapturedStdout();
  EXPECT_NE(script.find("complete -F _seedlm_test seedlm-test"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("--state-dir"), std::string::npos);
}

TEST(AbslCliTest, UsageErrorsExitTwoAndGoodFlagsGoOn) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(Handle({"--no-such-flag"}), 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "seedlm-test: unknown flag --no-such-flag (see seedlm-test "
            "--help)\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(Handle({"--lease-count=many"}), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("--lease-count"),
            std::string::npos);
  EXPECT_EQ(Handle({"--state-dir"}), 2);  // no value
  EXPECT_EQ(Handle({"--dry-run=maybe"}), 2);
  // After "--" nothing is a flag.
  EXPECT_EQ(Handle({"--", "--no-such-flag"}), std::nullopt);
  EXPECT_EQ(Handle({"--state-dir", "d", "--lease-count", "4", "--dry-run",
                    "--nodry-run", "--log_level=warn", "positional"}),
            std::nullopt);
}

}  // namespace
}  // namespace seedlm
