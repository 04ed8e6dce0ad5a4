// The coordinator's gRPC services: thin adapters over Coordinator
// (coordinator.h). Each call checks the caller's bearer token (TokenTable,
// proto/rpc/credentials.h), converts the request to RPC-free values, calls
// the coordinator, and converts the result; absl::Status becomes
// grpc::Status only through proto/rpc/status.h. Request fields are bounded
// here or in the coordinator (ValidateJobSpec, UploadReceiver): a hostile
// field is INVALID_ARGUMENT, never a crash.
//
// Thread-safe (the sync gRPC server calls them from many threads).
#ifndef SEEDLM_SERVER_COORDINATOR_SERVICES_H_
#define SEEDLM_SERVER_COORDINATOR_SERVICES_H_

#include <atomic>

#include "proto/rpc/credentials.h"
#include "seedlm/v1/compression.grpc.pb.h"
#include "seedlm/v1/work.grpc.pb.h"
#include "server/coordinator/coordinator.h"
#include "server/coordinator/job_proto.h"

namespace seedlm::coordinator {

// CompressionService: role client (admins see every job).
class CompressionServiceImpl final : public v1::CompressionService::Service {
 public:
  // Borrows both; they must outlive the service.
  CompressionServiceImpl(Coordinator* coordinator,
                         const rpc::TokenTable* tokens)
      : coordinator_(coordinator), tokens_(tokens) {}

  // Makes WatchJob streams end (UNAVAILABLE) so a draining server can stop.
  void StopStreams() { stopping_ = true; }

  grpc::Status UploadModel(grpc::ServerContext* context,
                           grpc::ServerReader<v1::UploadModelRequest>* reader,
                           v1::UploadModelResponse* response) override;
  grpc::Status SubmitJob(grpc::ServerContext* context,
                         const v1::SubmitJobRequest* request,
                         v1::Job* response) override;
  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* context,
                        const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override;
  grpc::Status CancelJob(grpc::ServerContext* context,
                         const v1::CancelJobRequest* request,
                         v1::Job* response) override;
  grpc::Status DeleteJob(grpc::ServerContext* context,
                         const v1::DeleteJobRequest* request,
                         v1::DeleteJobResponse* response) override;
  grpc::Status FetchResult(
      grpc::ServerContext* context, const v1::FetchResultRequest* request,
      grpc::ServerWriter<v1::FetchResultChunk>* writer) override;

 private:
  Coordinator* const coordinator_;
  const rpc::TokenTable* const tokens_;
  std::atomic<bool> stopping_{false};
};

// WorkService: role worker.
class WorkServiceImpl final : public v1::WorkService::Service {
 public:
  WorkServiceImpl(Coordinator* coordinator, const rpc::TokenTable* tokens)
      : coordinator_(coordinator), tokens_(tokens) {}

  void StopStreams() { stopping_ = true; }

  grpc::Status RegisterWorker(grpc::ServerContext* context,
                              const v1::RegisterWorkerRequest* request,
                              v1::RegisterWorkerResponse* response) override;
  grpc::Status Heartbeat(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::HeartbeatResponse, v1::HeartbeatRequest>*
          stream) override;
  grpc::Status LeaseWork(grpc::ServerContext* context,
                         const v1::LeaseWorkRequest* request,
                         v1::LeaseWorkResponse* response) override;
  grpc::Status CompleteWork(grpc::ServerContext* context,
                            const v1::CompleteWorkRequest* request,
                            v1::CompleteWorkResponse* response) override;

 private:
  Coordinator* const coordinator_;
  const rpc::TokenTable* const tokens_;
  std::atomic<bool> stopping_{false};
};

// A SubmitJobRequest as a JobSpec (not yet validated: ValidateJobSpec).
absl::StatusOr<JobSpec> JobSpecFromProto(const v1::SubmitJobRequest& request);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_SERVICES_H_
