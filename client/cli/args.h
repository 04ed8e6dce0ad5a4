// A small command-line parser for the `seedlm` subcommands: positional
// arguments plus `--flag value`, `--flag=value` and boolean `--flag`.
// Unknown flags and missing values are INVALID_ARGUMENT, so every user error
// becomes one clear line on stderr.
#ifndef SEEDLM_CLIENT_CLI_ARGS_H_
#define SEEDLM_CLIENT_CLI_ARGS_H_

#include <cstdint>
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
  // Integer value of `f` in [min, max], or `def` when absent;
  // INVALID_ARGUMENT "--f must be an integer in min..max, got '...'"
  // otherwise (so no flag value reaches a computation unchecked).
  absl::StatusOr<int64_t> GetIntIn(const std::string& f, int64_t def,
                                   int64_t min, int64_t max) const;
  // Unsigned 64-bit value of `f` (0..2^64-1; no sign), or `def`.
  absl::StatusOr<uint64_t> GetUint64(const std::string& f, uint64_t def) const;
  // Finite number in [min, max] (no nan, no inf), or `def` when absent.
  absl::StatusOr<double> GetDoubleIn(const std::string& f, double def,
                                     double min, double max) const;
};

// Parses argv[first..argc). "--" ends flag parsing.
absl::StatusOr<Args> ParseArgs(int argc, char** argv, int first,
                               const FlagSpec& spec);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_ARGS_H_
