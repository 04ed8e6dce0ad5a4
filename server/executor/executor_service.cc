// ExecutorService: the Attach handler.
#include "server/executor/executor_service.h"

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/mutex.h"
#include "core/util/status_macros.h"
#include "proto/rpc/status.h"

namespace seedlm::serve {
namespace {

constexpr int kMaxThreads = 1024;
constexpr size_t kMaxNameBytes = 128;

using Stream = grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>;

// Reads the first message within `timeout` (the call is cancelled past it).
absl::StatusOr<v1::Hello> ReadHello(grpc::ServerContext* context,
                                    Stream* stream, absl::Duration timeout) {
  Mutex mu;
  bool done = false;
  std::thread watchdog([&] {
    MutexLock l(&mu);
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            absl::ToChronoNanoseconds(timeout));
    if (!mu.AwaitWithDeadline([&] { return done; }, deadline)) {
      context->TryCancel();
    }
  });
  v1::ExecutorMessage first;
  const bool read = stream->Read(&first);
  bool timed_out = false;
  {
    MutexLock l(&mu);
    done = true;
  }
  watchdog.join();
  timed_out = context->IsCancelled();
  if (!read || timed_out) {
    if (timed_out) {
      return absl::DeadlineExceededError(
          absl::StrCat("no Hello within ", absl::FormatDuration(timeout)));
    }
    return absl::InvalidArgumentError("the stream ended before a Hello");
  }
  if (first.kind_case() != v1::ExecutorMessage::kHello) {
    return absl::InvalidArgumentError(
        "the first message of an attachment must be a Hello");
  }
  return first.hello();
}

}  // namespace

absl::StatusOr<ExecutorAnnouncement> AnnouncementFromHello(
    const v1::Hello& hello) {
  if (hello.protocol_version() != v1::EXECUTOR_PROTOCOL_V1) {
    return absl::FailedPreconditionError(
        absl::StrCat("Hello.protocol_version: ", hello.protocol_version(),
                     " is not supported (this server speaks ",
                     static_cast<int>(v1::EXECUTOR_PROTOCOL_V1), ")"));
  }
  if (hello.kind() != "cpu" && hello.kind() != "fpga-sim") {
    return absl::InvalidArgumentError(absl::StrCat(
        "Hello.kind: \"", hello.kind(), "\" (expected cpu or fpga-sim)"));
  }
  if (hello.threads() < 1 || hello.threads() > kMaxThreads) {
    return absl::InvalidArgumentError(
        absl::StrCat("Hello.threads: ", hello.threads(), " (expected 1..",
                     kMaxThreads, ")"));
  }
  if (hello.memory_bytes() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Hello.memory_bytes: ", hello.memory_bytes(), " is negative"));
  }
  if (hello.name().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Hello.name: ", hello.name().size(), " bytes, at most ",
                     kMaxNameBytes));
  }
  ExecutorAnnouncement a;
  a.kind = hello.kind();
  a.name = hello.name();
  a.threads = hello.threads();
  a.memory_bytes = static_cast<uint64_t>(hello.memory_bytes());
  return a;
}

ExecutorServiceImpl::ExecutorServiceImpl(ExecutorPool* pool,
                                         const rpc::TokenTable* tokens,
                                         const ExecutorServiceOptions& options)
    : pool_(pool), tokens_(tokens), options_(options) {}

grpc::Status ExecutorServiceImpl::Attach(grpc::ServerContext* context,
                                         Stream* stream) {
  return rpc::ToGrpcStatus(Serve(context, stream));
}

absl::Status ExecutorServiceImpl::Serve(grpc::ServerContext* context,
                                        Stream* stream) {
  RETURN_IF_ERROR(
      tokens_->Check(rpc::BearerToken(*context), rpc::Role::kExecutor)
          .status());
  ASSIGN_OR_RETURN(v1::Hello hello,
                   ReadHello(context, stream, options_.hello_timeout));
  ASSIGN_OR_RETURN(ExecutorAnnouncement announcement,
                   AnnouncementFromHello(hello));
  RemoteExecutorOptions o;
  o.heartbeat_timeout = options_.heartbeat_timeout;
  o.ping_interval = options_.ping_interval;
  o.step_timeout = options_.step_timeout;
  o.corrupt_weights_for_testing = options_.corrupt_weights_for_testing;
  const std::string id = absl::StrCat("ex-", ++attached_);
  auto remote = std::make_shared<RemoteExecutor>(id, std::move(announcement),
                                                 context, stream, o);
  pool_->Attach(remote);
  const absl::Status status = remote->Serve();
  pool_->Detach(id);
  return status;
}

std::unique_ptr<ExecutorServiceImpl> RegisterExecutorService(
    grpc::ServerBuilder& builder, ExecutorPool* pool,
    const rpc::TokenTable* tokens, const ExecutorServiceOptions& options) {
  auto service = std::make_unique<ExecutorServiceImpl>(pool, tokens, options);
  builder.RegisterService(service.get());
  return service;
}

}  // namespace seedlm::serve
