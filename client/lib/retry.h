// Internal to client/lib (shared by the compression and inference
// clients): dialing, the capped exponential backoff with which a client
// reconnects to a server that restarts, which failures count as the server
// going away (worth a retry) rather than an answer, and unary retries.
// Thread-compatible.
#ifndef SEEDLM_CLIENT_LIB_RETRY_H_
#define SEEDLM_CLIENT_LIB_RETRY_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace seedlm::client::internal {

inline constexpr absl::Duration kBackoffInitial = absl::Milliseconds(100);
inline constexpr absl::Duration kBackoffMax = absl::Seconds(2);

// 100 ms, 200 ms, 400 ms, ... capped at 2 s; Reset after a success.
class Backoff {
 public:
  absl::Duration Next();
  void Reset() { next_ = kBackoffInitial; }

 private:
  absl::Duration next_ = kBackoffInitial;
};

// Sleeps the next backoff, or until `deadline` if that comes first. False
// (nothing slept) when the deadline has already passed.
bool SleepBackoff(Backoff& backoff, absl::Time deadline);

// UNAVAILABLE always (the coordinator is unreachable or restarting); with
// `stream`, also CANCELLED: the client never cancels a stream it still
// reads, so a cancelled stream is a server that shut down under it.
bool IsTransient(const absl::Status& status, bool stream);

// `status` with context for the errors the client raises itself:
// UNAVAILABLE names the server (`server`, e.g. "coordinator", at
// `address`), DEADLINE_EXCEEDED the call. Other codes (the server's
// answers) keep their message unchanged.
absl::Status Annotate(const absl::Status& status, const std::string& server,
                      const std::string& address, const std::string& what);

// Dials `address` (proto/rpc/credentials.h: TLS when `tls_ca_path` is set)
// and waits up to `timeout` for the channel: a server still starting is
// waited for. INVALID_ARGUMENT for no address; UNAVAILABLE naming `server`
// when it cannot be reached in time; errors reading the CA file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectChannel(
    const std::string& server, const std::string& address,
    const std::string& tls_ca_path, absl::Duration timeout);

// Runs `attempt` (one unary call with a fresh context and the given
// deadline) until it succeeds, fails with something other than
// UNAVAILABLE, or `timeout` has passed (a retry with no time left would
// only say DEADLINE_EXCEEDED: the last UNAVAILABLE is the better answer).
// `attempts` (may be null) counts. Errors are Annotate'd.
absl::Status RetryUnary(
    const std::function<grpc::Status(absl::Time deadline)>& attempt,
    absl::Duration timeout, const std::string& server,
    const std::string& address, const std::string& what,
    int* attempts = nullptr);

// Converts a deadline for grpc::ClientContext::set_deadline (an infinite
// one becomes a far but representable time).
std::chrono::system_clock::time_point ToGrpcDeadline(absl::Time deadline);

}  // namespace seedlm::client::internal

#endif  // SEEDLM_CLIENT_LIB_RETRY_H_
