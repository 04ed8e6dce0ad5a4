#include "client/lib/inference_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/lib/retry.h"
#include "core/util/status_macros.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

namespace seedlm::client {
namespace {

// How errors name the server (retry.h Annotate).
constexpr char kServer[] = "inference server";

absl::Status ProtocolError(const std::string& what) {
  return absl::InternalError(
      absl::StrCat("Generate: the server broke the stream protocol: ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceClient>> InferenceClient::Connect(
    const InferenceClientOptions& options) {
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::Channel> channel,
      internal::ConnectChannel(kServer, options.address, options.tls_ca_path,
                               options.connect_timeout));
  return std::make_unique<InferenceClient>(options, std::move(channel));
}

InferenceClient::InferenceClient(const InferenceClientOptions& options,
                                 std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::InferenceService::NewStub(channel_)) {}

void InferenceClient::Prepare(grpc::ClientContext& context,
                              absl::Time deadline) const {
  context.set_deadline(internal::ToGrpcDeadline(deadline));
  rpc::AttachToken(context, options_.token);
}

absl::Status InferenceClient::RetryUnary(
    const std::function<grpc::Status(grpc::ClientContext&)>& attempt,
    const char* what) const {
  return internal::RetryUnary(
      [&](absl::Time deadline) {
        grpc::ClientContext ctx;
        Prepare(ctx, deadline);
        return attempt(ctx);
      },
      options_.call_timeout, kServer, options_.address, what);
}

absl::StatusOr<v1::GenerateSummary> InferenceClient::Generate(
    const v1::GenerateRequest& request, const TokenCallback& on_token) const {
  grpc::ClientContext ctx;
  Prepare(ctx, absl::Now() + options_.generate_timeout);
  std::unique_ptr<grpc::ClientReader<v1::GenerateResponse>> reader =
      stub_->Generate(&ctx, request);
  v1::GenerateResponse msg;
  bool have_summary = false;
  v1::GenerateSummary summary;
  absl::Status failure;  // ours: a callback error or a protocol error
  while (failure.ok() && reader->Read(&msg)) {
    if (have_summary) {
      failure = ProtocolError("a message after the summary");
    } else if (msg.has_summary()) {
      summary = std::move(*msg.mutable_summary());
      have_summary = true;
    } else if (msg.has_token()) {
      if (on_token) failure = on_token(msg.token());
    } else {
      failure = ProtocolError("a message with neither a token nor a summary");
    }
  }
  if (!failure.ok()) {
    ctx.TryCancel();
    while (reader->Read(&msg)) {
    }
    reader->Finish();  // CANCELLED: ours
    return failure;
  }
  const absl::Status s = rpc::FromGrpcStatus(reader->Finish());
  if (!s.ok())
    return internal::Annotate(s, kServer, options_.address, "Generate");
  if (!have_summary) return ProtocolError("the stream ended without a summary");
  return summary;
}

absl::StatusOr<v1::ScoreResponse> InferenceClient::Score(
    const std::string& text) const {
  v1::ScoreRequest request;
  request.set_text(text);
  v1::ScoreResponse response;
  RETURN_IF_ERROR(RetryUnary(
      [&](grpc::ClientContext& ctx) {
        return stub_->Score(&ctx, request, &response);
      },
      "Score"));
  return response;
}

absl::StatusOr<v1::TokenizeResponse> InferenceClient::Tokenize(
    const std::string& text, bool add_bos) const {
  v1::TokenizeRequest request;
  request.set_text(text);
  request.set_add_bos(add_bos);
  v1::TokenizeResponse response;
  RETURN_IF_ERROR(RetryUnary(
      [&](grpc::ClientContext& ctx) {
        return stub_->Tokenize(&ctx, request, &response);
      },
      "Tokenize"));
  return response;
}

absl::StatusOr<std::string> InferenceClient::Detokenize(
    absl::Span<const int32_t> ids) const {
  v1::DetokenizeRequest request;
  request.mutable_ids()->Add(ids.begin(), ids.end());
  v1::DetokenizeResponse response;
  RETURN_IF_ERROR(RetryUnary(
      [&](grpc::ClientContext& ctx) {
        return stub_->Detokenize(&ctx, request, &response);
      },
      "Detokenize"));
  return std::move(*response.mutable_text());
}

absl::StatusOr<v1::ModelInfoResponse> InferenceClient::ModelInfo() const {
  v1::ModelInfoResponse response;
  RETURN_IF_ERROR(RetryUnary(
      [&](grpc::ClientContext& ctx) {
        return stub_->ModelInfo(&ctx, v1::ModelInfoRequest(), &response);
      },
      "ModelInfo"));
  return response;
}

}  // namespace seedlm::client
