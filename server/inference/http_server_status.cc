// The HTTP server's observability routes and hooks (http_server.h):
// GET /metrics, GET /api/v1/status, and the count and log line of every
// finished request.
#include <httplib.h>

#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/http_endpoint.h"
#include "server/common/logging.h"
#include "server/inference/http_server.h"
#include "server/inference/http_server_internal.h"

namespace seedlm::serve {
namespace http_internal {

RequestNote& CurrentRequestNote() {
  thread_local RequestNote note;
  return note;
}

nlohmann::json ExecutorsJson(const InferenceCore& core) {
  nlohmann::json list = nlohmann::json::array();
  for (const ExecutorPlacementInfo& e : core.Executors()) {
    list.push_back({{"id", e.id},
                    {"kind", e.kind},
                    {"name", e.name},
                    {"layers", {e.layers.begin, e.layers.end}},
                    {"bytes", e.weight_bytes}});
  }
  return list;
}

}  // namespace http_internal

void HttpApiServer::HandleMetrics(httplib::Response& res) {
  ++requests_;
  res.set_content(metrics_->registry().Render(), obs::kMetricsContentType);
}

void HttpApiServer::HandleStatus(const httplib::Request& req,
                                 httplib::Response& res) {
  if (!Admit(req, res)) return;
  const ServeStatusCounts c = metrics_->StatusCounts();
  const ModelInfo& info = core_->info();
  obs::SetJson(
      res, 200,
      nlohmann::json{{"model",
                      {{"id", info.model_id},
                       {"n_layers", info.n_layers},
                       {"context", info.context},
                       {"max_batch", info.max_batch}}},
                     {"executors", http_internal::ExecutorsJson(*core_)},
                     {"tokens_generated_total", c.tokens_generated_total},
                     {"queue_depth", c.queue_depth},
                     {"running_batch_size", c.running_batch_size},
                     {"requests_total", c.requests_total}}
          .dump());
}

void HttpApiServer::Finished(const httplib::Request& req,
                             const httplib::Response& res) {
  const std::string_view endpoint = HttpEndpointLabel(req.path);
  const obs::LogLevel level = absl::StartsWith(req.path, "/v1/")
                                  ? obs::LogLevel::kInfo
                                  : obs::LogLevel::kDebug;
  // Logged before it is counted: whoever sees the count sees the line.
  if (obs::LogEnabled(level)) {
    const http_internal::RequestNote& n = http_internal::CurrentRequestNote();
    const double seconds = n.start == absl::InfinitePast()
                               ? 0
                               : absl::ToDoubleSeconds(absl::Now() - n.start);
    obs::Log(level, "request done",
             {{"request", n.id},
              {"endpoint", endpoint},
              {"path", req.path},
              {"code", res.status},
              {"seconds", seconds},
              {"prompt_tokens", n.prompt_tokens},
              {"completion_tokens", n.completion_tokens}});
  }
  metrics_->CountRequest(endpoint, absl::StrCat(res.status));
}

}  // namespace seedlm::serve
