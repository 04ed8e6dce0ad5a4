// --help, -h, --version and --completion-bash for the binaries whose flags
// are absl flags spelled with dashes (seedlm-coordinator, seedlm-serve,
// seedlm-executor, seedlm-fpga-report): their table (core/util/cli_surface.h)
// is generated from the flags registered in their own main.cc
// (absl::GetAllFlags, filtered by file name), so the help and the completion
// list exactly what the parser accepts. Unknown flags and malformed values
// become usage errors (one line, exit 2) instead of absl's exit 1.
#ifndef SEEDLM_CORE_UTIL_ABSL_CLI_H_
#define SEEDLM_CORE_UTIL_ABSL_CLI_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/util/cli_surface.h"

namespace seedlm {

struct AbslCliSpec {
  std::string binary = "";       // "seedlm-coordinator"
  std::string synopsis = "";     // after the binary's name in the usage line
  std::string description = "";  // paragraphs for --help
  std::string main_file = "";  // __FILE__ of the main.cc that defines the flags
  // Flags whose values are enumerated (dashed name -> the values), for the
  // help and the completion.
  std::map<std::string, std::vector<std::string>> choices = {};
};

// The binary's table: every absl flag defined in `spec.main_file`, named
// with dashes, sorted by name, then --help, --version, --completion-bash.
// Value kinds: bool -> no value; integers and floating point -> numbers;
// strings -> the `choices` given, else a directory for names ending in -dir
// or -root, a file for names ending in -file, -cert, -key, -ca, -tokens or
// named model, tokenizer, chat-template, else text (shown as HOST:PORT for
// http, server, coordinator and names ending in listen).
CommandDoc AbslCommandDoc(const AbslCliSpec& spec);

// Call first in main, before absl::ParseCommandLine (argv as given, dashes
// and all). Sets absl's usage config (the program usage message, the version
// string, help limited to spec.main_file), then scans argv: --help or -h
// prints the help to stdout, --version the version line, --completion-bash
// the bash completion script, each returning 0; an unknown flag, a missing
// value or a value the flag's type refuses prints one line to stderr and
// returns 2. nullopt: parse and run as usual.
std::optional<int> HandleAbslCliSurface(int argc, char** argv,
                                        const AbslCliSpec& spec);

// What a main with absl flags calls instead of absl::ParseCommandLine:
// HandleAbslCliSurface, then the flags (dashed names rewritten to absl's
// underscores) parsed into absl. Positional arguments go to
// `*positionals` when it is given, for the caller to judge; without it the
// first one is a usage error ("unexpected argument X", exit 2). nullopt: the
// flags are set, run. Otherwise the exit status.
std::optional<int> ParseAbslCommandLine(
    int argc, char** argv, const AbslCliSpec& spec,
    std::vector<std::string>* positionals = nullptr);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_ABSL_CLI_H_
