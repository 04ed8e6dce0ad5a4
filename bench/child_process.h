// What `seedlm-bench coordinator` needs to run a server as a child process
// and measure it from outside: start a program (no shell, no PATH search),
// stop it by PID (SIGTERM, then SIGKILL after a deadline), and read its CPU
// time (/proc/PID/stat utime + stime) and peak resident set (/proc/PID/status
// VmHWM). Linux only.
//
// Thread-safety: a ChildProcess is used by one thread at a time;
// ReadProcStats is thread-safe.
#ifndef SEEDLM_BENCH_CHILD_PROCESS_H_
#define SEEDLM_BENCH_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace seedlm {

// A process's resource use, as the kernel reports it.
struct ProcStats {
  double cpu_seconds = 0;  // user + system, all threads
  int64_t rss_kib = 0;     // VmRSS: resident now
  int64_t hwm_kib = 0;     // VmHWM: peak resident
  // The parts of VmRSS (now): anonymous memory (heap, stacks), and pages of
  // mapped files (clean, reclaimable: e.g. a memory-mapped model).
  int64_t rss_anon_kib = 0;  // RssAnon
  int64_t rss_file_kib = 0;  // RssFile
};

// Reads /proc/PID/stat and /proc/PID/status. NOT_FOUND when the process is
// gone; INTERNAL when a file does not parse.
absl::StatusOr<ProcStats> ReadProcStats(pid_t pid);

// A child process that is stopped (SIGKILL) and reaped when destroyed.
class ChildProcess {
 public:
  // Starts argv[0] (a path) with `argv`; its stdout and stderr are appended
  // to `log_path` ("" = /dev/null). INVALID_ARGUMENT for an empty argv;
  // INTERNAL when it cannot be started (errno's text).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has exited and been reaped (polls, no wait).
  bool Running();
  // Sends SIGTERM and waits up to `grace` for the child to exit, then
  // SIGKILLs it. Returns its exit code (128 + signal when killed by one).
  int Stop(std::chrono::milliseconds grace);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  int exit_code_ = -1;
};

}  // namespace seedlm

#endif  // SEEDLM_BENCH_CHILD_PROCESS_H_
