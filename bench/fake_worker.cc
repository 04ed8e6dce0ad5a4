#include "bench/fake_worker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

namespace seedlm {
namespace {

constexpr int64_t kLeaseWaitMs = 500;

void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds d) {
  context.set_deadline(std::chrono::system_clock::now() + d);
}

// A channel with the project's limits (as rpc::Dial) but a connection of
// its own, as a worker process would have: gRPC otherwise shares one
// connection between channels to the same address.
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(rpc::kMaxMessageBytes);
  args.SetMaxSendMessageSize(rpc::kMaxMessageBytes);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

}  // namespace

void FakeWorkerRun::Fail(const absl::Status& s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = s;
  }
  stop = true;
}

absl::Status FakeWorkerRun::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

FakeWorker::FakeWorker(std::string address, std::string name,
                       CodecHandshake handshake, FakeWorkerRun* run)
    : address_(std::move(address)),
      name_(std::move(name)),
      handshake_(std::move(handshake)),
      run_(run) {}

FakeWorker::~FakeWorker() { Stop(); }

absl::Status FakeWorker::Register() {
  stub_ = v1::WorkService::NewStub(OwnChannel(address_));
  v1::RegisterWorkerRequest req;
  req.set_name(name_);
  req.set_threads(1);
  *req.add_handshakes() = rpc::ToProto(handshake_);
  req.set_build_id("seedlm-bench coordinator (fake worker)");
  v1::RegisterWorkerResponse resp;
  grpc::ClientContext context;
  SetDeadline(context, std::chrono::seconds(30));
  context.set_wait_for_ready(true);
  const grpc::Status s = stub_->RegisterWorker(&context, req, &resp);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  worker_id_ = resp.worker_id();
  if (resp.heartbeat_interval_ms() > 0) {
    heartbeat_ms_ = resp.heartbeat_interval_ms();
  }
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  return absl::OkStatus();
}

void FakeWorker::StartLeasing() {
  lease_thread_ = std::thread([this] { LeaseLoop(); });
}

void FakeWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (lease_call_ != nullptr) lease_call_->TryCancel();
  }
  wake_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

void FakeWorker::HeartbeatLoop() {
  grpc::ClientContext context;
  auto stream = stub_->Heartbeat(&context);
  for (;;) {
    v1::HeartbeatRequest req;
    req.set_worker_id(worker_id_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!current_lease_.empty()) req.add_lease_ids(current_lease_);
    }
    v1::HeartbeatResponse resp;
    if (!stream->Write(req) || !stream->Read(&resp)) break;
    ++run_->heartbeats;
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(heartbeat_ms_),
                       [this] { return stopping_.load(); })) {
      break;
    }
  }
  stream->WritesDone();
  (void)stream->Finish();  // the coordinator ends it: UNAVAILABLE at exit
}

void FakeWorker::LeaseLoop() {
  while (!stopping_ && !run_->stop) {
    v1::LeaseWorkRequest req;
    req.set_worker_id(worker_id_);
    req.set_max_wait_ms(kLeaseWaitMs);
    v1::LeaseWorkResponse resp;
    grpc::ClientContext context;
    SetDeadline(context, std::chrono::milliseconds(kLeaseWaitMs + 30000));
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      lease_call_ = &context;
    }
    const grpc::Status s = stub_->LeaseWork(&context, req, &resp);
    {
      std::lock_guard<std::mutex> lock(mu_);
      lease_call_ = nullptr;
    }
    if (!s.ok()) {
      if (!stopping_) {
        run_->Fail(absl::Status(
            rpc::FromGrpcStatus(s).code(),
            absl::StrCat(name_, ": LeaseWork: ", s.error_message())));
      }
      return;
    }
    if (resp.lease_id().empty()) continue;
    if (absl::Status a = Answer(resp); !a.ok()) {
      run_->Fail(a);
      return;
    }
  }
}

absl::Status FakeWorker::Answer(const v1::LeaseWorkResponse& lease) {
  ++run_->leased;
  std::call_once(run_->first_lease_once, [this] {
    if (run_->on_first_lease) run_->on_first_lease();
  });
  const v1::WorkUnit& u = lease.unit();
  const std::vector<PreparedUnit>& units = run_->prepared->units;
  if (u.job_id() != run_->job_id || u.unit_index() < 0 ||
      static_cast<size_t>(u.unit_index()) >= units.size()) {
    return absl::InternalError(
        absl::StrCat(name_, ": leased unit ", u.unit_index(), " of job ",
                     u.job_id(), ", which the bench did not prepare"));
  }
  const PreparedUnit& p = units[u.unit_index()];
  const bool rows = u.kind() == v1::UNIT_KIND_COMPRESS_ROWS;
  if (rows != (p.kind == UnitKind::kCompressRows) ||
      (rows && (u.row_begin() != p.row_begin || u.row_end() != p.row_end ||
                u.exponent_bias() != p.bias))) {
    return absl::InternalError(absl::StrCat(
        name_, ": unit ", u.unit_index(), " (rows ", u.row_begin(), "..",
        u.row_end(), ", bias ", u.exponent_bias(),
        ") differs from the bench's plan (rows ", p.row_begin, "..", p.row_end,
        ", bias ", p.bias, "): same --unit-blocks and preset?"));
  }
  run_->rows_bytes += static_cast<int64_t>(u.rows_data().data().size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_lease_ = lease.lease_id();
  }
  v1::CompleteWorkRequest req;
  req.set_worker_id(worker_id_);
  req.set_lease_id(lease.lease_id());
  if (rows) {
    v1::RowsResult* r = req.mutable_rows();
    r->set_payload(p.payload->data(), p.payload->size());
    r->set_crc32(p.crc32);
    r->set_sq_error(p.sq_error);
    r->set_sq_norm(p.sq_norm);
    r->set_blocks(p.blocks);
  } else {
    req.mutable_bias()->set_exponent_bias(p.bias);
  }
  v1::CompleteWorkResponse resp;
  grpc::ClientContext context;
  SetDeadline(context, std::chrono::seconds(60));
  const grpc::Status s = stub_->CompleteWork(&context, req, &resp);
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_lease_.clear();
  }
  if (!s.ok()) {
    return absl::Status(
        rpc::FromGrpcStatus(s).code(),
        absl::StrCat(name_, ": CompleteWork: ", s.error_message()));
  }
  if (!resp.accepted()) {
    ++run_->rejected;
    return absl::InternalError(absl::StrCat(name_, ": unit ", u.unit_index(),
                                            " rejected: ", resp.reason()));
  }
  if (rows) run_->payload_bytes += static_cast<int64_t>(p.payload->size());
  if (++run_->accepted == run_->units_expected && run_->on_last_unit) {
    run_->on_last_unit();
  }
  return absl::OkStatus();
}

}  // namespace seedlm
