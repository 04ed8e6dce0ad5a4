// The gRPC InferenceService (proto/seedlm/v1/inference.proto): a thin
// adapter over InferenceCore (inference_core.h). Each call checks the
// caller's bearer token (TokenTable, proto/rpc/credentials.h: role client,
// or admin), bounds and converts the request (proto/rpc/inference_convert.h,
// the kMax* bounds of inference_core.h), calls the core, and converts the
// result; absl::Status becomes grpc::Status only through proto/rpc/status.h.
//
// Generate submits the completion, then reads the stream's events with a
// short wait (kGeneratePoll) and writes one message per token, then one
// GenerateSummary. A client that cancels the call, a call past its
// deadline, or a failed Write cancels the completion, so its batch slot
// frees at the engine's next step.
//
// Thread-safe (the sync gRPC server calls it from many threads).
#ifndef SEEDLM_SERVER_INFERENCE_INFERENCE_SERVICE_H_
#define SEEDLM_SERVER_INFERENCE_INFERENCE_SERVICE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/rpc/credentials.h"
#include "seedlm/v1/inference.grpc.pb.h"
#include "server/inference/inference_core.h"
#include "server/inference/serve_metrics.h"

namespace seedlm::serve {

namespace v1 = ::seedlm::v1;

// How long Generate waits for events before it checks again whether the
// client is still there: the longest a cancelled call holds its slot,
// beyond the engine's step.
inline constexpr absl::Duration kGeneratePoll = absl::Milliseconds(20);

class InferenceServiceImpl final : public v1::InferenceService::Service {
 public:
  // Borrows all three; they must outlive the service. `tokens` may be an
  // empty table (auth off). Each call is counted in `metrics`'s
  // seedlm_serve_requests_total{endpoint="grpc_<method>",code="<gRPC code
  // name>"} (null: not counted).
  InferenceServiceImpl(InferenceCore* core, const rpc::TokenTable* tokens,
                       ServeMetrics* metrics = nullptr);

  grpc::Status Generate(
      grpc::ServerContext* context, const v1::GenerateRequest* request,
      grpc::ServerWriter<v1::GenerateResponse>* writer) override;
  grpc::Status Score(grpc::ServerContext* context,
                     const v1::ScoreRequest* request,
                     v1::ScoreResponse* response) override;
  grpc::Status Tokenize(grpc::ServerContext* context,
                        const v1::TokenizeRequest* request,
                        v1::TokenizeResponse* response) override;
  grpc::Status Detokenize(grpc::ServerContext* context,
                          const v1::DetokenizeRequest* request,
                          v1::DetokenizeResponse* response) override;
  grpc::Status ModelInfo(grpc::ServerContext* context,
                         const v1::ModelInfoRequest* request,
                         v1::ModelInfoResponse* response) override;

 private:
  // The methods' bodies; the overrides count their outcome.
  grpc::Status DoGenerate(grpc::ServerContext* context,
                          const v1::GenerateRequest* request,
                          grpc::ServerWriter<v1::GenerateResponse>* writer);
  grpc::Status DoScore(grpc::ServerContext* context,
                       const v1::ScoreRequest* request,
                       v1::ScoreResponse* response);
  grpc::Status DoTokenize(grpc::ServerContext* context,
                          const v1::TokenizeRequest* request,
                          v1::TokenizeResponse* response);
  grpc::Status DoDetokenize(grpc::ServerContext* context,
                            const v1::DetokenizeRequest* request,
                            v1::DetokenizeResponse* response);
  grpc::Status DoModelInfo(grpc::ServerContext* context,
                           const v1::ModelInfoRequest* request,
                           v1::ModelInfoResponse* response);
  grpc::Status Counted(std::string_view endpoint, grpc::Status status);

  InferenceCore* const core_;
  const rpc::TokenTable* const tokens_;
  ServeMetrics* const metrics_;
  // Each token's text decoded alone (the alternatives' text), by id.
  std::vector<std::string> token_texts_;
};

// The whole CompletionRequest of a Generate call: the prompt (text tokenized
// with add_bos, unset = true; or ids: 1..kMaxPromptIds, each in the
// vocabulary), the generation fields (rpc::CompletionRequestFromProto) and
// `deadline`. INVALID_ARGUMENT naming the field for a bad one, for an empty
// prompt, and for a prompt whose tokens plus max_tokens exceed the context
// (both numbers in the message). Exposed for tests.
absl::StatusOr<CompletionRequest> CompletionRequestFor(
    const InferenceCore& core, const v1::GenerateRequest& request,
    absl::Time deadline);

// The proto form of ModelInfo.
v1::ModelInfoResponse ModelInfoToProto(const ModelInfo& info);

// Creates the service and registers it on `builder` (call before
// BuildAndStart; rpc::ConfigureServerBuilder adds health and reflection).
// The caller keeps the returned service alive until the server built from
// `builder` is destroyed; `core` and `tokens` must outlive it.
std::unique_ptr<InferenceServiceImpl> RegisterInferenceService(
    grpc::ServerBuilder& builder, InferenceCore* core,
    const rpc::TokenTable* tokens, ServeMetrics* metrics = nullptr);

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_INFERENCE_SERVICE_H_
