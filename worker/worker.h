// The compression worker's gRPC loop (the `seedlm-worker` binary): dials a
// coordinator's WorkService (proto/seedlm/v1/work.proto), registers with the
// codec handshakes of every preset, keeps a heartbeat stream open, and pulls
// work units one at a time: LeaseWork -> RunUnit (unit_runner.h) ->
// CompleteWork. A thin adapter: what a unit computes is unit_runner's.
//
// Failures: a coordinator that is down or restarting is retried with capped
// exponential backoff (100 ms doubling to 2 s, jittered); every call has a
// deadline; a worker id the coordinator no longer knows (NOT_FOUND: it
// restarted) is re-registered; a broken or silent heartbeat stream is
// reopened. A lease the coordinator revokes cancels the running unit, which
// is then not completed. Stop() drains: no more leases, the unit in hand is
// finished and completed within the drain deadline (else dropped: closing
// the heartbeat stream frees it at the coordinator), then Run() returns.
//
// Logs (server/common/logging.h, keys worker, job, unit, lease): registered
// (info), unit done (debug: job, unit, blocks, seconds), unit failed or not
// accepted (warn), drain, and every reconnect or re-registration.
// Metrics (worker_metrics.h) when WorkerOptions::metrics is set.
#ifndef SEEDLM_WORKER_WORKER_H_
#define SEEDLM_WORKER_WORKER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/compress/handshake.h"
#include "core/search/searcher_factory.h"
#include "core/util/thread_pool.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/work.grpc.pb.h"
#include "server/common/logging.h"
#include "worker/unit_runner.h"
#include "worker/worker_metrics.h"

namespace seedlm::obs {
class MetricsRegistry;
}  // namespace seedlm::obs

namespace seedlm::worker {

struct WorkerOptions {
  std::string coordinator;  // "host:port" of the WorkService (required)
  std::string token;        // bearer token sent on every call ("" = none)
  std::string tls_ca;       // PEM CA bundle: dial TLS ("" = plaintext)
  int threads = 0;          // search threads; <= 0: all cores
  std::string model_root;   // where rows references are read ("" = none)
  std::string name;         // for the coordinator's logs; "" = host:pid
  // How long a drain may take to finish and complete the unit in hand.
  absl::Duration drain_deadline = absl::Seconds(60);

  // Tuning; tests shorten them.
  absl::Duration rpc_deadline = absl::Seconds(10);  // per unary call
  int64_t lease_wait_ms = 5000;  // LeaseWork's max_wait_ms (long poll)
  absl::Duration backoff_initial = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(2);
  SearchAlgorithm algorithm = SearchAlgorithm::kFast;
  // Tests only: flip one bit of the first block of this many row units'
  // payloads (with a matching CRC), as a worker with a broken search or bad
  // memory would; the coordinator's verification must catch it.
  int testing_corrupt_units = 0;
  // Where the worker registers its seedlm_worker_* metrics (not owned; must
  // outlive the worker). Null: no metrics.
  obs::MetricsRegistry* metrics = nullptr;
};

// Counters, for logs and tests.
struct WorkerStats {
  int64_t registrations = 0;      // successful RegisterWorker calls
  int64_t units_completed = 0;    // CompleteWork answered accepted
  int64_t units_rejected = 0;     // CompleteWork answered accepted = false
  int64_t units_dropped = 0;      // leases given up without a completion
  int64_t stream_reconnects = 0;  // heartbeat streams reopened
};

// Thread-safety: Run() is called once, from one thread; Stop(), Abort() and
// stats() may be called from any thread at any time.
class Worker {
 public:
  // Checks the options (INVALID_ARGUMENT: no coordinator, lease_wait_ms
  // outside 0..60000, non-positive deadlines), reads the TLS CA file and
  // opens the model root (their errors), starts the search threads and
  // computes the handshake of every preset. Does not connect.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(
      const WorkerOptions& options);
  ~Worker();  // REQUIRES: Run() is not running.
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Works until Stop() or Abort(): OK after a drain or an abort. Errors
  // when the coordinator refuses the worker for good: FAILED_PRECONDITION
  // (no handshake in common), UNAUTHENTICATED, PERMISSION_DENIED,
  // INVALID_ARGUMENT from RegisterWorker, UNAUTHENTICATED or
  // PERMISSION_DENIED from LeaseWork.
  absl::Status Run();

  // Starts a drain (see above) and returns at once. Idempotent.
  void Stop();
  // Stops now: the running unit is cancelled and not completed, calls in
  // flight are cancelled. Returns at once; Run() returns soon after.
  void Abort();

  WorkerStats stats() const;

 private:
  struct Call;  // an RPC in flight that Stop/Abort may cancel
  class Backoff;

  Worker(const WorkerOptions& options, std::vector<CodecHandshake> handshakes,
         std::unique_ptr<ModelRoot> model_root,
         std::shared_ptr<grpc::Channel> channel);

  // Registration (serialised by reg_mu_): registers unless the current id
  // differs from `stale_id` (someone re-registered already). Retries
  // transient errors until stopped (CANCELLED).
  absl::Status Register(const std::string& stale_id);
  absl::Status RegisterOnce();
  // The main loop: leases and runs units until stopped.
  absl::Status LeaseLoop();
  // Runs one leased unit and completes it (or drops it).
  void RunLease(const std::string& worker_id,
                const seedlm::v1::LeaseWorkResponse& lease);
  // What is logged about a unit once its completion is answered.
  struct UnitLog {
    std::string job;
    int64_t unit = 0;
    std::string result;
    int64_t blocks = 0;
    double seconds = 0;
    bool bias = false;    // a bias-choice unit
    bool failed = false;  // the unit's run failed (reported as a failure)
  };
  // Sends a completion until the coordinator answers or the worker stops;
  // logs the unit and its result with the answer.
  void Complete(seedlm::v1::CompleteWorkRequest request, const UnitLog& done);
  // The heartbeat thread, and one stream of it.
  void HeartbeatLoop();
  // Sets *answered once the coordinator answered on it.
  absl::Status HeartbeatStream(const std::string& worker_id, bool* answered);
  // A lease the coordinator revoked: the unit is cancelled if it is the
  // one in hand, and remembered otherwise. REQUIRES: mu_ held.
  void OnRevoked(const std::string& lease_id);
  // The drain timer: cancels the unit and calls when the deadline passes.
  void TimerLoop();

  // Sleeps up to `d`, less if the worker stops (abort; or any stop when
  // `until_stop`). Returns false if it was woken by a stop.
  bool SleepFor(absl::Duration d, bool until_stop);
  // One info (or `level`) line with this worker's name (and extra fields).
  void Log(const std::string& line,
           obs::LogLevel level = obs::LogLevel::kInfo) const;
  std::string WorkerId() const;
  void CancelCalls(bool all);  // REQUIRES: mu_ held

  const WorkerOptions options_;
  const std::vector<CodecHandshake> handshakes_;
  const std::unique_ptr<ModelRoot> model_root_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<seedlm::v1::WorkService::Stub> stub_;
  ThreadPool pool_;

  std::mutex reg_mu_;  // held while registering

  // Everything below is guarded by mu_ (std::mutex for timed waits; not
  // annotated). cv_ is notified on every change a waiter may care about.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string worker_id_;  // "" until registered
  absl::Duration heartbeat_interval_ = absl::Seconds(1);
  bool stopping_ = false;  // Stop() or Abort()
  bool aborting_ = false;  // Abort() or drain deadline passed
  bool run_done_ = false;  // Run() is returning
  absl::Time drain_deadline_ = absl::InfiniteFuture();
  absl::Status fatal_;         // set by the heartbeat thread
  std::string current_lease_;  // the lease in hand, or ""
  bool current_revoked_ = false;
  std::atomic<bool> cancel_unit_{false};  // the running unit's cancel flag
  std::set<std::string> revoked_;         // recently revoked lease ids
  std::set<Call*> calls_;                 // RPCs in flight
  WorkerStats stats_;
  std::atomic<int64_t> blocks_searched_{0};  // since the last heartbeat
  int corrupted_units_ = 0;  // run-loop thread only (testing_corrupt_units)
  const std::unique_ptr<WorkerMetrics> metrics_;  // null without a registry
};

}  // namespace seedlm::worker

#endif  // SEEDLM_WORKER_WORKER_H_
