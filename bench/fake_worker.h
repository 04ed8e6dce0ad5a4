// A fake compression worker for `seedlm-bench coordinator`: a real gRPC
// client of WorkService (its own channel and connection, RegisterWorker with
// this build's codec handshake, a Heartbeat stream, LeaseWork long polls,
// CompleteWork) that answers every lease at once with the unit's
// precomputed result (prepared_units.h), so that the coordinator, not the
// search, is what is measured.
//
// It checks each lease against the prepared plan (kind, rows, bias); a
// lease that does not match (the coordinator planned with other unit sizes
// or options) stops the run with INTERNAL.
//
// Thread-safety: Register, StartLeasing and Stop from one thread; the shared
// FakeWorkerRun is updated by every worker's threads (atomics and a mutex
// inside).
#ifndef SEEDLM_BENCH_FAKE_WORKER_H_
#define SEEDLM_BENCH_FAKE_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "bench/prepared_units.h"
#include "core/compress/handshake.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/work.grpc.pb.h"

namespace seedlm {

// What all the fake workers of one run share: the answers, and the run's
// counters and time marks. `on_first_lease` / `on_last_unit` run once each,
// on a worker thread, when the first lease arrives and when the
// `units_expected`-th result is accepted.
struct FakeWorkerRun {
  using Clock = std::chrono::steady_clock;

  const PreparedUnits* prepared = nullptr;  // not owned
  std::string job_id;                       // leases of other jobs: error
  int64_t units_expected = 0;

  std::atomic<int64_t> leased{0};
  std::atomic<int64_t> accepted{0};
  std::atomic<int64_t> rejected{0};
  std::atomic<int64_t> rows_bytes{0};     // RowsData received
  std::atomic<int64_t> payload_bytes{0};  // payloads sent
  std::atomic<int64_t> heartbeats{0};
  std::atomic<bool> stop{false};

  std::function<void()> on_first_lease;
  std::function<void()> on_last_unit;
  std::once_flag first_lease_once;

  // The first error of any worker (then `stop` is set).
  void Fail(const absl::Status& s);
  absl::Status error() const;

 private:
  mutable std::mutex mu_;
  absl::Status error_;
};

class FakeWorker {
 public:
  // `handshake` is announced at registration (this build's, for the job's
  // codec). `run` must outlive the worker.
  FakeWorker(std::string address, std::string name, CodecHandshake handshake,
             FakeWorkerRun* run);
  ~FakeWorker();  // Stop()
  FakeWorker(const FakeWorker&) = delete;
  FakeWorker& operator=(const FakeWorker&) = delete;

  // Registers (RegisterWorker, waiting up to 30 s for the coordinator) and
  // opens the heartbeat stream in a thread of its own. Errors of
  // RegisterWorker as absl::Status (FAILED_PRECONDITION for a handshake the
  // coordinator refuses, UNAVAILABLE, ...). Call once.
  absl::Status Register();

  // Leases and answers units in a thread of its own until Stop() or
  // run->stop. REQUIRES: Register() succeeded; call once.
  void StartLeasing();

  // Ends the lease loop and the heartbeat stream and joins the threads.
  // Idempotent.
  void Stop();

 private:
  void LeaseLoop();
  void HeartbeatLoop();
  // Handles one leased unit: checks it, completes it with its answer.
  absl::Status Answer(const v1::LeaseWorkResponse& lease);

  const std::string address_;
  const std::string name_;
  const CodecHandshake handshake_;
  FakeWorkerRun* const run_;
  std::unique_ptr<v1::WorkService::Stub> stub_;
  std::string worker_id_;
  int64_t heartbeat_ms_ = 1000;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;  // Stop() wakes the heartbeat loop
  std::string current_lease_;     // guarded by mu_
  // The LeaseWork call in flight (Stop cancels it), guarded by mu_.
  grpc::ClientContext* lease_call_ = nullptr;
  std::thread lease_thread_;
  std::thread heartbeat_thread_;
};

}  // namespace seedlm

#endif  // SEEDLM_BENCH_FAKE_WORKER_H_
