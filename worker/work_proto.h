// Conversions between the WorkService messages (proto/seedlm/v1/work.proto)
// and the worker's RPC-free types (unit_runner.h): a leased WorkUnit becomes
// a UnitTask, a UnitOutcome the result of a CompleteWorkRequest. Every field
// of a lease is checked here or in RunUnit; nothing from the wire is trusted.
// Plain functions; thread-safe.
#ifndef SEEDLM_WORKER_WORK_PROTO_H_
#define SEEDLM_WORKER_WORK_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/compress/handshake.h"
#include "seedlm/v1/work.pb.h"
#include "worker/unit_runner.h"

namespace seedlm::worker {

// The longest UnitFailure.message sent, bytes (work.proto's bound).
inline constexpr size_t kMaxFailureMessageBytes = 4096;

// The task of a leased unit (either codec family; an unspecified family is
// the block codec). INVALID_ARGUMENT for an unspecified or unknown
// kind, variant (block codec), codec family, exponent mode or dtype, codec
// parameters outside int range, an exponent bias outside -128..127, a payload
// size over kMaxUnitElements bytes, or no row source. Sizes and ranges are
// checked by RunUnit.
absl::StatusOr<UnitTask> TaskFromProto(const seedlm::v1::WorkUnit& unit);

// The inverse (for coordinators and tests): `task` as a WorkUnit.
seedlm::v1::WorkUnit TaskToProto(const UnitTask& task);

seedlm::v1::CodecHandshake HandshakeToProto(const CodecHandshake& h);
CodecHandshake HandshakeFromProto(const seedlm::v1::CodecHandshake& h);

// Sets the result of `request` from a finished unit: rows (payload, its
// CRC-32, sums, blocks), bias, or a rows-unavailable failure.
void SetResult(const UnitOutcome& outcome,
               seedlm::v1::CompleteWorkRequest* request);

// Sets a failure result: the unit could not run here (`error`, its code
// and message, cut to kMaxFailureMessageBytes).
void SetFailure(const absl::Status& error,
                seedlm::v1::CompleteWorkRequest* request);

}  // namespace seedlm::worker

#endif  // SEEDLM_WORKER_WORK_PROTO_H_
