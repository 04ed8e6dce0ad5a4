#include "client/cli/command_docs.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/codec.h"
#include "gtest/gtest.h"

namespace seedlm::cli {
namespace {

absl::StatusOr<Args> Parse(const std::string& command,
                           std::vector<std::string> rest) {
  rest.insert(rest.begin(), {"seedlm", command});
  std::vector<char*> argv;
  for (std::string& s : rest) argv.push_back(s.data());
  return ParseCommandArgs(command, static_cast<int>(argv.size()), argv.data());
}

TEST(CommandDocsTest, EveryCommandIsDocumentedOnce) {
  std::set<std::string> names;
  for (const CommandDoc& d : CommandDocs()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_FALSE(d.summary.empty()) << d.name;
    EXPECT_EQ(FindCommandDoc(d.name), &d);
  }
  EXPECT_EQ(names, (std::set<std::string>{
                       "compress", "inspect", "verify", "decompress", "synth",
                       "generate", "perplexity", "submit", "jobs", "watch",
                       "cancel", "delete", "fetch", "complete", "help",
                       "version", "completion"}));
  EXPECT_EQ(FindCommandDoc("nope"), nullptr);
}

// What the help lists is what the parser accepts, and nothing else.
TEST(CommandDocsTest, TheParserAcceptsExactlyTheDocumentedFlags) {
  for (const CommandDoc& d : CommandDocs()) {
    const std::string help = SeedlmCommandHelp(d);
    EXPECT_EQ(help.rfind(absl::StrCat("usage: seedlm ", d.name), 0), 0u)
        << help;
    for (const FlagDoc& f : d.flags) {
      EXPECT_NE(help.find(absl::StrCat("  --", f.name)), std::string::npos)
          << d.name << " --" << f.name;
      std::vector<std::string> args = {"--" + f.name};
      if (f.kind != FlagValueKind::kNone) args.push_back("1");
      absl::StatusOr<Args> a = Parse(d.name, args);
      EXPECT_TRUE(a.ok()) << d.name << " --" << f.name << ": " << a.status();
    }
    absl::StatusOr<Args> bad = Parse(d.name, {"--no-such-flag"});
    EXPECT_EQ(bad.status().message(), "unknown flag --no-such-flag") << d.name;
  }
}

TEST(CommandDocsTest, FlagKindsBecomeTheParsersSpec) {
  const FlagSpec spec = ToFlagSpec(*FindCommandDoc("compress"));
  EXPECT_TRUE(spec.boolean.count("json"));
  EXPECT_TRUE(spec.boolean.count("resume"));
  EXPECT_TRUE(spec.boolean.count("help"));
  EXPECT_TRUE(spec.with_value.count("preset"));
  EXPECT_TRUE(spec.with_value.count("threads"));
  EXPECT_EQ(spec.repeated, (std::set<std::string>{"include", "exclude"}));
  EXPECT_EQ(ToFlagSpec(*FindCommandDoc("complete")).repeated,
            (std::set<std::string>{"stop"}));
}

TEST(CommandDocsTest, PresetsAndModesComeFromTheRealTables) {
  const CommandDoc& compress = *FindCommandDoc("compress");
  const std::string help = SeedlmCommandHelp(compress);
  const std::string script = SeedlmBashCompletion();
  for (const std::string& p : PresetNames()) {
    EXPECT_NE(help.find(p), std::string::npos) << p;
    EXPECT_NE(script.find(p), std::string::npos) << p;
  }
  EXPECT_NE(script.find("--exponent) COMPREPLY=( $(compgen -W \"search fit "
                        "paper\""),
            std::string::npos)
      << script;
  // submit shares compress's table of compression flags.
  const std::string submit = SeedlmCommandHelp(*FindCommandDoc("submit"));
  EXPECT_NE(submit.find("  --preset P\n"), std::string::npos) << submit;
  EXPECT_NE(submit.find("  --coordinator HOST:PORT\n"), std::string::npos);
}

TEST(CommandDocsTest, OverviewListsEveryCommand) {
  const std::string text = SeedlmOverview();
  for (const CommandDoc& d : CommandDocs()) {
    EXPECT_NE(text.find(absl::StrCat("\n  ", d.name, " ")), std::string::npos)
        << d.name;
  }
}

TEST(CommandDocsTest, AsksForHelpSkipsFlagValues) {
  const FlagSpec spec = ToFlagSpec(*FindCommandDoc("generate"));
  auto asks = [&](std::vector<std::string> v) {
    std::vector<char*> argv;
    for (std::string& s : v) argv.push_back(s.data());
    return AsksForHelp(static_cast<int>(argv.size()), argv.data(), 0, spec);
  };
  EXPECT_TRUE(asks({"m", "--help"}));
  EXPECT_TRUE(asks({"-h"}));
  EXPECT_TRUE(asks({"--json", "-h"}));
  EXPECT_FALSE(asks({"m", "--prompt", "--help"}));
  EXPECT_TRUE(asks({"m", "--prompt=x", "--help"}));
  EXPECT_FALSE(asks({"m", "--", "--help"}));
  EXPECT_FALSE(asks({"m", "--prompt", "hi"}));
}

}  // namespace
}  // namespace seedlm::cli
