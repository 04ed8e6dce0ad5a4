// The gRPC ExecutorService (proto/seedlm/v1/executor.proto): where
// seedlm-executor processes attach to seedlm-serve. Each Attach call checks
// the caller's bearer token (TokenTable, proto/rpc/credentials.h: role
// executor, or admin), reads and validates the Hello (within hello_timeout),
// wraps the stream in a RemoteExecutor (remote_executor.h) named "ex-<n>"
// in attach order, hands it to the ExecutorPool (executor_pool.h), serves
// it until the attachment ends, and detaches it. The attachment's status
// becomes the call's through proto/rpc/status.h.
//
// Call status: UNAUTHENTICATED / PERMISSION_DENIED (the token);
// FAILED_PRECONDITION for a protocol version other than V1;
// INVALID_ARGUMENT for a missing or malformed Hello (kind "cpu" or
// "fpga-sim", threads 1..1024, memory_bytes >= 0, name at most 128 bytes)
// or a later malformed message; DEADLINE_EXCEEDED without a Hello in time;
// the executor's own code (e.g. DATA_LOSS) when it refused the weights;
// CANCELLED when the server dropped it (missed heartbeat, failed step,
// shutdown).
//
// Thread-safe (the sync gRPC server calls it from many threads; each
// attachment holds one of them for as long as it lasts).

#ifndef SEEDLM_SERVER_EXECUTOR_EXECUTOR_SERVICE_H_
#define SEEDLM_SERVER_EXECUTOR_EXECUTOR_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/credentials.h"
#include "seedlm/v1/executor.grpc.pb.h"
#include "server/executor/executor_pool.h"
#include "server/executor/remote_executor.h"

namespace seedlm::serve {

struct ExecutorServiceOptions {
  // How long an attaching executor has to send its Hello.
  absl::Duration hello_timeout = absl::Seconds(10);
  // The attachment's (RemoteExecutorOptions).
  absl::Duration heartbeat_timeout = absl::Seconds(5);
  absl::Duration ping_interval = absl::Seconds(1);
  absl::Duration step_timeout = absl::Seconds(120);
  bool corrupt_weights_for_testing = false;
};

// The announcement a Hello makes, or INVALID_ARGUMENT naming the field
// (FAILED_PRECONDITION for the protocol version). Exposed for tests.
absl::StatusOr<ExecutorAnnouncement> AnnouncementFromHello(
    const v1::Hello& hello);

class ExecutorServiceImpl final : public v1::ExecutorService::Service {
 public:
  // Borrows `pool` and `tokens` (an empty table: auth off); they must
  // outlive the service.
  ExecutorServiceImpl(ExecutorPool* pool, const rpc::TokenTable* tokens,
                      const ExecutorServiceOptions& options);

  grpc::Status Attach(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>* stream)
      override;

 private:
  absl::Status Serve(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>* stream);

  ExecutorPool* const pool_;
  const rpc::TokenTable* const tokens_;
  const ExecutorServiceOptions options_;
  std::atomic<int64_t> attached_{0};  // ids handed out
};

// Creates the service and registers it on `builder` (call before
// BuildAndStart). The caller keeps the returned service alive until the
// server built from `builder` is destroyed; `pool` and `tokens` must
// outlive it.
std::unique_ptr<ExecutorServiceImpl> RegisterExecutorService(
    grpc::ServerBuilder& builder, ExecutorPool* pool,
    const rpc::TokenTable* tokens, const ExecutorServiceOptions& options = {});

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_EXECUTOR_EXECUTOR_SERVICE_H_
