// The command-line surface every binary shares: one table per command (its
// name, synopsis, description and flags with their value kinds and one-line
// help), and what is generated from it — the --help text, the `seedlm --help`
// overview and the bash completion script. Parsers read the same tables
// (client/cli/command_docs.h, worker/main.cc, core/util/absl_cli.h), so the
// help, the completion and what is accepted cannot drift apart.
#ifndef SEEDLM_CORE_UTIL_CLI_SURFACE_H_
#define SEEDLM_CORE_UTIL_CLI_SURFACE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace seedlm {

// What a flag's value is, for the help text and completion.
enum class FlagValueKind {
  kNone,    // a boolean flag: no value
  kText,    // any string (no completion)
  kNumber,  // an integer or number (no completion)
  kFile,    // a path to a file (completes file names)
  kDir,     // a path to a directory (completes directory names)
  kChoice,  // one of `choices` (completes them)
};

struct FlagDoc {
  std::string name = "";  // without dashes: "preset", "state-dir"
  FlagValueKind kind = FlagValueKind::kNone;
  std::string value_name =
      "";                 // in the synopsis: "P", "N", "FILE" ("" = kind's)
  std::string help = "";  // one line (wrapped when printed)
  std::vector<std::string> choices = {};  // kChoice: the accepted values
  bool repeated = false;                  // may be given more than once
  std::string default_value = "";         // shown when not empty
};

// What positional arguments complete to.
enum class PositionalKind { kNone, kFiles, kCommands, kChoices };

struct CommandDoc {
  std::string name = "";         // "compress", or a binary: "seedlm-worker"
  std::string synopsis = "";     // after the name: "MODEL OUT.seedlm [flags]"
  std::string summary = "";      // one line for an overview
  std::string description = "";  // paragraphs, "\n\n" between them (wrapped)
  std::vector<FlagDoc> flags = {};
  PositionalKind positionals = PositionalKind::kFiles;
  std::vector<std::string> positional_choices = {};  // kChoices
};

// The value placeholder shown for `flag` ("" for a boolean).
std::string FlagValueName(const FlagDoc& flag);

// The usage of one command: "usage: PROGRAM SYNOPSIS", the description, then
// one entry per flag ("  --name VALUE" and its help, wrapped at 80 columns,
// with the choices and default), then --help and --version lines are NOT
// added: a command lists them in `flags` when it accepts them. `program` is
// what precedes the synopsis ("seedlm compress", "seedlm-worker").
std::string CommandHelpText(absl::string_view program, const CommandDoc& cmd);

// An overview of a program with subcommands: "usage: PROGRAM <command>
// [args]", `intro`, then one line per command (name and summary), and how to
// get a command's help.
std::string OverviewText(absl::string_view program, absl::string_view intro,
                         const std::vector<CommandDoc>& commands);

// A bash completion script for `program`: `top` is the program's own flags
// and positionals; with `subcommands`, the first word completes to their
// names (and `top`'s flags), and each later word to that subcommand's flags,
// their values (choices, files, directories) or its positionals. Flags given
// as --name=value complete too. Defines `_<program>` (non-alphanumerics as
// '_') and registers it with `complete -F`. Words that are not plain
// (letters, digits and . _ : + - / only) are left out, so no table can inject
// shell code.
std::string BashCompletionScript(absl::string_view program,
                                 const CommandDoc& top,
                                 const std::vector<CommandDoc>& subcommands);

// The flags every binary takes besides its own.
FlagDoc HelpFlagDoc();            // --help (and -h)
FlagDoc VersionFlagDoc();         // --version
FlagDoc CompletionBashFlagDoc();  // --completion-bash

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_CLI_SURFACE_H_
