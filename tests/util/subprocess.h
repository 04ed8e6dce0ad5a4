// Test-only: runs a program as a child process, without a shell, with a
// deadline. The one subprocess helper of the project's tests (CLI end-to-end
// tests, bench smoke tests, and the multi-process service tests to come).
//
// Run() waits for the child and captures its stdout and stderr; Start()
// leaves it running (a server) and returns a handle that kills it by PID
// when destroyed. Nothing here hangs: every wait has a deadline after which
// the child is killed with SIGKILL.
//
// Thread-safety: a Subprocess is used by one thread at a time.
#ifndef SEEDLM_TESTS_UTIL_SUBPROCESS_H_
#define SEEDLM_TESTS_UTIL_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seedlm {
namespace testing {

struct SubprocessOptions {
  // Killed (SIGKILL) when still running after this long.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // Extra environment entries ("NAME=value"), added to the parent's.
  std::vector<std::string> env;
  // Run() only: where the child's stdout goes ("": captured; else a file
  // path, truncated). Start(): stdout and stderr go to these files ("":
  // /dev/null).
  std::string stdout_path;
  std::string stderr_path;
};

struct SubprocessResult {
  int exit_code = -1;  // the exit status, or -1 if killed by a signal
  int signal = 0;      // the signal that ended it, or 0
  bool timed_out = false;
  std::string out;  // captured stdout (unless redirected)
  std::string err;  // captured stderr (unless redirected)
};

// Runs argv[0] (a path; no PATH search) with argv, waits for it, and
// returns what happened. Errors (INTERNAL) only when the child could not be
// started; a non-zero exit is a result, not an error.
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv,
    const SubprocessOptions& options = {});

// A child left running.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv,
      const SubprocessOptions& options = {});
  ~Subprocess();  // kills (SIGKILL) and reaps the child if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `sig` if the child has not been reaped.
  void Kill(int sig);
  // Waits up to `timeout` for the child to exit. DEADLINE_EXCEEDED if it is
  // still running then (it is left running). The result has no output.
  absl::StatusOr<SubprocessResult> Wait(std::chrono::milliseconds timeout);
  bool running() const { return !reaped_; }

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  SubprocessResult result_;
};

}  // namespace testing
}  // namespace seedlm

#endif  // SEEDLM_TESTS_UTIL_SUBPROCESS_H_
