// A minimal flag parser for the seedlm-bench subcommands. Each subcommand
// declares its flags on a FlagSet bound to its own option struct (no global
// flags, so several subcommands can share one binary without clashes).
//
// Accepted syntax: `--name=value`, `--name value`, and `--name` alone for a
// boolean (which may also be given as `--name=true|false`). Positional
// arguments are rejected.
#ifndef SEEDLM_BENCH_BENCH_FLAGS_H_
#define SEEDLM_BENCH_BENCH_FLAGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace seedlm {

class FlagSet {
 public:
  void AddInt(const std::string& name, int64_t* out, const std::string& help);
  void AddUint(const std::string& name, uint64_t* out, const std::string& help);
  void AddString(const std::string& name, std::string* out,
                 const std::string& help);
  void AddBool(const std::string& name, bool* out, const std::string& help);

  // Parses `args` (the arguments after the subcommand name). INVALID_ARGUMENT
  // naming the flag for an unknown flag, a missing or malformed value, or a
  // positional argument. "--help" / "-h" is accepted: see WantsHelp().
  absl::Status Parse(const std::vector<std::string>& args);

  // True if Parse() saw --help or -h (all other flags are then ignored).
  bool WantsHelp() const { return wants_help_; }

  // One line per flag: "  --name=<default>  help".
  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_value;
    bool is_bool = false;
    std::function<bool(absl::string_view)> set;  // false: malformed value
  };
  const Flag* Find(absl::string_view name) const;

  std::vector<Flag> flags_;
  bool wants_help_ = false;
};

// Splits a comma-separated list, dropping empty items.
std::vector<std::string> SplitList(absl::string_view s);

}  // namespace seedlm

#endif  // SEEDLM_BENCH_BENCH_FLAGS_H_
