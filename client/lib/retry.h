// Internal to client/lib: the capped exponential backoff with which the
// client reconnects to a coordinator that restarts, and which failures count
// as the coordinator going away (worth a reconnect) rather than an answer.
// Thread-compatible.
#ifndef SEEDLM_CLIENT_LIB_RETRY_H_
#define SEEDLM_CLIENT_LIB_RETRY_H_

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

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
// UNAVAILABLE names the coordinator, DEADLINE_EXCEEDED the call. Other
// codes (the server's answers) keep their message unchanged.
absl::Status Annotate(const absl::Status& status, const std::string& address,
                      const std::string& what);

// Converts a deadline for grpc::ClientContext::set_deadline (an infinite
// one becomes a far but representable time).
std::chrono::system_clock::time_point ToGrpcDeadline(absl::Time deadline);

}  // namespace seedlm::client::internal

#endif  // SEEDLM_CLIENT_LIB_RETRY_H_
