// CompressionService: the gRPC adapter of the client-facing calls.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/util/file_util.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/status.h"
#include "server/coordinator/services.h"

namespace seedlm::coordinator {
namespace {

using rpc::ToGrpcStatus;

constexpr size_t kFetchChunkBytes = 1 << 20;
// The least time between two WatchJob messages.
constexpr absl::Duration kWatchInterval = absl::Milliseconds(250);

absl::StatusOr<Caller> Authorize(const grpc::ServerContext& context,
                                 const rpc::TokenTable& tokens) {
  absl::StatusOr<rpc::Principal> p =
      tokens.Check(rpc::BearerToken(context), rpc::Role::kClient);
  if (!p.ok()) return p.status();
  return Caller{p->name, p->role == rpc::Role::kAdmin};
}

absl::Status CheckJobId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError("job_id: 1..64 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JobSpec> JobSpecFromProto(const v1::SubmitJobRequest& request) {
  JobSpec spec;
  const v1::ModelRef& m = request.model();
  spec.server_path = m.server_path();
  spec.upload_id = m.upload_id();
  spec.upload_model_path = m.upload_model_path();
  spec.tokenizer_path = m.tokenizer_path();
  const v1::CompressionOptions& o = request.options();
  spec.preset = o.preset();
  absl::StatusOr<ExponentMode> mode = rpc::FromProto(o.exponent_mode());
  if (!mode.ok()) return mode.status();
  spec.mode = *mode;
  if (o.has_exponent_bias() && o.exponent_bias_auto()) {
    return absl::InvalidArgumentError(
        "options: exponent_bias and exponent_bias_auto exclude each other");
  }
  if (o.has_exponent_bias()) {
    spec.bias_policy = BiasPolicy::kFixed;
    spec.bias = o.exponent_bias();
  } else if (o.exponent_bias_auto()) {
    spec.bias_policy = BiasPolicy::kAuto;
  }
  if (o.include_size() > static_cast<int>(kMaxPatterns) ||
      o.exclude_size() > static_cast<int>(kMaxPatterns)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options: at most ", kMaxPatterns, " include/exclude patterns"));
  }
  spec.include.assign(o.include().begin(), o.include().end());
  spec.exclude.assign(o.exclude().begin(), o.exclude().end());
  spec.request_id = request.request_id();
  spec.display_name = request.display_name();
  return spec;
}

grpc::Status CompressionServiceImpl::UploadModel(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::UploadModelRequest>* reader,
    v1::UploadModelResponse* response) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  v1::UploadModelRequest msg;
  if (!reader->Read(&msg) || !msg.has_manifest()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "UploadModel: the first message must be the manifest"));
  }
  if (msg.manifest().files_size() > static_cast<int>(kMaxUploadFiles)) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("manifest: at most ", kMaxUploadFiles, " files")));
  }
  std::vector<UploadFileSpec> files;
  for (const v1::UploadFile& f : msg.manifest().files()) {
    files.push_back(
        UploadFileSpec{f.relative_path(), f.size_bytes(), f.sha256()});
  }
  absl::StatusOr<std::unique_ptr<UploadSession>> session =
      coordinator_->BeginUpload(*caller, std::move(files));
  if (!session.ok()) return ToGrpcStatus(session.status());
  while (reader->Read(&msg)) {
    if (!msg.has_chunk()) {
      return ToGrpcStatus(
          absl::InvalidArgumentError("UploadModel: a second manifest"));
    }
    const v1::UploadChunk& c = msg.chunk();
    const auto* data = reinterpret_cast<const uint8_t*>(c.data().data());
    absl::Status s = (*session)->Write(
        c.file_index(), c.offset_bytes(),
        absl::Span<const uint8_t>(data, c.data().size()), c.crc32());
    if (!s.ok()) return ToGrpcStatus(s);
  }
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled");
  }
  absl::StatusOr<std::string> id = (*session)->Finish();
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_upload_id(*id);
  response->set_size_bytes((*session)->bytes_received());
  return grpc::Status::OK;
}

grpc::Status CompressionServiceImpl::SubmitJob(
    grpc::ServerContext* context, const v1::SubmitJobRequest* request,
    v1::Job* response) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<JobSpec> spec = JobSpecFromProto(*request);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  absl::StatusOr<JobView> view = coordinator_->Submit(*caller, *spec);
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response = JobToProto(*view);
  return grpc::Status::OK;
}

grpc::Status CompressionServiceImpl::GetJob(grpc::ServerContext* context,
                                            const v1::GetJobRequest* request,
                                            v1::Job* response) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckJobId(request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<JobView> view =
      coordinator_->GetJob(*caller, request->job_id());
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response = JobToProto(*view);
  return grpc::Status::OK;
}

grpc::Status CompressionServiceImpl::ListJobs(
    grpc::ServerContext* context, const v1::ListJobsRequest* request,
    v1::ListJobsResponse* response) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  int size = request->page_size();
  if (size < 0 || size > 1000) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("page_size: 0..1000 (0 = 100)"));
  }
  if (size == 0) size = 100;
  size_t offset = 0;
  if (!request->page_token().empty() &&
      !absl::SimpleAtoi(request->page_token(), &offset)) {
    return ToGrpcStatus(absl::InvalidArgumentError("page_token: malformed"));
  }
  absl::StatusOr<std::vector<JobView>> jobs = coordinator_->ListJobs(*caller);
  if (!jobs.ok()) return ToGrpcStatus(jobs.status());
  const size_t end = std::min(jobs->size(), offset + static_cast<size_t>(size));
  for (size_t i = offset; i < end; ++i) {
    *response->add_jobs() = JobToProto((*jobs)[i]);
  }
  if (end < jobs->size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status CompressionServiceImpl::WatchJob(
    grpc::ServerContext* context, const v1::WatchJobRequest* request,
    grpc::ServerWriter<v1::Job>* writer) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckJobId(request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  uint64_t version = 0;
  absl::Time last_sent = absl::InfinitePast();
  while (!context->IsCancelled()) {
    if (stopping_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the coordinator is stopping; watch again");
    }
    const absl::Duration wait = last_sent + kWatchInterval - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    absl::StatusOr<JobView> view = coordinator_->WaitJob(
        *caller, request->job_id(), version, absl::Now() + absl::Seconds(1));
    if (!view.ok()) return ToGrpcStatus(view.status());
    if (view->version == version) continue;
    version = view->version;
    if (!writer->Write(JobToProto(*view))) break;
    last_sent = absl::Now();
    if (IsTerminal(view->record.phase)) return grpc::Status::OK;
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch ended");
}

grpc::Status CompressionServiceImpl::CancelJob(
    grpc::ServerContext* context, const v1::CancelJobRequest* request,
    v1::Job* response) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckJobId(request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<JobView> view =
      coordinator_->Cancel(*caller, request->job_id());
  if (!view.ok()) return ToGrpcStatus(view.status());
  *response = JobToProto(*view);
  return grpc::Status::OK;
}

grpc::Status CompressionServiceImpl::DeleteJob(
    grpc::ServerContext* context, const v1::DeleteJobRequest* request,
    v1::DeleteJobResponse*) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckJobId(request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return ToGrpcStatus(coordinator_->Delete(*caller, request->job_id()));
}

grpc::Status CompressionServiceImpl::FetchResult(
    grpc::ServerContext* context, const v1::FetchResultRequest* request,
    grpc::ServerWriter<v1::FetchResultChunk>* writer) {
  absl::StatusOr<Caller> caller = Authorize(*context, *tokens_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckJobId(request->job_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<ResultFile> result =
      coordinator_->Result(*caller, request->job_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  if (request->offset_bytes() > result->size) {
    return ToGrpcStatus(absl::OutOfRangeError(
        absl::StrCat("offset_bytes ", request->offset_bytes(),
                     " is past the result's ", result->size, " bytes")));
  }
  absl::StatusOr<int> fd = OpenForRead(result->path);
  if (!fd.ok()) return ToGrpcStatus(fd.status());
  std::vector<char> buf(kFetchChunkBytes);
  uint64_t offset = request->offset_bytes();
  grpc::Status status = grpc::Status::OK;
  while (offset < result->size && !context->IsCancelled()) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(buf.size(), result->size - offset));
    ssize_t n = ::pread(*fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = ToGrpcStatus(absl::DataLossError(
          absl::StrCat("result of ", request->job_id(), " is unreadable")));
      break;
    }
    v1::FetchResultChunk chunk;
    chunk.set_offset_bytes(offset);
    chunk.set_data(buf.data(), static_cast<size_t>(n));
    chunk.set_total_size_bytes(result->size);
    chunk.set_sha256(result->sha256);
    if (!writer->Write(chunk)) break;
    coordinator_->CountResultBytesSent(static_cast<uint64_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  if (result->size == 0 || request->offset_bytes() == result->size) {
    v1::FetchResultChunk chunk;  // tells an empty remainder's size and sha
    chunk.set_offset_bytes(offset);
    chunk.set_total_size_bytes(result->size);
    chunk.set_sha256(result->sha256);
    writer->Write(chunk);
  }
  ::close(*fd);
  return status;
}

}  // namespace seedlm::coordinator
