// Test-only: an InferenceCore and a real gRPC server over it on a loopback
// port (InferenceService, a token table with a client, a worker and an
// admin token), for the service's tests and the CLI's `seedlm complete`
// tests. Not thread-safe to set up; the server itself is.
#ifndef SEEDLM_SERVER_INFERENCE_INFERENCE_TEST_UTIL_H_
#define SEEDLM_SERVER_INFERENCE_INFERENCE_TEST_UTIL_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "client/lib/inference_client.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"
#include "server/inference/inference_core.h"
#include "server/inference/inference_service.h"

namespace seedlm::serve::testing {

inline const std::string kModel =
    SharedDataPath("data/stories260K/stories260K.bin");
inline const std::string kTokenizer =
    SharedDataPath("data/stories260K/tok512.bin");

inline constexpr char kClientToken[] = "client-token-0001";
inline constexpr char kWorkerToken[] = "worker-token-0001";
inline constexpr char kAdminToken[] = "admin-token-00001";

// A core and a gRPC server over it, with the token table above.
class Served {
 public:
  static std::unique_ptr<Served> Start(const std::string& model,
                                       const std::string& tokenizer,
                                       const ServeOptions& options) {
    auto s = std::unique_ptr<Served>(new Served());
    auto core = InferenceCore::Load(model, tokenizer, options);
    EXPECT_TRUE(core.ok()) << core.status();
    if (!core.ok()) return nullptr;
    s->core = std::move(*core);
    const std::string path = ::testing::TempDir() + "/inference_tokens_" +
                             std::to_string(::getpid());
    std::ofstream(path) << "# token role name\n"
                        << kClientToken << " client alice\n"
                        << kWorkerToken << " worker w1\n"
                        << kAdminToken << " admin root\n";
    auto tokens = rpc::TokenTable::Load(path);
    std::filesystem::remove(path);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    if (!tokens.ok()) return nullptr;
    s->tokens = std::move(*tokens);
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &s->port);
    s->service = RegisterInferenceService(builder, s->core.get(), &s->tokens);
    s->server = builder.BuildAndStart();
    EXPECT_NE(s->server, nullptr);
    if (s->server == nullptr || s->port <= 0) return nullptr;
    return s;
  }
  ~Served() {
    if (server) server->Shutdown(std::chrono::system_clock::now());
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  std::unique_ptr<client::InferenceClient> Client(
      const std::string& token = kClientToken) const {
    client::InferenceClientOptions o;
    o.address = address();
    o.token = token;
    o.connect_timeout = absl::Seconds(20);
    o.call_timeout = absl::Seconds(60);
    o.generate_timeout = absl::Seconds(120);
    auto c = client::InferenceClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::unique_ptr<InferenceCore> core;
  rpc::TokenTable tokens;
  std::unique_ptr<InferenceServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

 private:
  Served() = default;
};

}  // namespace seedlm::serve::testing

#endif  // SEEDLM_SERVER_INFERENCE_INFERENCE_TEST_UTIL_H_
