// The seedlm-executor process's gRPC loop: dials a seedlm-serve server's
// ExecutorService (proto/seedlm/v1/executor.proto), attaches (Hello), and
// runs the layers the server assigns it on a CpuExecutor (kind "cpu"), or
// with their packed linear layers on the simulated FPGA engine (kind
// "fpga-sim", fpga/host/fpga_linear.h; builds with Verilator only), for as
// long as it serves. What a message does is the RPC-free Attachment's
// (executor/attachment.h); this adapter moves messages:
//  - a reader thread reads the stream and answers Ping with Pong at once;
//    every other message goes, in order, to ONE compute thread (a FIFO),
//    which applies it and writes the answers (writes are serialised), so
//    Pongs flow while weights load or a step computes;
//  - an attachment that fails for good (the Attachment's fatal error: a CRC
//    mismatch, a malformed message, a plan over --max-memory) sends its
//    ExecutorError, closes the stream and makes Run() return that error;
//  - a stream the server ends with UNAUTHENTICATED, PERMISSION_DENIED,
//    FAILED_PRECONDITION, INVALID_ARGUMENT or DATA_LOSS makes Run() return
//    it; any other end (the server restarted or is unreachable) is retried
//    with capped exponential backoff until Stop().
//
// Logs (stderr, or ExecutorAgentOptions::log): "attached to ADDR",
// "loading layers [a, b): N tensors, B bytes", "loaded layers [a, b) in X s
// (B bytes held) on KIND (...)", "detached: ..."; for fpga-sim also the
// engine ("fpga-sim: N linear layers on seedlm_engine ..."), every ~64
// tokens the simulated cycles per token, and each step's cycles at debug
// level (stderr only: not through ExecutorAgentOptions::log).

#ifndef SEEDLM_EXECUTOR_AGENT_H_
#define SEEDLM_EXECUTOR_AGENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/util/mutex.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/executor.grpc.pb.h"

namespace seedlm::obs {
class MetricsRegistry;
}  // namespace seedlm::obs

namespace seedlm::executor {

class ExecutorMetrics;

// Whether this build runs kind "fpga-sim" (CMake with Verilator defines
// SEEDLM_HAVE_FPGA_SIM for the executor library and its users).
#ifdef SEEDLM_HAVE_FPGA_SIM
inline constexpr bool kHaveFpgaSim = true;
#else
inline constexpr bool kHaveFpgaSim = false;
#endif

struct ExecutorAgentOptions {
  std::string server;  // "host:port" of the ExecutorService (required)
  // "cpu", or "fpga-sim" where kHaveFpgaSim (attachment.h).
  std::string kind = "cpu";
  int threads = 1;  // compute threads, 1..1024 (fpga-sim: always 1)
  // fpga-sim: the engine's memory port in bytes per cycle, 1..4096 (the
  // engine may accept fewer: its error then fails the attachment).
  int fpga_bytes_per_cycle = 64;
  uint64_t max_memory_bytes = 0;  // what it may hold; 0: no limit
  std::string token;              // bearer token ("" = none)
  std::string tls_ca;             // PEM CA bundle: dial TLS ("" = plaintext)
  std::string name;               // at most 128 bytes; "" = the host name
  // Reconnect backoff: initial, doubling up to max.
  absl::Duration backoff_initial = absl::Milliseconds(200);
  absl::Duration backoff_max = absl::Seconds(5);
  // After a fatal error, how long to wait for the server to end the stream
  // before cancelling it.
  absl::Duration close_timeout = absl::Seconds(5);
  // Where log lines go; null: obs::LogInfo (server/common/logging.h).
  std::function<void(const std::string&)> log;
  // Where the agent registers its seedlm_executor_* metrics
  // (executor_metrics.h; not owned; must outlive the agent). Null: no
  // metrics.
  obs::MetricsRegistry* metrics = nullptr;
};

// Counters, for logs and tests.
struct ExecutorAgentStats {
  int64_t streams = 0;   // Attach streams opened
  int64_t attached = 0;  // streams on which the server answered
  int64_t pongs = 0;     // Pings answered
  int64_t steps = 0;     // StepResults sent
};

// Thread-safety: Run() once, from one thread; Stop() and stats() from any
// thread at any time.
class ExecutorAgent {
 public:
  // Checks the options (INVALID_ARGUMENT: no server, a kind other than
  // "cpu" and (where kHaveFpgaSim) "fpga-sim", threads outside 1..1024,
  // bytes per cycle outside 1..4096, a name over 128 bytes, bad backoff) and
  // reads the TLS CA file (its errors). Does not connect. fpga-sim runs one
  // thread whatever `threads` says (and says so in Hello).
  static absl::StatusOr<std::unique_ptr<ExecutorAgent>> Create(
      ExecutorAgentOptions options);
  ~ExecutorAgent();  // REQUIRES: Run() is not running.
  ExecutorAgent(const ExecutorAgent&) = delete;
  ExecutorAgent& operator=(const ExecutorAgent&) = delete;

  // Serves until Stop() (OK) or a refusal or fatal error (see the file
  // comment): that error.
  absl::Status Run();
  // Ends Run(): cancels the stream (a step in progress finishes first) and
  // any backoff wait. Idempotent; returns at once.
  void Stop();

  ExecutorAgentStats stats() const;

 private:
  class Stream;  // one Attach stream (agent.cc)

  ExecutorAgent(ExecutorAgentOptions options,
                std::shared_ptr<grpc::Channel> channel);
  // One attachment: returns how the stream ended, or the fatal error.
  // Sets *answered when the server sent anything.
  absl::Status AttachOnce(bool* answered, bool* fatal);
  void Log(const std::string& line) const;

  const ExecutorAgentOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::ExecutorService::Stub> stub_;
  const std::unique_ptr<ExecutorMetrics> metrics_;  // null without a registry

  mutable Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // in flight
  ExecutorAgentStats stats_ ABSL_GUARDED_BY(mu_);
};

// Whether a stream that ended with `code` means the server refused this
// executor for good (no retry).
bool IsRefusal(absl::StatusCode code);

}  // namespace seedlm::executor

#endif  // SEEDLM_EXECUTOR_AGENT_H_
