#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace seedlm {
namespace testing {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// In the child: point `fd` at `path` (or /dev/null), or at pipe end `pipe_w`.
void Redirect(int fd, const std::string& path, int pipe_w) {
  int target = pipe_w;
  if (target < 0) {
    target = ::open(path.empty() ? "/dev/null" : path.c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (target < 0 || ::dup2(target, fd) < 0) ::_exit(126);
}

// Forks and execs argv; out_w/err_w >= 0 are pipe ends for stdout/stderr.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const SubprocessOptions& o, int out_w, int err_w) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& e : o.env) env_strings.push_back(e);
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a kill reaches what it started
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    Redirect(1, o.stdout_path, out_w);
    Redirect(2, o.stderr_path, err_w);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  return pid;
}

SubprocessResult FromStatus(int status) {
  SubprocessResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

// Reads both pipes until EOF or the deadline.
bool Drain(int out_r, int err_r, Clock::time_point deadline,
           SubprocessResult* r) {
  struct pollfd fds[2] = {{out_r, POLLIN, 0}, {err_r, POLLIN, 0}};
  std::string* sinks[2] = {&r->out, &r->err};
  int open_fds = (out_r >= 0) + (err_r >= 0);
  char buf[65536];
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) return false;
    const int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  return true;
}

// Waits for `pid` until `deadline`; true and *status if it exited.
bool WaitUntil(pid_t pid, Clock::time_point deadline, int* status) {
  for (;;) {
    const pid_t got = ::waitpid(pid, status, WNOHANG);
    if (got == pid) return true;
    if (got < 0 && errno != EINTR) return true;  // already reaped elsewhere
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Kills the child's process group and the child, then reaps it.
int KillAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if ((options.stdout_path.empty() && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
      (options.stderr_path.empty() && ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
    return Errno("pipe");
  }
  const Clock::time_point deadline = Clock::now() + options.timeout;
  absl::StatusOr<pid_t> pid = Spawn(argv, options, out_pipe[1], err_pipe[1]);
  for (int fd : {out_pipe[1], err_pipe[1]}) {
    if (fd >= 0) ::close(fd);
  }
  SubprocessResult captured;
  bool in_time = true;
  if (pid.ok()) in_time = Drain(out_pipe[0], err_pipe[0], deadline, &captured);
  for (int fd : {out_pipe[0], err_pipe[0]}) {
    if (fd >= 0) ::close(fd);
  }
  if (!pid.ok()) return pid.status();
  int status = 0;
  if (in_time) in_time = WaitUntil(*pid, deadline, &status);
  if (!in_time) status = KillAndReap(*pid);
  SubprocessResult r = FromStatus(status);
  r.timed_out = !in_time;
  r.out = std::move(captured.out);
  r.err = std::move(captured.err);
  return r;
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  absl::StatusOr<pid_t> pid = Spawn(argv, options, -1, -1);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<Subprocess>(new Subprocess(*pid));
}

Subprocess::~Subprocess() {
  if (!reaped_) KillAndReap(pid_);
}

void Subprocess::Kill(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

absl::StatusOr<SubprocessResult> Subprocess::Wait(
    std::chrono::milliseconds timeout) {
  if (reaped_) return result_;
  int status = 0;
  if (!WaitUntil(pid_, Clock::now() + timeout, &status)) {
    return absl::DeadlineExceededError(
        absl::StrCat("process ", pid_, " still running"));
  }
  reaped_ = true;
  result_ = FromStatus(status);
  return result_;
}

}  // namespace testing
}  // namespace seedlm
