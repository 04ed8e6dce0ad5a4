#include "client/lib/retry.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace seedlm::client::internal {

absl::Duration Backoff::Next() {
  const absl::Duration d = next_;
  next_ = std::min(next_ * 2, kBackoffMax);
  return d;
}

bool SleepBackoff(Backoff& backoff, absl::Time deadline) {
  const absl::Time now = absl::Now();
  if (now >= deadline) return false;
  absl::SleepFor(std::min(backoff.Next(), deadline - now));
  return true;
}

bool IsTransient(const absl::Status& status, bool stream) {
  return absl::IsUnavailable(status) || (stream && absl::IsCancelled(status));
}

absl::Status Annotate(const absl::Status& status, const std::string& address,
                      const std::string& what) {
  if (absl::IsUnavailable(status)) {
    return absl::Status(status.code(),
                        absl::StrCat("coordinator ", address,
                                     " unavailable: ", status.message()));
  }
  if (absl::IsDeadlineExceeded(status)) {
    return absl::Status(
        status.code(),
        absl::StrCat(what, ": deadline exceeded (", status.message(), ")"));
  }
  return status;
}

std::chrono::system_clock::time_point ToGrpcDeadline(absl::Time deadline) {
  // A year is "forever" for any call and stays far from gpr_timespec's range.
  const absl::Time cap = absl::Now() + absl::Hours(24 * 365);
  return absl::ToChronoTime(std::min(deadline, cap));
}

}  // namespace seedlm::client::internal
