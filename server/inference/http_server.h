// The OpenAI-compatible HTTP endpoint of the inference server: a thin
// adapter (cpp-httplib) over InferenceCore, with the JSON rules of
// openai_api.h. Routes:
//   POST /v1/completions, POST /v1/chat/completions (stream: true as
//     server-sent events ending with "data: [DONE]"),
//   GET /v1/models, GET /v1/models/{id} (404 for another id),
//   GET /healthz (200 "ok"; 503 while stopping),
//   GET /metrics (Prometheus text format: the registry of
//     HttpServerOptions::metrics, serve_metrics.h),
//   GET / (the status page, status_page.h; served without a token),
//   GET /api/v1/status (the page's JSON: {model, executors,
//     tokens_generated_total, queue_depth, running_batch_size,
//     requests_total}; needs a token like /v1/).
// Every finished request is counted in seedlm_serve_requests_total (by
// HttpEndpointLabel and HTTP status) and logged as one line "request done"
// (request, endpoint, code, seconds, prompt_tokens, completion_tokens):
// at info for the /v1/ API, at debug for the polled paths (/metrics,
// /healthz, /, /api/v1/status), which would otherwise flood the log.
// Every error is an OpenAI error object {"error": {...}} with the HTTP
// status of HttpStatusFor (429 with Retry-After: 1 when the engine is
// full, 413 for a body over kMaxRequestBytes, 404 for an unknown path).
//
// Auth: with an authorize function set, every /v1/ and /api/ request's
// bearer token
// ("Authorization: Bearer T"; "" when absent) is passed to it; its
// UNAUTHENTICATED becomes 401, PERMISSION_DENIED 403. The binary wires it to
// rpc::TokenTable::Check(token, Role::kClient) (proto/rpc/credentials.h);
// the table is not used here directly so that this layer links no gRPC.
//
// Connections: the server runs max_batch + max_queue + extra_connections
// handler threads, so that many requests are accepted at once and a 429
// comes from the engine's bound, not from a stalled accept queue. (The
// library's listen backlog is compiled in at 5; bursts beyond it wait for
// the kernel's SYN retry.) A streaming handler reads events with short
// deadlines; when its client has gone (a write fails) it cancels the
// request, so the engine frees the slot at its next step. A non-streaming
// handler cannot see its client leave and runs to the end (bounded by
// max_tokens and the request timeout). A /v1/completions request with a
// list of prompts submits them all at once: each takes its own slot, so a
// list can be refused with 429 where its prompts one by one would not.
// The library ignores SIGPIPE process-wide (its server's constructor), so
// a write to a closed connection fails instead of killing the process.
//
// Thread-safety: Start and Stop are called from one controlling thread;
// port() and stats() from any thread. The core must outlive the server.

#ifndef SEEDLM_SERVER_INFERENCE_HTTP_SERVER_H_
#define SEEDLM_SERVER_INFERENCE_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/metrics.h"
#include "server/inference/inference_core.h"
#include "server/inference/openai_api.h"
#include "server/inference/serve_metrics.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace seedlm::serve {

class SseStreamer;

struct HttpServerOptions {
  // TLS from PEM files when both are set; plaintext when both are empty.
  std::string tls_cert_path;
  std::string tls_key_path;
  // Checks a request's bearer token ("" when it carries none): OK,
  // UNAUTHENTICATED or PERMISSION_DENIED. Empty function: auth off. Called
  // concurrently from handler threads.
  std::function<absl::Status(const std::string& token)> authorize;
  // Each completion's deadline, from its arrival (DEADLINE_EXCEEDED: 504,
  // or an error event in a stream). Infinite by default.
  absl::Duration request_timeout = absl::InfiniteDuration();
  // Handler threads beyond the engine's max_batch + max_queue (>= 1): room
  // for /v1/models, /healthz, idle keep-alive connections and requests the
  // engine will refuse with 429.
  int extra_connections = 16;
  // How long a handler waits for events before it checks its client and
  // the server's stop (> 0).
  absl::Duration poll_interval = absl::Milliseconds(50);
  // How long an idle keep-alive connection holds its thread (seconds > 0).
  int keep_alive_seconds = 2;
  // The process's metrics (not owned; must outlive the server). Null: the
  // server makes its own registry and ServeMetrics over the core.
  ServeMetrics* metrics = nullptr;
};

struct HttpServerStats {
  int64_t requests = 0;  // requests routed to a handler
  // Streams whose client went away before the end (their requests were
  // cancelled).
  int64_t client_disconnects = 0;
};

class HttpApiServer {
 public:
  // `core` is not owned and must outlive the server.
  HttpApiServer(InferenceCore* core, HttpServerOptions options);
  // Stops at once (Stop(absl::ZeroDuration())) if still running.
  ~HttpApiServer();
  HttpApiServer(const HttpApiServer&) = delete;
  HttpApiServer& operator=(const HttpApiServer&) = delete;

  // Binds host:port (port 0: any free port) and serves on background
  // threads; returns the bound port. FAILED_PRECONDITION when already
  // started; INVALID_ARGUMENT for bad options (only one of cert/key, a
  // non-positive count or interval) or a certificate/key that does not
  // load; NOT_FOUND for a missing certificate or key file; UNAVAILABLE when
  // the address cannot be bound.
  absl::StatusOr<int> Start(const std::string& host, int port);

  // Stops accepting connections (the listening socket is shut down; new
  // connections are refused); requests in flight may run for `grace`, then
  // are cancelled (a stream ends with an error event and "data: [DONE]", a
  // non-streamed request gets 503). Returns when every handler has
  // returned: after at most grace + poll_interval + keep_alive_seconds +
  // the library's 5 s write timeout. Requests that arrive meanwhile on
  // kept-alive connections get 503. Idempotent; no restart.
  void Stop(absl::Duration grace);

  int port() const { return port_; }
  HttpServerStats stats() const;

 private:
  void Route();
  // Refuses the request (writing the error) while stopping or when auth
  // fails; returns whether it may proceed.
  bool Admit(const httplib::Request& req, httplib::Response& res);
  void HandleCompletions(const httplib::Request& req, httplib::Response& res);
  void HandleChat(const httplib::Request& req, httplib::Response& res);
  // GET /v1/executors: the attached executors and their layers.
  void HandleExecutors(const httplib::Request& req, httplib::Response& res);
  void HandleModels(const httplib::Request& req, httplib::Response& res);
  void HandleModel(const httplib::Request& req, httplib::Response& res);
  void HandleMetrics(httplib::Response& res);
  // GET /api/v1/status.
  void HandleStatus(const httplib::Request& req, httplib::Response& res);
  // Counts and logs a finished request (the library's logger).
  void Finished(const httplib::Request& req, const httplib::Response& res);
  // Sends `streamer`'s events as a chunked text/event-stream response.
  void StreamResponse(const httplib::Request& req, httplib::Response& res,
                      std::shared_ptr<SseStreamer> streamer);
  // Reads a stream to its end (cancelling it once the stop grace passed).
  absl::Status ReadAll(CompletionStream& stream, ChoiceResult* out);
  // Whether Stop's grace period is over (requests should be cancelled).
  bool StopExpired() const;
  std::string TokenText(int32_t id) const;

  InferenceCore* const core_;
  const HttpServerOptions options_;
  // When options_.metrics is null: the server's own (own_metrics_ before
  // own_registry_ is destroyed).
  std::unique_ptr<obs::MetricsRegistry> own_registry_;
  std::unique_ptr<ServeMetrics> own_metrics_;
  ServeMetrics* const metrics_;
  const int64_t created_;  // the models' "created"
  std::unique_ptr<httplib::Server> server_;
  std::thread listen_thread_;
  int port_ = 0;
  std::atomic<int> listen_fd_{-1};  // the listening socket (Stop)
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ns_{0};  // absl::ToUnixNanos
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> client_disconnects_{0};
};

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_HTTP_SERVER_H_
