// Runs the `seedlm` binary from end-to-end tests (SEEDLM_BIN_DIR is set by
// the build) and captures its exit code, stdout and stderr.
#ifndef SEEDLM_TESTS_CLI_TEST_UTIL_H_
#define SEEDLM_TESTS_CLI_TEST_UTIL_H_

#include <string>
#include <utility>

#include "tests/util/subprocess.h"

namespace seedlm {

struct Result {
  int code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the seedlm binary with `args` (a shell-quoted string), through the
// tests' subprocess helper (a 10-minute deadline: a hang fails, never
// blocks).
inline Result RunSeedlm(const std::string& args) {
  const std::string cmd = std::string(SEEDLM_BIN_DIR) + "/seedlm " + args;
  absl::StatusOr<testing::SubprocessResult> r =
      testing::RunSubprocess({"/bin/sh", "-c", cmd});
  if (!r.ok()) return Result{-1, "", std::string(r.status().message())};
  if (r->timed_out) r->err += "\n[killed: past the test's deadline]";
  return Result{r->exit_code, std::move(r->out), std::move(r->err)};
}

}  // namespace seedlm

#endif  // SEEDLM_TESTS_CLI_TEST_UTIL_H_
