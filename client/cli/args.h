// A small command-line parser for the `seedlm` subcommands: positional
// arguments plus `--flag value`, `--flag=value` and boolean `--flag`.
// Unknown flags and missing values are INVALID_ARGUMENT, so every user error
// becomes one clear line on stderr.
#ifndef SEEDLM_CLIENT_CLI_ARGS_H_
#define SEEDLM_CLIENT_CLI_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seedlm::cli {

struct FlagSpec {
  std::set<std::string> with_value;  // e.g. "preset"
  std::set<std::string> boolean;     // e.g. "json"
  std::set<std::string> repeated;    // subset of with_value that may repeat
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> bools;

  bool Has(const std::string& f) const { return values.count(f) > 0; }
  bool Bool(const std::string& f) const { return bools.count(f) > 0; }
  // Last value of `f`, or `def`.
  std::string Get(const std::string& f, const std::string& def = "") const;
  const std::vector<std::string>& All(const std::string& f) const;
  // Integer value of `f` (INVALID_ARGUMENT if not an integer).
  absl::StatusOr<long long> GetInt(const std::string& f, long long def) const;
};

// Parses argv[first..argc). "--" ends flag parsing.
absl::StatusOr<Args> ParseArgs(int argc, char** argv, int first,
                               const FlagSpec& spec);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_ARGS_H_
