// ServeMetrics through a real HttpApiServer over a real InferenceCore on
// stories260K (../shared/data): the numbers /metrics and /api/v1/status
// show against what the completions returned, and the status page.
#include "server/inference/serve_metrics.h"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/util/json_util.h"
#include "core/util/mutex.h"
#include "core/util/shared_data_gtest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "server/inference/http_server.h"
#include "server/inference/inference_service.h"

namespace seedlm::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ModelPath() {
  return SharedDataPath("data/stories260K/stories260K.bin");
}
std::string TokenizerPath() {
  return SharedDataPath("data/stories260K/tok512.bin");
}

// The value of the sample `name` whose labels include every `labels` pair
// in Prometheus text `body`; -1 when there is none.
double Sample(const std::string& body, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, space);
    const absl::string_view bare = key.substr(0, key.find('{'));
    if (bare != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) {
      all = all && absl::StrContains(key, absl::StrCat(k, "=\"", v, "\""));
    }
    double value = 0;
    if (all && absl::SimpleAtod(line.substr(space + 1), &value)) return value;
  }
  return -1;
}

class ServeMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { SEEDLM_NEED_SHARED_FILE(ModelPath()); }

  void Start(HttpServerOptions http = {}) {
    ServeOptions options;
    options.model_id = "stories260K";
    auto core = InferenceCore::Load(ModelPath(), TokenizerPath(), options);
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = std::move(*core);
    registry_ = std::make_unique<obs::MetricsRegistry>("seedlm-serve");
    metrics_ = std::make_unique<ServeMetrics>(registry_.get(), core_.get());
    http.metrics = metrics_.get();
    server_ = std::make_unique<HttpApiServer>(core_.get(), std::move(http));
    auto port = server_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    client_->set_read_timeout(60, 0);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop(absl::ZeroDuration());
  }

  std::string Metrics() {
    auto r = client_->Get("/metrics");
    EXPECT_TRUE(r && r->status == 200);
    return r ? r->body : "";
  }

  // Polls /metrics until the sample equals `want` (the server counts a
  // request after its response is written) or 10 s pass; returns the last.
  double WaitSample(const std::string& name,
                    const std::map<std::string, std::string>& labels,
                    double want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    double got = Sample(Metrics(), name, labels);
    while (got != want && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
      got = Sample(Metrics(), name, labels);
    }
    return got;
  }

  std::unique_ptr<InferenceCore> core_;
  std::unique_ptr<obs::MetricsRegistry> registry_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::unique_ptr<HttpApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST(HttpEndpointLabelTest, MapsRoutes) {
  EXPECT_EQ(HttpEndpointLabel("/v1/completions"), "completions");
  EXPECT_EQ(HttpEndpointLabel("/v1/chat/completions"), "chat_completions");
  EXPECT_EQ(HttpEndpointLabel("/v1/models"), "models");
  EXPECT_EQ(HttpEndpointLabel("/v1/models/x"), "models");
  EXPECT_EQ(HttpEndpointLabel("/v1/executors"), "executors");
  EXPECT_EQ(HttpEndpointLabel("/v1/nope"), "other");
  EXPECT_EQ(HttpEndpointLabel("/metrics"), "other");
}

TEST_F(ServeMetricsTest, CountsRequestsTokensAndLatencies) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string start = Metrics();
  // Every family exists, zero-valued, before the first request.
  for (const char* endpoint :
       {"completions", "chat_completions", "models", "executors"}) {
    EXPECT_EQ(Sample(start, "seedlm_serve_requests_total",
                     {{"endpoint", endpoint}, {"code", "200"}}),
              0)
        << endpoint;
  }
  EXPECT_EQ(Sample(start, "seedlm_serve_requests_total",
                   {{"endpoint", "grpc_generate"}, {"code", "OK"}}),
            0);
  for (const char* name :
       {"seedlm_serve_tokens_generated_total",
        "seedlm_serve_prompt_tokens_total",
        "seedlm_serve_time_to_first_token_seconds_count",
        "seedlm_serve_inter_token_latency_seconds_count",
        "seedlm_serve_queue_depth", "seedlm_serve_running_batch_size",
        "seedlm_serve_executors_attached",
        "seedlm_serve_weight_bytes_streamed_total"}) {
    EXPECT_EQ(Sample(start, name), 0) << name;
  }

  // N completions (one streamed) of different lengths.
  const std::vector<std::string> prompts = {"Once upon a time", "The cat",
                                            "Lily and Tom went"};
  int completion_tokens = 0, prompt_tokens = 0, events = 0, with_tokens = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string body =
        absl::StrCat(R"({"prompt": ")", prompts[i], R"(", "max_tokens": )",
                     4 + 3 * i, R"(, "temperature": 0})");
    auto r = client_->Post("/v1/completions", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = ParseJson(r->body, "response");
    ASSERT_TRUE(j.ok()) << r->body;
    const int c = (*j)["usage"]["completion_tokens"].get<int>();
    completion_tokens += c;
    prompt_tokens += (*j)["usage"]["prompt_tokens"].get<int>();
    // A stopping token (EOS) is counted in usage but is not an event.
    const int e = c - ((*j)["choices"][0]["finish_reason"] == "stop" ? 1 : 0);
    events += e;
    with_tokens += e > 0 ? 1 : 0;
  }
  auto streamed = client_->Post(
      "/v1/completions",
      R"({"prompt": "A dog", "max_tokens": 5, "temperature": 0, "stream": true,
          "stream_options": {"include_usage": true}})",
      "application/json");
  ASSERT_TRUE(streamed);
  ASSERT_EQ(streamed->status, 200);
  // The usage chunk: the last payload before [DONE].
  const size_t usage_at = streamed->body.rfind("\"usage\"");
  ASSERT_NE(usage_at, std::string::npos) << streamed->body;
  {
    const size_t from = streamed->body.rfind("data: ", usage_at) + 6;
    auto j = ParseJson(
        streamed->body.substr(from, streamed->body.find('\n', from) - from),
        "usage chunk");
    ASSERT_TRUE(j.ok());
    const int c = (*j)["usage"]["completion_tokens"].get<int>();
    completion_tokens += c;
    prompt_tokens += (*j)["usage"]["prompt_tokens"].get<int>();
    const bool stop =
        absl::StrContains(streamed->body, "\"finish_reason\":\"stop\"");
    events += c - (stop ? 1 : 0);
    with_tokens += c - (stop ? 1 : 0) > 0 ? 1 : 0;
  }
  const int n = static_cast<int>(prompts.size()) + 1;
  auto missing = client_->Get("/v1/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  EXPECT_EQ(WaitSample("seedlm_serve_requests_total",
                       {{"endpoint", "completions"}, {"code", "200"}}, n),
            n);
  EXPECT_EQ(WaitSample("seedlm_serve_requests_total",
                       {{"endpoint", "other"}, {"code", "404"}}, 1),
            1);
  const std::string m = Metrics();
  ASSERT_GT(completion_tokens, n);
  EXPECT_EQ(Sample(m, "seedlm_serve_tokens_generated_total"),
            completion_tokens);
  EXPECT_EQ(Sample(m, "seedlm_serve_prompt_tokens_total"), prompt_tokens);
  // One first-token time per completion with tokens, one gap per later one.
  EXPECT_EQ(Sample(m, "seedlm_serve_time_to_first_token_seconds_count"),
            with_tokens);
  EXPECT_EQ(Sample(m, "seedlm_serve_inter_token_latency_seconds_count"),
            events - with_tokens);
  EXPECT_GT(Sample(m, "seedlm_serve_time_to_first_token_seconds_sum"), 0);
  EXPECT_EQ(Sample(m, "seedlm_serve_queue_depth"), 0);
  EXPECT_EQ(Sample(m, "seedlm_serve_running_batch_size"), 0);
  EXPECT_EQ(Sample(m, "seedlm_build_info", {{"process", "seedlm-serve"}}), 1);

  // The status JSON carries the same figures.
  auto status = client_->Get("/api/v1/status");
  ASSERT_TRUE(status);
  ASSERT_EQ(status->status, 200) << status->body;
  auto s = ParseJson(status->body, "status");
  ASSERT_TRUE(s.ok()) << status->body;
  EXPECT_EQ((*s)["model"]["id"], "stories260K");
  EXPECT_GT((*s)["model"]["n_layers"].get<int>(), 0);
  EXPECT_TRUE((*s)["executors"].is_array());
  EXPECT_EQ((*s)["executors"].size(), 0u);
  EXPECT_EQ((*s)["tokens_generated_total"].get<int>(), completion_tokens);
  EXPECT_EQ((*s)["queue_depth"].get<int>(), 0);
  EXPECT_EQ((*s)["running_batch_size"].get<int>(), 0);
  // The completions, the 404 and the /metrics scrapes so far, at least.
  EXPECT_GE((*s)["requests_total"].get<int>(), n + 1);
}

TEST_F(ServeMetricsTest, StatusNeedsAClientTokenThePageDoesNot) {
  const std::string dir = ::testing::TempDir() + "/serve_metrics_tokens";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/tokens");
    f << "client-token-1 client alice\nworker-token-2 worker bob\n";
  }
  auto table = rpc::TokenTable::Load(dir + "/tokens");
  ASSERT_TRUE(table.ok()) << table.status();
  HttpServerOptions http;
  http.authorize = [t = *table](const std::string& token) {
    return t.Check(token, rpc::Role::kClient).status();
  };
  ASSERT_NO_FATAL_FAILURE(Start(http));
  auto none = client_->Get("/api/v1/status");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto worker = client_->Get("/api/v1/status",
                             {{"Authorization", "Bearer worker-token-2"}});
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->status, 403);
  auto ok = client_->Get("/api/v1/status",
                         {{"Authorization", "Bearer client-token-1"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(WaitSample("seedlm_serve_requests_total",
                       {{"endpoint", "other"}, {"code", "401"}}, 1),
            1);

  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("/api/v1/status"));
  EXPECT_THAT(page->body, HasSubstr("sessionStorage"));
  EXPECT_THAT(page->body, HasSubstr("textContent"));
  // Names from the server are never parsed as HTML.
  EXPECT_THAT(page->body, Not(HasSubstr("innerHTML")));
}

// One "request done" line per finished request: at info for /v1/ (with the
// OpenAI id and the usage), at debug for polled paths.
TEST_F(ServeMetricsTest, OneLogLinePerFinishedRequest) {
  Mutex mu;
  std::vector<std::string> lines;
  obs::InitLogging("seedlm-serve", obs::LogLevel::kInfo,
                   obs::LogFormat::kLogfmt);
  obs::SetLogSinkForTesting([&](const std::string& l) {
    MutexLock lock(&mu);
    lines.push_back(l);
  });
  ASSERT_NO_FATAL_FAILURE(Start());
  auto r = client_->Post("/v1/completions",
                         R"({"prompt": "The cat", "max_tokens": 3})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto j = ParseJson(r->body, "response");
  ASSERT_TRUE(j.ok());
  const std::string want = absl::StrCat(
      "msg=\"request done\" request=", (*j)["id"].get<std::string>(),
      " endpoint=completions path=/v1/completions code=200");
  const std::string usage = absl::StrCat(
      " prompt_tokens=", (*j)["usage"]["prompt_tokens"].get<int>(),
      " completion_tokens=", (*j)["usage"]["completion_tokens"].get<int>());
  EXPECT_EQ(WaitSample("seedlm_serve_requests_total",
                       {{"endpoint", "completions"}, {"code", "200"}}, 1),
            1);
  obs::SetLogSinkForTesting(nullptr);
  obs::InitLogging("seedlm", obs::LogLevel::kInfo, obs::LogFormat::kText);
  MutexLock lock(&mu);
  int found = 0;
  for (const std::string& l : lines) {
    EXPECT_THAT(l, Not(HasSubstr("path=/metrics")));  // debug only
    if (absl::StrContains(l, want)) {
      ++found;
      EXPECT_THAT(l, HasSubstr(usage));
    }
  }
  EXPECT_EQ(found, 1) << absl::StrJoin(lines, "\n");
}

// The gRPC adapter counts each call by method and code name (called
// directly: the counting wraps the method bodies, the transport adds
// nothing).
TEST_F(ServeMetricsTest, GrpcCallsCountedByMethodAndCodeName) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const rpc::TokenTable no_tokens;  // auth off
  InferenceServiceImpl service(core_.get(), &no_tokens, metrics_.get());
  {
    grpc::ServerContext context;
    v1::TokenizeRequest request;
    request.set_text("Once upon a time");
    v1::TokenizeResponse response;
    EXPECT_TRUE(service.Tokenize(&context, &request, &response).ok());
    EXPECT_GT(response.ids_size(), 0);
  }
  {
    grpc::ServerContext context;
    v1::DetokenizeRequest request;
    request.add_ids(1 << 30);  // outside the vocabulary
    v1::DetokenizeResponse response;
    EXPECT_EQ(service.Detokenize(&context, &request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "seedlm_serve_requests_total",
                   {{"endpoint", "grpc_tokenize"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(
      Sample(m, "seedlm_serve_requests_total",
             {{"endpoint", "grpc_detokenize"}, {"code", "INVALID_ARGUMENT"}}),
      1);
  EXPECT_EQ(Sample(m, "seedlm_serve_requests_total",
                   {{"endpoint", "grpc_generate"}, {"code", "OK"}}),
            0);
}

}  // namespace
}  // namespace seedlm::serve
