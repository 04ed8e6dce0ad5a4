// The one JSON shape of the seedlm.v1 messages that leave a process as JSON:
// the coordinator's /api/v1 responses and `seedlm watch --json` lines. It is
// protobuf's canonical proto3 JSON mapping with the .proto field names
// (snake_case) and every field present, default values included; so int64
// and uint64 fields are JSON strings ("123"), enums their names
// ("JOB_STATE_RUNNING"), doubles numbers. Thread-safe.
#ifndef SEEDLM_PROTO_RPC_JSON_H_
#define SEEDLM_PROTO_RPC_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace seedlm::rpc {

// `message` as one line of JSON in that shape. INTERNAL if protobuf refuses
// (it does not for the v1 messages).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// Parses that shape (unknown fields refused) into `message`.
// INVALID_ARGUMENT naming protobuf's complaint.
absl::Status FromJson(const std::string& json,
                      google::protobuf::Message* message);

}  // namespace seedlm::rpc

#endif  // SEEDLM_PROTO_RPC_JSON_H_
