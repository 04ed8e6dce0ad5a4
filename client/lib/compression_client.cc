// CompressionClient: connection, the unary calls and WatchJob. Uploads are
// in upload.cc, downloads in fetch.cc.
#include "client/lib/compression_client.h"

#include <cstdio>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/lib/retry.h"
#include "core/util/status_macros.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

namespace seedlm::client {
namespace {

using internal::Annotate;
using internal::Backoff;
using internal::IsTransient;
using internal::SleepBackoff;

// How errors name the server (retry.h Annotate).
constexpr char kServer[] = "coordinator";

// 128 random bits as 32 hex characters: an idempotency key.
std::string RandomRequestId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&id, absl::StrFormat("%08x", rd()));
  }
  return id;
}

// Most pages ListJobs follows (a server that never ends its listing).
constexpr int kMaxListPages = 100000;

}  // namespace

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

std::string JobStateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED:
      return "queued";
    case v1::JOB_STATE_RUNNING:
      return "running";
    case v1::JOB_STATE_ASSEMBLING:
      return "assembling";
    case v1::JOB_STATE_SUCCEEDED:
      return "succeeded";
    case v1::JOB_STATE_FAILED:
      return "failed";
    case v1::JOB_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unspecified";
  }
}

absl::StatusOr<std::unique_ptr<CompressionClient>> CompressionClient::Connect(
    const ClientOptions& options) {
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::Channel> channel,
      internal::ConnectChannel(kServer, options.address, options.tls_ca_path,
                               options.connect_timeout));
  return std::make_unique<CompressionClient>(options, std::move(channel));
}

CompressionClient::CompressionClient(const ClientOptions& options,
                                     std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::CompressionService::NewStub(channel_)) {}

void CompressionClient::Prepare(grpc::ClientContext& context,
                                absl::Time deadline) const {
  context.set_deadline(internal::ToGrpcDeadline(deadline));
  rpc::AttachToken(context, options_.token);
}

namespace {

// The shared retry loop (retry.h), naming the coordinator.
absl::Status RetryUnary(
    const std::function<grpc::Status(absl::Time deadline)>& attempt,
    absl::Duration timeout, const std::string& address, const char* what,
    int* attempts = nullptr) {
  return internal::RetryUnary(attempt, timeout, kServer, address, what,
                              attempts);
}

}  // namespace

absl::StatusOr<v1::Job> CompressionClient::SubmitJob(
    v1::SubmitJobRequest request) const {
  if (request.request_id().empty()) request.set_request_id(RandomRequestId());
  v1::Job job;
  RETURN_IF_ERROR(RetryUnary(
      [&](absl::Time deadline) {
        grpc::ClientContext ctx;
        Prepare(ctx, deadline);
        return stub_->SubmitJob(&ctx, request, &job);
      },
      options_.call_timeout, options_.address, "SubmitJob"));
  return job;
}

absl::StatusOr<v1::Job> CompressionClient::GetJob(
    const std::string& job_id) const {
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  RETURN_IF_ERROR(RetryUnary(
      [&](absl::Time deadline) {
        grpc::ClientContext ctx;
        Prepare(ctx, deadline);
        return stub_->GetJob(&ctx, request, &job);
      },
      options_.call_timeout, options_.address, "GetJob"));
  return job;
}

absl::StatusOr<std::vector<v1::Job>> CompressionClient::ListJobs() const {
  std::vector<v1::Job> jobs;
  v1::ListJobsRequest request;
  for (int page = 0; page < kMaxListPages; ++page) {
    v1::ListJobsResponse response;
    RETURN_IF_ERROR(RetryUnary(
        [&](absl::Time deadline) {
          grpc::ClientContext ctx;
          Prepare(ctx, deadline);
          response.Clear();
          return stub_->ListJobs(&ctx, request, &response);
        },
        options_.call_timeout, options_.address, "ListJobs"));
    for (v1::Job& job : *response.mutable_jobs()) jobs.push_back(job);
    if (response.next_page_token().empty()) return jobs;
    if (response.next_page_token() == request.page_token()) {
      return absl::UnknownError(
          "ListJobs: the coordinator returned the same page token twice");
    }
    request.set_page_token(response.next_page_token());
  }
  return absl::UnknownError(
      absl::StrCat("ListJobs: the coordinator's listing did not end after ",
                   kMaxListPages, " pages"));
}

absl::StatusOr<v1::Job> CompressionClient::CancelJob(
    const std::string& job_id) const {
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  v1::Job job;
  RETURN_IF_ERROR(RetryUnary(
      [&](absl::Time deadline) {
        grpc::ClientContext ctx;
        Prepare(ctx, deadline);
        return stub_->CancelJob(&ctx, request, &job);
      },
      options_.call_timeout, options_.address, "CancelJob"));
  return job;
}

absl::Status CompressionClient::DeleteJob(const std::string& job_id) const {
  v1::DeleteJobRequest request;
  request.set_job_id(job_id);
  int attempts = 0;
  const absl::Status s = RetryUnary(
      [&](absl::Time deadline) {
        grpc::ClientContext ctx;
        Prepare(ctx, deadline);
        v1::DeleteJobResponse response;
        return stub_->DeleteJob(&ctx, request, &response);
      },
      options_.call_timeout, options_.address, "DeleteJob", &attempts);
  // A retry that finds the job gone: the lost first attempt deleted it.
  if (absl::IsNotFound(s) && attempts > 1) return absl::OkStatus();
  return s;
}

absl::StatusOr<v1::Job> CompressionClient::WatchJob(const std::string& job_id,
                                                    const JobCallback& callback,
                                                    absl::Time deadline) const {
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  Backoff backoff;
  while (true) {
    grpc::ClientContext ctx;
    Prepare(ctx, deadline);
    std::unique_ptr<grpc::ClientReader<v1::Job>> reader =
        stub_->WatchJob(&ctx, request);
    v1::Job job;
    while (reader->Read(&job)) {
      backoff.Reset();
      if (callback) callback(job);
      if (IsTerminal(job.state())) {
        ctx.TryCancel();  // the rest of the stream is not needed
        (void)reader->Finish();
        return job;
      }
    }
    absl::Status s = rpc::FromGrpcStatus(reader->Finish());
    if (s.ok()) {
      s = absl::UnavailableError("the watch stream ended before the job did");
    }
    if (!IsTransient(s, /*stream=*/true)) {
      return Annotate(s, kServer, options_.address, "WatchJob");
    }
    if (!SleepBackoff(backoff, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "WatchJob: job ", job_id,
          " did not end before the deadline; last error: ", s.message()));
    }
  }
}

}  // namespace seedlm::client
