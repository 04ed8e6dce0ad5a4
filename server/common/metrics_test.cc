#include "server/common/metrics.h"

#include <string>

#include "gtest/gtest.h"
#include "httplib.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "server/common/http_endpoint.h"

namespace seedlm::obs {
namespace {

TEST(MetricsRegistryTest, RendersFamiliesAndRunsHooksBeforeEachRender) {
  MetricsRegistry metrics("seedlm-test", "v1");
  auto& counter = prometheus::BuildCounter()
                      .Name("seedlm_test_things_total")
                      .Help("Things.")
                      .Register(metrics.registry())
                      .Add({});
  auto& gauge = prometheus::BuildGauge()
                    .Name("seedlm_test_depth")
                    .Help("Depth.")
                    .Register(metrics.registry())
                    .Add({});
  int calls = 0;
  const int id = metrics.AddCollectHook([&] { gauge.Set(++calls * 10); });
  counter.Increment(3);
  std::string text = metrics.Render();
  EXPECT_NE(text.find("seedlm_test_things_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("seedlm_test_depth 10"), std::string::npos) << text;
  EXPECT_NE(
      text.find("seedlm_build_info{process=\"seedlm-test\",version=\"v1\"} 1"),
      std::string::npos)
      << text;
  text = metrics.Render();
  EXPECT_NE(text.find("seedlm_test_depth 20"), std::string::npos) << text;
  metrics.RemoveCollectHook(id);
  text = metrics.Render();
  EXPECT_NE(text.find("seedlm_test_depth 20"), std::string::npos) << text;
  EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistryTest, BucketsAreIncreasing) {
  for (const auto& b : {LatencyBucketsSeconds(), DurationBucketsSeconds()}) {
    ASSERT_GT(b.size(), 5u);
    for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  }
}

TEST(HttpEndpointTest, ParsesAddresses) {
  auto a = ParseHostPort("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 0);
  auto b = ParseHostPort("[::1]:8080");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, "::1");
  EXPECT_EQ(b->second, 8080);
  for (const char* bad : {"", "host", ":80", "h:-1", "h:65536", "h:x"}) {
    EXPECT_EQ(ParseHostPort(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(HttpEndpointTest, ServesMetricsHealthAndAddedRoutes) {
  MetricsRegistry metrics("seedlm-test");
  HttpEndpoint endpoint(&metrics);
  endpoint.server().Get(
      "/hello", [](const httplib::Request& req, httplib::Response& res) {
        SetJson(res, 200, "{\"token\":\"" + BearerToken(req) + "\"}");
      });
  auto address = endpoint.Start("127.0.0.1:0");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "127.0.0.1:" + std::to_string(endpoint.port()));
  httplib::Client client("127.0.0.1", endpoint.port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("seedlm_build_info"), std::string::npos);
  EXPECT_EQ(res->get_header_value("Content-Type"), kMetricsContentType);
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get("/hello", {{"Authorization", "Bearer abc"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "{\"token\":\"abc\"}");
  res = client.Get("/nothing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  // A second endpoint cannot take the same port.
  HttpEndpoint other(nullptr);
  EXPECT_EQ(other.Start(*address).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(endpoint.Start("127.0.0.1:0").status().code(),
            absl::StatusCode::kFailedPrecondition);
  endpoint.Stop();
  endpoint.Stop();
}

}  // namespace
}  // namespace seedlm::obs
