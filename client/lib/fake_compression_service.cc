#include "client/lib/fake_compression_service.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"
#include "core/util/sha256.h"
#include "proto/rpc/credentials.h"

namespace seedlm::client::testing {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

class FakeService final : public v1::CompressionService::Service {
 public:
  explicit FakeService(FakeState* state) : st_(state) {}

  Status UploadModel(ServerContext* ctx,
                     grpc::ServerReader<v1::UploadModelRequest>* reader,
                     v1::UploadModelResponse* response) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    v1::UploadModelRequest req;
    if (!reader->Read(&req) || !req.has_manifest()) {
      return Status(StatusCode::INVALID_ARGUMENT, "manifest first");
    }
    FakeUpload up;
    up.manifest.assign(req.manifest().files().begin(),
                       req.manifest().files().end());
    std::vector<std::string> data(up.manifest.size());
    uint64_t total = 0;
    while (reader->Read(&req)) {
      if (!req.has_chunk()) {
        return Status(StatusCode::INVALID_ARGUMENT, "one manifest only");
      }
      const v1::UploadChunk& c = req.chunk();
      if (c.file_index() >= data.size() ||
          c.offset_bytes() != data[c.file_index()].size()) {
        return Status(StatusCode::INVALID_ARGUMENT, "chunk out of order");
      }
      if (Crc32(c.data().data(), c.data().size()) != c.crc32()) {
        return Status(StatusCode::DATA_LOSS, "chunk CRC mismatch");
      }
      up.max_chunk_bytes = std::max(up.max_chunk_bytes, c.data().size());
      ++up.chunks;
      data[c.file_index()] += c.data();
      total += c.data().size();
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if (data[i].size() != up.manifest[i].size_bytes() ||
          Sha256Hex(data[i]) != up.manifest[i].sha256()) {
        return Status(StatusCode::DATA_LOSS,
                      "upload of " + up.manifest[i].relative_path() +
                          " does not match its manifest entry");
      }
      up.files[up.manifest[i].relative_path()] = std::move(data[i]);
    }
    std::lock_guard<std::mutex> lock(st_->mu);
    st_->uploads.push_back(std::move(up));
    response->set_upload_id(absl::StrCat("up-", st_->uploads.size()));
    response->set_size_bytes(total);
    return Status::OK;
  }

  Status SubmitJob(ServerContext* ctx, const v1::SubmitJobRequest* req,
                   v1::Job* job) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    std::lock_guard<std::mutex> lock(st_->mu);
    st_->submits.push_back(*req);
    if (st_->fail_submits > 0) {
      --st_->fail_submits;
      return Status(StatusCode::UNAVAILABLE, "restarting");
    }
    *job = FakeJob("job-1", v1::JOB_STATE_QUEUED, 0, 0);
    return Status::OK;
  }

  Status GetJob(ServerContext* ctx, const v1::GetJobRequest* req,
                v1::Job* job) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    if (req->job_id() != "job-1") {
      return Status(StatusCode::NOT_FOUND, "no job " + req->job_id());
    }
    std::lock_guard<std::mutex> lock(st_->mu);
    *job = st_->steps.empty() ? FakeJob("job-1", v1::JOB_STATE_QUEUED, 0, 0)
                              : st_->steps[st_->step];
    return Status::OK;
  }

  Status ListJobs(ServerContext* ctx, const v1::ListJobsRequest* req,
                  v1::ListJobsResponse* response) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    std::lock_guard<std::mutex> lock(st_->mu);
    size_t begin = 0;
    if (!req->page_token().empty() &&
        !absl::SimpleAtoi(req->page_token(), &begin)) {
      return Status(StatusCode::INVALID_ARGUMENT, "bad page token");
    }
    const size_t end = std::min(st_->listed.size(),
                                begin + static_cast<size_t>(st_->page_size));
    for (size_t i = begin; i < end; ++i) *response->add_jobs() = st_->listed[i];
    if (end < st_->listed.size())
      response->set_next_page_token(absl::StrCat(end));
    return Status::OK;
  }

  Status WatchJob(ServerContext* ctx, const v1::WatchJobRequest* req,
                  grpc::ServerWriter<v1::Job>* writer) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    if (req->job_id() != "job-1") {
      return Status(StatusCode::NOT_FOUND, "no job " + req->job_id());
    }
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      ++st_->watch_calls;
    }
    while (true) {
      v1::Job job;
      {
        std::unique_lock<std::mutex> lock(st_->mu);
        while (st_->step == st_->hold_at) {  // wait to be stopped or released
          st_->holding = true;
          lock.unlock();
          if (ctx->IsCancelled()) return Status(StatusCode::CANCELLED, "");
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          lock.lock();
        }
        st_->holding = false;
        job = st_->steps[st_->step];
      }
      if (!writer->Write(job)) return Status::OK;
      std::lock_guard<std::mutex> lock(st_->mu);
      if (st_->step + 1 >= st_->steps.size()) return Status::OK;
      ++st_->step;
    }
  }

  Status CancelJob(ServerContext* ctx, const v1::CancelJobRequest* req,
                   v1::Job* job) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    *job = FakeJob(req->job_id(), v1::JOB_STATE_CANCELLED, 0, 0);
    return Status::OK;
  }

  Status DeleteJob(ServerContext* ctx, const v1::DeleteJobRequest* req,
                   v1::DeleteJobResponse*) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    if (req->job_id() != "job-1") {
      return Status(StatusCode::NOT_FOUND, "no job " + req->job_id());
    }
    return Status::OK;
  }

  Status FetchResult(
      ServerContext* ctx, const v1::FetchResultRequest* req,
      grpc::ServerWriter<v1::FetchResultChunk>* writer) override {
    if (Status a = Auth(*ctx); !a.ok()) return a;
    std::string result, sha;
    size_t chunk_bytes = 0;
    int64_t cut_at = -1;
    StatusCode cut_code;
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      st_->fetch_offsets.push_back(req->offset_bytes());
      result = st_->result;
      sha = st_->result_sha256;
      chunk_bytes = st_->fetch_chunk_bytes;
      cut_at = st_->cut_at;
      cut_code = st_->cut_code;
    }
    if (req->offset_bytes() > result.size()) {
      return Status(StatusCode::OUT_OF_RANGE, "offset past the end");
    }
    uint64_t off = req->offset_bytes();
    do {
      v1::FetchResultChunk chunk;
      chunk.set_offset_bytes(off);
      chunk.set_data(result.substr(off, chunk_bytes));
      chunk.set_total_size_bytes(result.size());
      chunk.set_sha256(sha);
      if (!writer->Write(chunk)) return Status::OK;
      off += chunk.data().size();
      if (cut_at >= 0 && off > static_cast<uint64_t>(cut_at)) {
        std::lock_guard<std::mutex> lock(st_->mu);
        st_->cut_at = -1;
        return Status(cut_code, "cut on purpose");
      }
    } while (off < result.size());
    return Status::OK;
  }

 private:
  Status Auth(const ServerContext& ctx) {
    std::lock_guard<std::mutex> lock(st_->mu);
    if (rpc::BearerToken(ctx) != st_->token) {
      return Status(StatusCode::UNAUTHENTICATED, "fake: bad or missing token");
    }
    return Status::OK;
  }

  FakeState* st_;
};

}  // namespace

v1::Job FakeJob(const std::string& id, v1::JobState state, int64_t done,
                int64_t total) {
  v1::Job job;
  job.set_id(id);
  job.set_state(state);
  job.mutable_progress()->set_blocks_done(done);
  job.mutable_progress()->set_blocks_total(total);
  return job;
}

std::unique_ptr<FakeServer> FakeServer::Start(FakeState* state, int port) {
  std::unique_ptr<FakeServer> s(new FakeServer);
  s->service_ = std::make_unique<FakeService>(state);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port),
                           grpc::InsecureServerCredentials(), &s->port_);
  builder.RegisterService(s->service_.get());
  rpc::ConfigureServerBuilder(builder);  // the project's message limits
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) return nullptr;
  return s;
}

FakeServer::~FakeServer() { Stop(); }

void FakeServer::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
}

std::string FakeServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

}  // namespace seedlm::client::testing
