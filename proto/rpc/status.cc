#include "proto/rpc/status.h"

#include <string>

namespace seedlm::rpc {
namespace {

constexpr int kMaxCanonicalCode = 16;  // UNAUTHENTICATED

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  int code = static_cast<int>(status.code());
  if (code < 0 || code > kMaxCanonicalCode) code = grpc::StatusCode::UNKNOWN;
  return grpc::Status(static_cast<grpc::StatusCode>(code),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(CodeFromWire(static_cast<int>(status.error_code())),
                      status.error_message());
}

absl::StatusCode CodeFromWire(int code) {
  if (code < 0 || code > kMaxCanonicalCode) return absl::StatusCode::kUnknown;
  return static_cast<absl::StatusCode>(code);
}

}  // namespace seedlm::rpc
