// The one place where absl::Status and grpc::Status meet. Services return
// absl::Status from their RPC-free logic and convert on the way out with
// ToGrpcStatus; clients convert what a stub returns with FromGrpcStatus.
// The canonical codes are the same numbers in both libraries; the message
// travels unchanged.
#ifndef SEEDLM_PROTO_RPC_STATUS_H_
#define SEEDLM_PROTO_RPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace seedlm::rpc {

// absl::Status -> grpc::Status, same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// grpc::Status -> absl::Status, same code and message. A code outside the
// canonical range becomes UNKNOWN.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The absl code for a wire code number: the same number when it is canonical
// (0..16), else UNKNOWN. Peers may send any int; it never becomes an invalid
// enum value here.
absl::StatusCode CodeFromWire(int code);

}  // namespace seedlm::rpc

#endif  // SEEDLM_PROTO_RPC_STATUS_H_
