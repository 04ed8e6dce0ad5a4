#include "client/lib/retry.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

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

absl::Status Annotate(const absl::Status& status, const std::string& server,
                      const std::string& address, const std::string& what) {
  if (absl::IsUnavailable(status)) {
    return absl::Status(
        status.code(),
        absl::StrCat(server, " ", address, " unavailable: ", status.message()));
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

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectChannel(
    const std::string& server, const std::string& address,
    const std::string& tls_ca_path, absl::Duration timeout) {
  if (address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no ", server, " address given"));
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      rpc::ChannelCredentials(tls_ca_path);
  if (!creds.ok()) return creds.status();
  std::shared_ptr<grpc::Channel> channel = rpc::Dial(address, *creds);
  if (!channel->WaitForConnected(ToGrpcDeadline(absl::Now() + timeout))) {
    return absl::UnavailableError(absl::StrCat("cannot reach the ", server,
                                               " at ", address, " within ",
                                               absl::FormatDuration(timeout)));
  }
  return channel;
}

absl::Status RetryUnary(
    const std::function<grpc::Status(absl::Time deadline)>& attempt,
    absl::Duration timeout, const std::string& server,
    const std::string& address, const std::string& what, int* attempts) {
  const absl::Time deadline = absl::Now() + timeout;
  Backoff backoff;
  while (true) {
    if (attempts != nullptr) ++*attempts;
    const absl::Status s = rpc::FromGrpcStatus(attempt(deadline));
    if (s.ok()) return s;
    if (!IsTransient(s, /*stream=*/false) || !SleepBackoff(backoff, deadline) ||
        absl::Now() >= deadline) {
      return Annotate(s, server, address, what);
    }
  }
}

}  // namespace seedlm::client::internal
