// The real InferenceClient against a small scripted InferenceService on a
// real loopback gRPC server: token and deadline on every call, stream
// framing (tokens, then exactly one summary; violations are INTERNAL), the
// server's errors with their codes, a callback error cancelling the call,
// retries of UNAVAILABLE on unary calls, connect timeouts. The service over
// a real model is tested in server/inference/inference_service_test.cc.
#include "client/lib/inference_client.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"

namespace seedlm::client {
namespace {

constexpr char kToken[] = "client-token-1";

v1::GenerateResponse Token(int id, const std::string& text) {
  v1::GenerateResponse m;
  m.mutable_token()->set_id(id);
  m.mutable_token()->set_text(text);
  m.mutable_token()->set_logprob(-0.5f);
  return m;
}

v1::GenerateResponse Summary(int completion_tokens) {
  v1::GenerateResponse m;
  m.mutable_summary()->set_finish_reason(v1::FINISH_REASON_LENGTH);
  m.mutable_summary()->mutable_usage()->set_prompt_tokens(2);
  m.mutable_summary()->mutable_usage()->set_completion_tokens(
      completion_tokens);
  return m;
}

// Generate's behaviour is chosen by the prompt text; unary calls echo.
class ScriptedService final : public v1::InferenceService::Service {
 public:
  std::atomic<int> unavailable_left{0};  // Tokenize answers UNAVAILABLE
  std::atomic<int> tokenize_calls{0};
  std::atomic<bool> endless_cancelled{false};
  absl::Notification endless_done;

  grpc::Status Generate(
      grpc::ServerContext* context, const v1::GenerateRequest* request,
      grpc::ServerWriter<v1::GenerateResponse>* writer) override {
    if (grpc::Status s = Check(*context); !s.ok()) return s;
    const std::string& p = request->text();
    if (p == "ok") {
      writer->Write(Token(5, "Once"));
      writer->Write(Token(6, " upon"));
      writer->Write(Summary(2));
    } else if (p == "no-summary") {
      writer->Write(Token(5, "Once"));
    } else if (p == "after-summary") {
      writer->Write(Summary(0));
      writer->Write(Token(5, "Once"));
    } else if (p == "empty-message") {
      writer->Write(v1::GenerateResponse());
      writer->Write(Summary(0));
    } else if (p == "full") {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "batch full");
    } else if (p == "endless") {
      // Writes until the client cancels (bounded: 30 s).
      const absl::Time end = absl::Now() + absl::Seconds(30);
      while (!context->IsCancelled() && absl::Now() < end) {
        writer->Write(Token(7, "x"));
        absl::SleepFor(absl::Milliseconds(5));
      }
      endless_cancelled = context->IsCancelled();
      endless_done.Notify();
    }
    return grpc::Status::OK;
  }
  grpc::Status Tokenize(grpc::ServerContext* context,
                        const v1::TokenizeRequest* request,
                        v1::TokenizeResponse* response) override {
    ++tokenize_calls;
    if (unavailable_left.fetch_sub(1) > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
    }
    if (grpc::Status s = Check(*context); !s.ok()) return s;
    response->add_ids(request->add_bos() ? 1 : 0);
    response->add_ids(static_cast<int>(request->text().size()));
    return grpc::Status::OK;
  }
  grpc::Status Detokenize(grpc::ServerContext* context,
                          const v1::DetokenizeRequest* request,
                          v1::DetokenizeResponse* response) override {
    if (grpc::Status s = Check(*context); !s.ok()) return s;
    std::string text;
    for (int id : request->ids()) text += std::to_string(id) + ",";
    response->set_text(text);
    return grpc::Status::OK;
  }
  grpc::Status Score(grpc::ServerContext* context,
                     const v1::ScoreRequest* request,
                     v1::ScoreResponse* response) override {
    if (grpc::Status s = Check(*context); !s.ok()) return s;
    if (request->text().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "text: empty");
    }
    response->set_tokens(static_cast<int>(request->text().size()));
    response->set_perplexity(3.5);
    return grpc::Status::OK;
  }
  grpc::Status ModelInfo(grpc::ServerContext* context,
                         const v1::ModelInfoRequest*,
                         v1::ModelInfoResponse* response) override {
    if (grpc::Status s = Check(*context); !s.ok()) return s;
    response->set_model_id("fake");
    response->set_context(512);
    // The client's deadline arrives (call_timeout ahead, within a margin).
    const auto left = context->deadline() - std::chrono::system_clock::now();
    response->set_vocab_size(static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(left).count()));
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Check(const grpc::ServerContext& context) {
    if (rpc::BearerToken(context) != kToken) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    }
    return grpc::Status::OK;
  }
};

class InferenceClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(); }

  InferenceClientOptions Options() const {
    InferenceClientOptions o;
    o.address = "127.0.0.1:" + std::to_string(port_);
    o.token = kToken;
    o.connect_timeout = absl::Seconds(10);
    o.call_timeout = absl::Seconds(20);
    return o;
  }
  std::unique_ptr<InferenceClient> Client(InferenceClientOptions o) {
    absl::StatusOr<std::unique_ptr<InferenceClient>> c =
        InferenceClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }
  absl::StatusOr<v1::GenerateSummary> Generate(const InferenceClient& c,
                                               const std::string& prompt,
                                               std::string* text) {
    v1::GenerateRequest r;
    r.set_text(prompt);
    return c.Generate(r, [text](const v1::GenerateToken& t) {
      *text += t.text();
      return absl::OkStatus();
    });
  }

  ScriptedService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(InferenceClientTest, GenerateStreamsTokensThenSummary) {
  auto c = Client(Options());
  ASSERT_NE(c, nullptr);
  std::string text;
  absl::StatusOr<v1::GenerateSummary> s = Generate(*c, "ok", &text);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(text, "Once upon");
  EXPECT_EQ(s->finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(s->usage().completion_tokens(), 2);
  // A null callback is allowed.
  v1::GenerateRequest r;
  r.set_text("ok");
  EXPECT_TRUE(c->Generate(r, nullptr).ok());
}

TEST_F(InferenceClientTest, BrokenFramingIsInternal) {
  auto c = Client(Options());
  ASSERT_NE(c, nullptr);
  for (const char* p : {"no-summary", "after-summary", "empty-message"}) {
    std::string text;
    absl::StatusOr<v1::GenerateSummary> s = Generate(*c, p, &text);
    ASSERT_FALSE(s.ok()) << p;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInternal) << s.status();
  }
}

TEST_F(InferenceClientTest, ServerErrorsKeepTheirCode) {
  auto c = Client(Options());
  ASSERT_NE(c, nullptr);
  std::string text;
  absl::StatusOr<v1::GenerateSummary> s = Generate(*c, "full", &text);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.status().message(), "batch full");
  absl::StatusOr<v1::ScoreResponse> sc = c->Score("");
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(sc.status().code(), absl::StatusCode::kInvalidArgument);

  InferenceClientOptions bad = Options();
  bad.token = "wrong-token";
  auto c2 = Client(bad);
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->ModelInfo().status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Generate(*c2, "ok", &text).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(InferenceClientTest, CallbackErrorCancelsTheCall) {
  auto c = Client(Options());
  ASSERT_NE(c, nullptr);
  v1::GenerateRequest r;
  r.set_text("endless");
  int seen = 0;
  absl::StatusOr<v1::GenerateSummary> s =
      c->Generate(r, [&seen](const v1::GenerateToken&) {
        return ++seen == 3 ? absl::DataLossError("stdout closed")
                           : absl::OkStatus();
      });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(seen, 3);
  // The server sees the cancellation (not its 30 s bound).
  ASSERT_TRUE(
      service_.endless_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(service_.endless_cancelled);
}

TEST_F(InferenceClientTest, UnaryCallsRoundTripAndRetryUnavailable) {
  auto c = Client(Options());
  ASSERT_NE(c, nullptr);
  service_.unavailable_left = 2;
  absl::StatusOr<v1::TokenizeResponse> t = c->Tokenize("abc", false);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(service_.tokenize_calls.load(), 3);
  ASSERT_EQ(t->ids_size(), 2);
  EXPECT_EQ(t->ids(0), 0);  // add_bos false travelled
  EXPECT_EQ(t->ids(1), 3);
  EXPECT_EQ(c->Tokenize("abc")->ids(0), 1);  // default add_bos true

  const std::vector<int32_t> ids = {1, 22, 333};
  absl::StatusOr<std::string> d = c->Detokenize(ids);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "1,22,333,");
  absl::StatusOr<v1::ScoreResponse> s = c->Score("hello");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->tokens(), 5);
  absl::StatusOr<v1::ModelInfoResponse> m = c->ModelInfo();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->model_id(), "fake");
  EXPECT_GE(m->vocab_size(), 15);  // seconds left of the 20 s call timeout
  EXPECT_LE(m->vocab_size(), 20);

  // UNAVAILABLE past the call timeout is returned, naming the server.
  InferenceClientOptions quick = Options();
  quick.call_timeout = absl::Milliseconds(300);
  auto c2 = Client(quick);
  ASSERT_NE(c2, nullptr);
  service_.unavailable_left = 1000;
  absl::StatusOr<v1::TokenizeResponse> u = c2->Tokenize("abc");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(u.status().message().find(quick.address), std::string::npos)
      << u.status();
}

TEST(InferenceClientConnect, FailsFastWithoutServer) {
  InferenceClientOptions o;
  EXPECT_EQ(InferenceClient::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.address = "127.0.0.1:1";  // nothing listens on port 1
  o.connect_timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<InferenceClient>> c =
      InferenceClient::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace seedlm::client
