// The HTTP port of a process that has no other HTTP server (coordinator,
// worker, executor; `--http ADDR`): cpp-httplib (Debian) serving
//   GET /metrics   the process's MetricsRegistry (Prometheus text format),
//   GET /healthz   200 "ok",
// plus whatever routes its owner adds before Start (the coordinator's
// dashboard and JSON API). The inference server serves the same /metrics
// from its own HttpApiServer.
//
// Handlers run on a pool of `threads` threads; every response is short (no
// streaming), so Stop returns within the library's read/write timeouts.
// The listen backlog is widened to SOMAXCONN (the library's is 5).
//
// Thread-safety: construction, routes, Start and Stop from one controlling
// thread; handlers concurrently. The registry must outlive the endpoint.
#ifndef SEEDLM_SERVER_COMMON_HTTP_ENDPOINT_H_
#define SEEDLM_SERVER_COMMON_HTTP_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "server/common/metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace seedlm::obs {

// "host:port" (port 0..65535; "[::1]:0" for IPv6). INVALID_ARGUMENT
// otherwise.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(
    const std::string& address);

// The bearer token of a request ("Authorization: Bearer T"), "" when absent.
std::string BearerToken(const httplib::Request& req);

// Writes `body` with `status` and Content-Type application/json.
void SetJson(httplib::Response& res, int status, const std::string& body);
// Writes {"error": {"code": <status>, "message": <message>}}.
void SetJsonError(httplib::Response& res, int status,
                  const std::string& message);

struct HttpEndpointOptions {
  int threads = 4;  // handler threads, >= 1
};

class HttpEndpoint {
 public:
  // `metrics` (not owned, may be null: no /metrics route).
  explicit HttpEndpoint(MetricsRegistry* metrics,
                        HttpEndpointOptions options = {});
  ~HttpEndpoint();  // Stop()
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // For adding routes; only before Start.
  httplib::Server& server() { return *server_; }

  // Binds `address` ("host:port", port 0 = any free port) and serves on a
  // background thread. Returns the bound "host:port". INVALID_ARGUMENT for
  // a malformed address, UNAVAILABLE when it cannot be bound,
  // FAILED_PRECONDITION when already started.
  absl::StatusOr<std::string> Start(const std::string& address);

  // Stops serving and joins the threads. Idempotent.
  void Stop();

  int port() const { return port_; }

 private:
  MetricsRegistry* const metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listen_thread_;
  int listen_fd_ = -1;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace seedlm::obs

#endif  // SEEDLM_SERVER_COMMON_HTTP_ENDPOINT_H_
