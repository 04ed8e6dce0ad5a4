// The server's side of one attachment (proto/seedlm/v1/executor.proto): an
// AttachedExecutor (attached_executor.h) that drives a seedlm-executor
// process over the bidirectional Attach stream the executor opened.
//
// The ExecutorService handler (executor_service.h) owns the stream and its
// ServerContext, makes a RemoteExecutor after the Hello, hands it to the
// pool and runs Serve() on its own thread until the attachment ends. Serve
// is the only reader: it passes WeightAcks, Loaded, StepResults and
// ExecutorErrors to the engine thread's call that waits for them (Load or
// Step). Writes (Assign, weights, Step, Ping) are serialised; gRPC allows one
// Read and one Write at a time on a stream. A heartbeat thread, started by
// Serve, sends Ping every ping_interval and drops the executor when nothing
// was read for heartbeat_timeout.
//
// Failures: every error of Load, Open or Step (the stream broke, the
// executor reported an error, a timeout, a malformed answer) ends the
// attachment (alive() becomes false) and is returned with a message that
// names the executor; Step then returns UNAVAILABLE. Only a Step that could
// not be sent at all (INVALID_ARGUMENT: rows that do not match the hidden
// states, a step over rpc::kMaxMessageBytes) leaves it alive.
//
// Thread-safety: AttachedExecutor's (Load, Open, Close, Step from one
// thread at a time; the accessors, alive() and Fail() from any thread);
// Serve from the handler's thread, once.

#ifndef SEEDLM_SERVER_EXECUTOR_REMOTE_EXECUTOR_H_
#define SEEDLM_SERVER_EXECUTOR_REMOTE_EXECUTOR_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/util/mutex.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/executor.grpc.pb.h"
#include "server/executor/attached_executor.h"

namespace seedlm::serve {

namespace v1 = ::seedlm::v1;

struct RemoteExecutorOptions {
  // Drop the executor when nothing was read from it for this long.
  absl::Duration heartbeat_timeout = absl::Seconds(5);
  // How often the server sends Ping.
  absl::Duration ping_interval = absl::Seconds(1);
  // How long a Step waits for its StepResult.
  absl::Duration step_timeout = absl::Seconds(120);
  // Weight chunks: payload bytes per chunk (at most 1 MiB by the protocol)
  // and how many may be unacknowledged (Assign.window_chunks).
  int64_t chunk_bytes = 1 << 20;
  int window_chunks = 8;
  // Tests only: flips one byte of the first weight chunk of every Load, so
  // that the executor refuses the weights (DATA_LOSS).
  bool corrupt_weights_for_testing = false;
};

// How long Load waits for Loaded: 60 s plus 1 s per 50 MB of weights.
absl::Duration LoadTimeout(uint64_t total_bytes);

class RemoteExecutor final : public AttachedExecutor {
 public:
  using Stream =
      grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>;

  // `context` and `stream` (not owned) belong to the Attach handler, which
  // must call Serve() and not return before it does.
  RemoteExecutor(std::string id, ExecutorAnnouncement announcement,
                 grpc::ServerContext* context, Stream* stream,
                 const RemoteExecutorOptions& options);
  ~RemoteExecutor() override;
  RemoteExecutor(const RemoteExecutor&) = delete;
  RemoteExecutor& operator=(const RemoteExecutor&) = delete;

  // Reads the stream until the attachment ends and returns its final
  // status: OK when the executor closed its side, the error that ended it
  // otherwise (INVALID_ARGUMENT for a malformed or out-of-order message, the
  // executor's own ExecutorError code such as DATA_LOSS, UNAVAILABLE for a
  // missed heartbeat or Fail()). Once it returns the stream is never touched
  // again and alive() is false. Call once.
  absl::Status Serve();

  // AttachedExecutor.
  const std::string& id() const override { return id_; }
  const ExecutorAnnouncement& announcement() const override {
    return announcement_;
  }
  absl::Status Load(LayerRange range, const WeightSource& weights,
                    const ExecutorBuild& build) override;
  bool alive() const override;
  void Fail(const absl::Status& why) override;

  // Executor. Open and Close only record the change (checked against
  // max_sequences and the open set here); the next Step carries it.
  int layer_begin() const override;
  int layer_end() const override;
  std::string description() const override;
  absl::Status Open(int64_t seq) override;
  void Close(int64_t seq) override;
  absl::Status Step(absl::Span<const ExecutorRows> rows,
                    absl::Span<float> hidden) override;
  uint64_t weight_bytes() const override;
  uint64_t memory_bytes() const override;

 private:
  using Clock = std::chrono::steady_clock;

  // "executor ex-1 (name, layers [b, e))".
  std::string Who() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the attachment with `why` (first call wins); cancels the call when
  // `cancel` (Serve's Read must return).
  void FailLocked(const absl::Status& why, bool cancel)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes one message (serialised). False when the stream is closed or
  // the write failed; the caller then fails the attachment.
  bool Write(const v1::ServerMessage& message) ABSL_LOCKS_EXCLUDED(mu_);
  // Serve's handling of one message; an error ends the attachment.
  absl::Status Dispatch(const v1::ExecutorMessage& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Heartbeat() ABSL_LOCKS_EXCLUDED(mu_);
  // Load's parts: streams the tensors of `names` for plan `plan`, then
  // waits for Loaded.
  absl::Status SendWeights(int64_t plan, const WeightSource& weights,
                           const std::vector<std::string>& names,
                           Clock::time_point deadline);
  absl::Status AwaitLoaded(int64_t plan, Clock::time_point deadline);
  // Step's checks before anything is sent: INVALID_ARGUMENT (rows, their
  // size, the message limit), NOT_FOUND (a sequence not open).
  absl::Status CheckStep(absl::Span<const ExecutorRows> rows,
                         size_t floats) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The error a waiting call returns once the attachment ended.
  absl::Status DeadError(absl::string_view doing) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string id_;
  const ExecutorAnnouncement announcement_;
  grpc::ServerContext* const context_;
  Stream* const stream_;
  const RemoteExecutorOptions options_;

  Mutex write_mu_;  // serialises stream_->Write

  mutable Mutex mu_;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_ ABSL_GUARDED_BY(mu_);   // why it died
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // Serve returned: no writes
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  Clock::time_point last_read_ ABSL_GUARDED_BY(mu_);
  // The current assignment (valid once Loaded).
  LayerRange range_ ABSL_GUARDED_BY(mu_);
  int dim_ ABSL_GUARDED_BY(mu_) = 0;
  int max_sequences_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t weight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t memory_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // A Load in progress: its plan, chunks acknowledged, Loaded once there.
  int64_t next_plan_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t load_plan_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t chunks_sent_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t chunks_acked_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<v1::Loaded> loaded_ ABSL_GUARDED_BY(mu_);
  // A Step in progress and its result once there.
  int64_t next_step_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t step_pending_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<std::string> step_result_ ABSL_GUARDED_BY(mu_);
  // Sequences open (as the engine sees them) and the changes the next Step
  // carries.
  std::set<int64_t> open_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> to_open_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> to_close_ ABSL_GUARDED_BY(mu_);
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_EXECUTOR_REMOTE_EXECUTOR_H_
