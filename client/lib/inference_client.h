// A typed C++ client of a `seedlm-serve` InferenceService
// (proto/seedlm/v1/inference.proto): what `seedlm complete` is built on.
//
// Connections: Connect() dials with proto/rpc/credentials.h (TLS when a CA
// file is given, the project's channel limits) and waits, up to its timeout,
// for the channel to be ready. Every call carries the bearer token
// (AttachToken) and a deadline.
//
// Retries: the unary calls (Score, Tokenize, Detokenize, ModelInfo) are
// idempotent and retry UNAVAILABLE (a server restarting) with capped
// exponential backoff within options.call_timeout. Generate is not retried:
// a stream cut in the middle is returned as its error.
//
// Errors are absl::Status values converted with FromGrpcStatus
// (proto/rpc/status.h): the server's code and message (INVALID_ARGUMENT,
// RESOURCE_EXHAUSTED when its batch and queue are full, UNAUTHENTICATED,
// PERMISSION_DENIED, ...). Where the client itself fails: UNAVAILABLE naming
// the address when the server cannot be reached, DEADLINE_EXCEEDED when a
// call runs out of time, INTERNAL for a Generate stream that breaks the
// protocol (no summary, a message after it, an empty message).
//
// Thread-safety: an InferenceClient is immutable after Connect; its methods
// may be called from several threads at once.
#ifndef SEEDLM_CLIENT_LIB_INFERENCE_CLIENT_H_
#define SEEDLM_CLIENT_LIB_INFERENCE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/inference.grpc.pb.h"
#include "seedlm/v1/inference.pb.h"

namespace seedlm::client {

namespace v1 = ::seedlm::v1;

struct InferenceClientOptions {
  // The server, "host:port". Required.
  std::string address;
  // Bearer token sent on every call; "" sends none.
  std::string token;
  // PEM CA bundle to verify the server's TLS certificate; "" dials
  // plaintext.
  std::string tls_ca_path;
  // How long Connect waits for the channel to be ready.
  absl::Duration connect_timeout = absl::Seconds(30);
  // The deadline of each unary call, retries included.
  absl::Duration call_timeout = absl::Seconds(60);
  // The deadline of a whole Generate stream.
  absl::Duration generate_timeout = absl::Minutes(30);
};

// Called with each token message of a Generate stream, in order, from the
// calling thread. A non-OK return cancels the call; Generate returns it.
using TokenCallback = std::function<absl::Status(const v1::GenerateToken&)>;

class InferenceClient {
 public:
  // Dials options.address and waits up to options.connect_timeout for the
  // channel to be ready. INVALID_ARGUMENT for an empty address; the errors
  // of reading the CA file; UNAVAILABLE naming the address when the server
  // cannot be reached in time.
  static absl::StatusOr<std::unique_ptr<InferenceClient>> Connect(
      const InferenceClientOptions& options);

  // A client over an existing channel (tests): no waiting.
  InferenceClient(const InferenceClientOptions& options,
                  std::shared_ptr<grpc::Channel> channel);

  // Runs one completion: `on_token` (may be null) sees every token message
  // (echoed prompt tokens first), then the summary is returned. Errors: the
  // server's; the callback's (the call is cancelled); INTERNAL for a stream
  // that ends without a summary, sends anything after it, or sends a
  // message with neither a token nor a summary.
  absl::StatusOr<v1::GenerateSummary> Generate(
      const v1::GenerateRequest& request, const TokenCallback& on_token) const;

  absl::StatusOr<v1::ScoreResponse> Score(const std::string& text) const;
  absl::StatusOr<v1::TokenizeResponse> Tokenize(const std::string& text,
                                                bool add_bos = true) const;
  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> ids) const;
  absl::StatusOr<v1::ModelInfoResponse> ModelInfo() const;

  const InferenceClientOptions& options() const { return options_; }

 private:
  // A context with `deadline` and the token.
  void Prepare(grpc::ClientContext& context, absl::Time deadline) const;
  // Runs `attempt` (one unary call with a fresh context and the deadline)
  // until it succeeds, fails with something but UNAVAILABLE, or
  // call_timeout passes.
  absl::Status RetryUnary(
      const std::function<grpc::Status(grpc::ClientContext&)>& attempt,
      const char* what) const;

  InferenceClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InferenceService::Stub> stub_;
};

}  // namespace seedlm::client

#endif  // SEEDLM_CLIENT_LIB_INFERENCE_CLIENT_H_
