// The table of every `seedlm` subcommand (core/util/cli_surface.h): name,
// synopsis, description and flags with their value kinds and help. The
// commands parse their arguments with these tables (ParseCommandArgs), and
// `seedlm --help`, `seedlm CMD --help` and `seedlm completion bash` are
// generated from them, so what is documented is what is accepted.
#ifndef SEEDLM_CLIENT_CLI_COMMAND_DOCS_H_
#define SEEDLM_CLIENT_CLI_COMMAND_DOCS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/cli/args.h"
#include "core/util/cli_surface.h"

namespace seedlm::cli {

// Every subcommand, in the order of the overview (built-ins last: help,
// version, completion).
const std::vector<CommandDoc>& CommandDocs();

// The table of `name`, or nullptr.
const CommandDoc* FindCommandDoc(absl::string_view name);

// The parser's view of a table: flags of kind kNone are booleans, the others
// take a value; `repeated` ones may repeat.
FlagSpec ToFlagSpec(const CommandDoc& doc);

// ParseArgs(argc, argv, 2, ToFlagSpec(table of argv[1]'s command `name`)).
absl::StatusOr<Args> ParseCommandArgs(absl::string_view name, int argc,
                                      char** argv);

// True when argv[first..) asks for help: --help or -h as a flag (not as the
// value of a flag that takes one, not after "--").
bool AsksForHelp(int argc, char** argv, int first, const FlagSpec& spec);

// The texts generated from the tables.
std::string SeedlmOverview();                          // seedlm --help
std::string SeedlmCommandHelp(const CommandDoc& doc);  // seedlm CMD --help
std::string SeedlmBashCompletion();                    // seedlm completion bash

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_COMMAND_DOCS_H_
