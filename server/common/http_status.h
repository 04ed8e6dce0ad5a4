// The one mapping from absl::StatusCode to an HTTP status, for every HTTP
// adapter (the inference server's OpenAI API, the coordinator's JSON API),
// as proto/rpc/status.h is the one absl <-> gRPC conversion. It follows the
// google.rpc.Code mapping (AIP-193): INVALID_ARGUMENT, FAILED_PRECONDITION,
// OUT_OF_RANGE 400; UNAUTHENTICATED 401; PERMISSION_DENIED 403; NOT_FOUND
// 404; ALREADY_EXISTS, ABORTED 409; RESOURCE_EXHAUSTED 429; CANCELLED 499;
// UNIMPLEMENTED 501; UNAVAILABLE 503; DEADLINE_EXCEEDED 504; OK 200; others
// 500. Header-only, no dependencies beyond Abseil.
#ifndef SEEDLM_SERVER_COMMON_HTTP_STATUS_H_
#define SEEDLM_SERVER_COMMON_HTTP_STATUS_H_

#include "absl/status/status.h"

namespace seedlm::obs {

inline int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

}  // namespace seedlm::obs

#endif  // SEEDLM_SERVER_COMMON_HTTP_STATUS_H_
