#include "server/common/http_endpoint.h"

#include <sys/socket.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace seedlm::obs {

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(
    const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", address, "' is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535 || host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", address, "' is not host:port"));
  }
  return std::make_pair(host, port);
}

std::string BearerToken(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  constexpr char kPrefix[] = "Bearer ";
  if (!absl::StartsWithIgnoreCase(auth, kPrefix)) return "";
  return auth.substr(sizeof(kPrefix) - 1);
}

void SetJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "application/json");
}

void SetJsonError(httplib::Response& res, int status,
                  const std::string& message) {
  nlohmann::json j = {{"error", {{"code", status}, {"message", message}}}};
  SetJson(res, status,
          j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpEndpoint::HttpEndpoint(MetricsRegistry* metrics,
                           HttpEndpointOptions options)
    : metrics_(metrics), server_(std::make_unique<httplib::Server>()) {
  const int threads = options.threads < 1 ? 1 : options.threads;
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server_->set_keep_alive_timeout(2);
  server_->set_payload_max_length(1 << 20);
  // No SO_REUSEPORT (the library's default): a second process must not
  // share a port already in use.
  server_->set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = sock;
  });
  if (metrics_ != nullptr) {
    server_->Get("/metrics",
                 [this](const httplib::Request&, httplib::Response& res) {
                   res.set_content(metrics_->Render(), kMetricsContentType);
                 });
  }
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::StatusOr<std::string> HttpEndpoint::Start(const std::string& address) {
  if (started_) return absl::FailedPreconditionError("already started");
  auto host_port = ParseHostPort(address);
  if (!host_port.ok()) return host_port.status();
  const auto& [host, wanted] = *host_port;
  int port = wanted;
  if (port == 0) {
    port = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on HTTP address ", address));
  }
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  port_ = port;
  started_ = true;
  listen_thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const bool v6 = host.find(':') != std::string::npos;
  return v6 ? absl::StrCat("[", host, "]:", port_)
            : absl::StrCat(host, ":", port_);
}

void HttpEndpoint::Stop() {
  if (!started_) return;
  started_ = false;
  server_->stop();
  if (listen_thread_.joinable()) listen_thread_.join();
}

}  // namespace seedlm::obs
