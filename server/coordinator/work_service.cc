// WorkService: the gRPC adapter of the workers' calls.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/status.h"
#include "server/coordinator/services.h"

namespace seedlm::coordinator {
namespace {

using rpc::ToGrpcStatus;

constexpr int kMaxHandshakes = 64;
constexpr size_t kMaxNameBytes = 256;
constexpr int kMaxLeasesPerHeartbeat = 1024;

absl::Status AuthorizeWorker(const grpc::ServerContext& context,
                             const rpc::TokenTable& tokens) {
  return tokens.Check(rpc::BearerToken(context), rpc::Role::kWorker).status();
}

absl::Status CheckId(const std::string& id, const char* field) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": 1..128 bytes"));
  }
  return absl::OkStatus();
}

void FillUnit(const UnitAssignment& a, v1::WorkUnit* u) {
  u->set_job_id(a.job_id);
  u->set_unit_index(a.unit_index);
  u->set_kind(a.kind == UnitKind::kChooseBias ? v1::UNIT_KIND_CHOOSE_BIAS
                                              : v1::UNIT_KIND_COMPRESS_ROWS);
  *u->mutable_codec() = rpc::ToProto(a.codec);
  *u->mutable_handshake() = rpc::ToProto(a.handshake);
  u->set_exponent_mode(rpc::ToProto(a.mode));
  u->set_exponent_bias(a.bias);
  u->set_rows(a.rows);
  u->set_cols(a.cols);
  u->set_row_begin(a.row_begin);
  u->set_row_end(a.row_end);
  u->set_payload_bytes(a.payload_bytes);
  if (a.by_reference) {
    v1::RowsRef* ref = u->mutable_rows_ref();
    ref->set_model_path(a.model_path);
    ref->set_tensor_name(a.tensor_name);
    ref->set_rows_crc32(a.rows_crc32);
  } else {
    v1::RowsData* data = u->mutable_rows_data();
    data->set_dtype(rpc::ToProto(a.dtype));
    data->set_data(a.rows_data.data(), a.rows_data.size());
    data->set_crc32(a.rows_crc32);
  }
}

}  // namespace

grpc::Status WorkServiceImpl::RegisterWorker(
    grpc::ServerContext* context, const v1::RegisterWorkerRequest* request,
    v1::RegisterWorkerResponse* response) {
  if (absl::Status s = AuthorizeWorker(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->name().size() > kMaxNameBytes ||
      request->build_id().size() > kMaxNameBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("name, build_id: at most ", kMaxNameBytes, " bytes")));
  }
  if (request->handshakes_size() > kMaxHandshakes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("handshakes: at most ", kMaxHandshakes)));
  }
  if (request->threads() < 0 || request->threads() > 4096) {
    return ToGrpcStatus(absl::InvalidArgumentError("threads: 0..4096"));
  }
  WorkerHello hello;
  hello.name = request->name().empty() ? context->peer() : request->name();
  hello.threads = request->threads();
  hello.build_id = request->build_id();
  hello.has_model_root = request->has_model_root();
  for (const v1::CodecHandshake& h : request->handshakes()) {
    if (h.codec_id().size() > kMaxNameBytes) {
      return ToGrpcStatus(
          absl::InvalidArgumentError("handshakes.codec_id: too long"));
    }
    hello.handshakes.push_back(rpc::FromProto(h));
  }
  absl::StatusOr<std::string> id = coordinator_->RegisterWorker(hello);
  if (!id.ok()) return ToGrpcStatus(id.status());
  response->set_worker_id(*id);
  response->set_heartbeat_interval_ms(
      absl::ToInt64Milliseconds(coordinator_->heartbeat_interval()));
  return grpc::Status::OK;
}

grpc::Status WorkServiceImpl::Heartbeat(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::HeartbeatResponse, v1::HeartbeatRequest>*
        stream) {
  if (absl::Status s = AuthorizeWorker(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  std::string worker_id;
  v1::HeartbeatRequest req;
  grpc::Status status = grpc::Status::OK;
  while (!stopping_ && stream->Read(&req)) {
    if (worker_id.empty()) {
      if (absl::Status s = CheckId(req.worker_id(), "worker_id"); !s.ok()) {
        return ToGrpcStatus(s);
      }
      worker_id = req.worker_id();
    } else if (req.worker_id() != worker_id) {
      status = ToGrpcStatus(absl::InvalidArgumentError(
          "worker_id changed within a heartbeat stream"));
      break;
    }
    if (req.lease_ids_size() > kMaxLeasesPerHeartbeat) {
      status = ToGrpcStatus(absl::InvalidArgumentError("too many lease_ids"));
      break;
    }
    std::vector<std::string> ids(req.lease_ids().begin(),
                                 req.lease_ids().end());
    absl::StatusOr<std::vector<std::string>> lost =
        coordinator_->Heartbeat(worker_id, ids, req.blocks_searched());
    if (!lost.ok()) {
      // An unknown worker: the stream ends and the worker registers again.
      return ToGrpcStatus(lost.status());
    }
    v1::HeartbeatResponse resp;
    for (const std::string& id : *lost) resp.add_revoked_lease_ids(id);
    if (!stream->Write(resp)) break;
  }
  if (!worker_id.empty()) coordinator_->WorkerDisconnected(worker_id);
  if (stopping_ && status.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the coordinator is stopping");
  }
  return status;
}

grpc::Status WorkServiceImpl::LeaseWork(grpc::ServerContext* context,
                                        const v1::LeaseWorkRequest* request,
                                        v1::LeaseWorkResponse* response) {
  if (absl::Status s = AuthorizeWorker(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckId(request->worker_id(), "worker_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->max_wait_ms() < 0 || request->max_wait_ms() > 60000) {
    return ToGrpcStatus(absl::InvalidArgumentError("max_wait_ms: 0..60000"));
  }
  absl::StatusOr<std::optional<UnitAssignment>> a = coordinator_->LeaseWork(
      request->worker_id(), stopping_
                                ? absl::ZeroDuration()
                                : absl::Milliseconds(request->max_wait_ms()));
  if (!a.ok()) return ToGrpcStatus(a.status());
  response->set_lease_timeout_ms(
      absl::ToInt64Milliseconds(coordinator_->options().lease_timeout));
  if (!a->has_value()) return grpc::Status::OK;
  response->set_lease_id((*a)->lease_id);
  FillUnit(**a, response->mutable_unit());
  return grpc::Status::OK;
}

grpc::Status WorkServiceImpl::CompleteWork(
    grpc::ServerContext* context, const v1::CompleteWorkRequest* request,
    v1::CompleteWorkResponse* response) {
  if (absl::Status s = AuthorizeWorker(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckId(request->worker_id(), "worker_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckId(request->lease_id(), "lease_id"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  UnitOutcome outcome;
  switch (request->result_case()) {
    case v1::CompleteWorkRequest::kRows: {
      const v1::RowsResult& r = request->rows();
      outcome.kind = UnitOutcome::Kind::kRows;
      outcome.payload.assign(r.payload().begin(), r.payload().end());
      outcome.crc32 = r.crc32();
      outcome.sq_error = r.sq_error();
      outcome.sq_norm = r.sq_norm();
      break;
    }
    case v1::CompleteWorkRequest::kBias:
      outcome.kind = UnitOutcome::Kind::kBias;
      outcome.bias = request->bias().exponent_bias();
      break;
    case v1::CompleteWorkRequest::kFailure:
      outcome.kind = UnitOutcome::Kind::kFailure;
      outcome.rows_unavailable = request->failure().rows_unavailable();
      outcome.message = request->failure().message().substr(0, 4096);
      break;
    default:
      return ToGrpcStatus(
          absl::InvalidArgumentError("CompleteWork: no result"));
  }
  absl::StatusOr<CompleteResult> r = coordinator_->CompleteWork(
      request->worker_id(), request->lease_id(), std::move(outcome));
  if (!r.ok()) return ToGrpcStatus(r.status());
  response->set_accepted(r->accepted);
  response->set_reason(r->reason);
  return grpc::Status::OK;
}

}  // namespace seedlm::coordinator
