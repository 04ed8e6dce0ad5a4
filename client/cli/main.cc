// `seedlm`: compress, inspect, decompress and run models, submit
// compression jobs to a coordinator, and ask an inference server for
// completions (docs/ARCHITECTURE.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "core/util/cpu_features.h"
#include "core/util/status_macros.h"
#include "core/util/version.h"

namespace {

using seedlm::CommandDoc;
using Runner = absl::Status (*)(int argc, char** argv);

// What runs each command of the table (command_docs.h); the built-ins (help,
// version, completion) are handled in main.
struct Command {
  const char* name;
  Runner run;
};
constexpr Command kCommands[] = {
    {"compress", seedlm::cli::RunCompress},
    {"inspect", seedlm::cli::RunInspect},
    {"verify", seedlm::cli::RunVerify},
    {"decompress", seedlm::cli::RunDecompress},
    {"synth", seedlm::cli::RunSynth},
    {"generate", seedlm::cli::RunGenerate},
    {"perplexity", seedlm::cli::RunPerplexity},
    {"submit", seedlm::cli::RunSubmit},
    {"jobs", seedlm::cli::RunJobs},
    {"watch", seedlm::cli::RunWatch},
    {"cancel", seedlm::cli::RunCancel},
    {"delete", seedlm::cli::RunDelete},
    {"fetch", seedlm::cli::RunFetch},
    {"complete", seedlm::cli::RunComplete},
};

Runner FindRunner(const std::string& name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run;
  }
  return nullptr;
}

// A standard descriptor closed at start would be reused by the next open()
// (an output file could then receive what is printed): each closed one is
// opened read-only on /dev/null, so that writes to it fail (EBADF) and are
// reported like any other failed write.
void OccupyClosedStdFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", O_RDONLY);
    if (got >= 0 && got != fd) ::close(got);  // only when fd was the lowest
  }
}

// Ends a command: stdout is flushed and closed (a failed write anywhere is
// an error even when the command succeeded), then the one-line error, if any,
// goes to stderr. INVALID_ARGUMENT exits 2, every other error 1.
int Finish(const std::string& cmd, absl::Status s) {
  const absl::Status out = seedlm::cli::CloseStdout();
  if (s.ok()) s = out;
  if (s.ok()) return 0;
  std::fprintf(stderr, "seedlm %s: %s\n", cmd.c_str(),
               std::string(s.message()).c_str());
  return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// The built-in commands: `help [COMMAND]`, `version`, `completion bash`.
absl::Status RunBuiltin(const std::string& cmd, int argc, char** argv) {
  ASSIGN_OR_RETURN(const seedlm::cli::Args args,
                   seedlm::cli::ParseCommandArgs(cmd, argc, argv));
  if (cmd == "help") {
    if (args.positional.empty()) {
      return seedlm::cli::WriteStdout(seedlm::cli::SeedlmOverview());
    }
    const CommandDoc* doc = seedlm::cli::FindCommandDoc(args.positional[0]);
    if (args.positional.size() > 1) {
      return absl::InvalidArgumentError("usage: seedlm help [COMMAND]");
    }
    if (doc == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no command '", args.positional[0], "' (try seedlm --help)"));
    }
    return seedlm::cli::WriteStdout(seedlm::cli::SeedlmCommandHelp(*doc));
  }
  if (cmd == "version") {
    if (!args.positional.empty()) {
      return absl::InvalidArgumentError("usage: seedlm version");
    }
    return seedlm::cli::WriteStdout(seedlm::VersionLine("seedlm") + "\n");
  }
  if (cmd != "completion") {
    return absl::InternalError(absl::StrCat("no runner for command ", cmd));
  }
  if (args.positional.size() != 1 || args.positional[0] != "bash") {
    return absl::InvalidArgumentError("usage: seedlm completion bash");
  }
  return seedlm::cli::WriteStdout(seedlm::cli::SeedlmBashCompletion());
}

}  // namespace

int main(int argc, char** argv) {
  OccupyClosedStdFds();
  // The SIMD override is read here, once, and passed down (cpu_features.h).
  if (absl::Status simd =
          seedlm::SetSimdLevelCapFrom(std::getenv("SEEDLM_SIMD"));
      !simd.ok()) {
    std::fprintf(stderr, "seedlm: %s\n", std::string(simd.message()).c_str());
    return 2;
  }
  if (argc < 2) {
    std::fputs(seedlm::cli::SeedlmOverview().c_str(), stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") {
    return Finish("help",
                  seedlm::cli::WriteStdout(seedlm::cli::SeedlmOverview()));
  }
  if (cmd == "--version")
    return Finish("version", RunBuiltin("version", 1, argv));
  const CommandDoc* doc = seedlm::cli::FindCommandDoc(cmd);
  if (doc == nullptr) {
    std::fprintf(stderr, "seedlm: unknown command '%s' (try seedlm --help)\n",
                 cmd.c_str());
    return 2;
  }
  if (seedlm::cli::AsksForHelp(argc, argv, 2, seedlm::cli::ToFlagSpec(*doc))) {
    return Finish(
        cmd, seedlm::cli::WriteStdout(seedlm::cli::SeedlmCommandHelp(*doc)));
  }
  const Runner run = FindRunner(cmd);
  return Finish(cmd,
                run != nullptr ? run(argc, argv) : RunBuiltin(cmd, argc, argv));
}
