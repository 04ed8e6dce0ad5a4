#include "core/util/cli_surface.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

CommandDoc Compress() {
  return {.name = "compress",
          .synopsis = "MODEL OUT [flags]",
          .summary = "compress a model",
          .description = "First paragraph.\n\nSecond paragraph.",
          .flags = {{.name = "preset",
                     .kind = FlagValueKind::kChoice,
                     .value_name = "P",
                     .help = "the preset",
                     .choices = {"4bit", "3bit-t"},
                     .default_value = "4bit"},
                    {.name = "include",
                     .kind = FlagValueKind::kText,
                     .value_name = "REGEX",
                     .help = "a pattern",
                     .repeated = true},
                    {.name = "tokenizer",
                     .kind = FlagValueKind::kFile,
                     .help = absl::StrCat(std::string(30, 'a'), " ",
                                          std::string(30, 'b'), " ",
                                          std::string(30, 'c'))},
                    {.name = "state-dir", .kind = FlagValueKind::kDir},
                    {.name = "threads", .kind = FlagValueKind::kNumber},
                    {.name = "json", .help = "JSON"},
                    HelpFlagDoc()}};
}

CommandDoc Completion() {
  return {.name = "completion",
          .summary = "a script",
          .flags = {HelpFlagDoc()},
          .positionals = PositionalKind::kChoices,
          .positional_choices = {"bash", "$(touch /tmp/x)"}};
}

TEST(CliSurfaceTest, HelpListsEveryFlagWithItsValueChoicesAndDefault) {
  const std::string help = CommandHelpText("seedlm compress", Compress());
  EXPECT_EQ(help.rfind("usage: seedlm compress MODEL OUT [flags]\n", 0), 0u)
      << help;
  EXPECT_NE(help.find("First paragraph.\n\nSecond paragraph.\n"),
            std::string::npos)
      << help;
  for (const char* line : {"  --preset P\n", "  --include REGEX (repeatable)\n",
                           "  --tokenizer FILE\n", "  --state-dir DIR\n",
                           "  --threads N\n", "  --json\n", "  --help\n"}) {
    EXPECT_NE(help.find(line), std::string::npos) << line << "\n" << help;
  }
  EXPECT_NE(help.find("the preset One of: 4bit, 3bit-t. (default: 4bit)"),
            std::string::npos)
      << help;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    EXPECT_LE(line.size(), 80u) << line;
  }
}

TEST(CliSurfaceTest, ChoicesWithoutAValueNameAreTheValueName) {
  FlagDoc f{.name = "dtype",
            .kind = FlagValueKind::kChoice,
            .choices = {"bf16", "f32"}};
  EXPECT_EQ(FlagValueName(f), "bf16|f32");
  EXPECT_EQ(FlagValueName(HelpFlagDoc()), "");
}

TEST(CliSurfaceTest, OverviewListsEveryCommand) {
  const std::string text =
      OverviewText("seedlm", "Intro.", {Compress(), Completion()});
  EXPECT_EQ(text.rfind("usage: seedlm <command> [args]\n\nIntro.\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("  compress    compress a model\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  completion  a script\n"), std::string::npos) << text;
}

// Runs the script's completion function in `bash --norc` for `words` (the
// last one is being completed) and returns COMPREPLY, one word per line.
std::vector<std::string> Complete(const std::string& script,
                                  const std::string& fn,
                                  const std::vector<std::string>& words,
                                  const std::string& cwd_setup = "") {
  const std::string dir = ::testing::TempDir();
  const std::string path = absl::StrCat(dir, "/completion.bash");
  std::ofstream(path) << script;
  std::vector<std::string> quoted;
  for (const std::string& w : words) quoted.push_back("'" + w + "'");
  const std::string cmd = absl::StrCat(
      "cd '", dir, "' && ", cwd_setup, " bash --norc --noprofile -c 'source ",
      path, "; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); ", fn,
      "; printf \"%s\\n\" \"${COMPREPLY[@]}\"' _ ", absl::StrJoin(quoted, " "));
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << cmd;
  std::vector<std::string> got = absl::StrSplit(out, '\n', absl::SkipEmpty());
  std::sort(got.begin(), got.end());
  return got;
}

using Words = std::vector<std::string>;

TEST(CliSurfaceTest, CompletionOfSubcommandsFlagsAndValues) {
  const CommandDoc top{.name = "seedlm", .flags = {HelpFlagDoc()}};
  const std::string s =
      BashCompletionScript("seedlm", top, {Compress(), Completion()});
  EXPECT_NE(s.find("complete -F _seedlm seedlm\n"), std::string::npos) << s;
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "comp"}),
            (Words{"completion", "compress"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "--h"}), (Words{"--help"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--pre"}),
            (Words{"--preset"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--preset", ""}),
            (Words{"3bit-t", "4bit"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--preset", "3"}),
            (Words{"3bit-t"}));
  // --preset=3 as bash splits it (COMP_WORDBREAKS has '=').
  EXPECT_EQ(
      Complete(s, "_seedlm", {"seedlm", "compress", "--preset", "=", "3"}),
      (Words{"3bit-t"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--preset", "="}),
            (Words{"3bit-t", "4bit"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--threads", ""}),
            Words{});
  // Files for file flags and positionals, directories for directory flags.
  const std::string setup = "mkdir -p cs_d && touch cs_f && ";
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "cs_"}, setup),
            (Words{"cs_d", "cs_f"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--tokenizer", "cs_"},
                     setup),
            (Words{"cs_d", "cs_f"}));
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "compress", "--state-dir", "cs_"},
                     setup),
            (Words{"cs_d"}));
  // A word that is not plain never reaches the script.
  EXPECT_EQ(s.find("touch"), std::string::npos);
  EXPECT_EQ(Complete(s, "_seedlm", {"seedlm", "completion", ""}),
            (Words{"bash"}));
}

TEST(CliSurfaceTest, CompletionOfASingleCommandBinary) {
  CommandDoc doc = Compress();
  doc.name = "seedlm-coordinator";
  doc.positionals = PositionalKind::kNone;
  const std::string s = BashCompletionScript("seedlm-coordinator", doc, {});
  EXPECT_NE(s.find("complete -F _seedlm_coordinator seedlm-coordinator\n"),
            std::string::npos);
  EXPECT_EQ(Complete(s, "_seedlm_coordinator", {"seedlm-coordinator", "--st"}),
            (Words{"--state-dir"}));
  EXPECT_EQ(Complete(s, "_seedlm_coordinator", {"seedlm-coordinator", "x"}),
            Words{});
}

}  // namespace
}  // namespace seedlm
