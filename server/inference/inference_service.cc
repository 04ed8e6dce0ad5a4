// InferenceService: the gRPC adapter over InferenceCore.
#include "server/inference/inference_service.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"
#include "proto/rpc/inference_convert.h"
#include "proto/rpc/status.h"

namespace seedlm::serve {
namespace {

using rpc::ToGrpcStatus;

absl::Status Authorize(const grpc::ServerContext& context,
                       const rpc::TokenTable& tokens) {
  return tokens.Check(rpc::BearerToken(context), rpc::Role::kClient).status();
}

// The call's deadline; none (gRPC's far-future maximum) is InfiniteFuture.
absl::Time CallDeadline(const grpc::ServerContext& context) {
  const std::chrono::system_clock::time_point d = context.deadline();
  const std::chrono::system_clock::time_point far =
      std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 10);
  if (d >= far) return absl::InfiniteFuture();
  return absl::FromChrono(d);
}

absl::StatusOr<std::vector<int32_t>> PromptIds(
    const InferenceCore& core, const v1::GenerateRequest& request) {
  std::vector<int32_t> ids;
  if (request.prompt_case() == v1::GenerateRequest::kIds) {
    const auto& given = request.ids().ids();
    if (static_cast<size_t>(given.size()) > kMaxPromptIds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ids: ", given.size(), " token ids, at most ", kMaxPromptIds));
    }
    const int32_t vocab = core.info().vocab_size;
    for (int i = 0; i < given.size(); ++i) {
      if (given[i] < 0 || given[i] >= vocab) {
        return absl::InvalidArgumentError(
            absl::StrCat("ids[", i, "]: ", given[i],
                         " is outside the vocabulary (0..", vocab - 1, ")"));
      }
    }
    ids.assign(given.begin(), given.end());
  } else {
    const bool add_bos = request.has_add_bos() ? request.add_bos() : true;
    ASSIGN_OR_RETURN(ids, core.Tokenize(request.text(), add_bos));
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError(
        "prompt: empty (no text and no BOS, or no ids)");
  }
  return ids;
}

// Writes the events; false when the client has gone (a Write failed).
bool WriteEvents(const std::vector<TokenEvent>& events,
                 absl::Span<const std::string> token_texts,
                 grpc::ServerWriter<v1::GenerateResponse>* writer) {
  v1::GenerateResponse msg;
  for (const TokenEvent& e : events) {
    *msg.mutable_token() = rpc::TokenEventToProto(e, token_texts);
    if (!writer->Write(msg)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CompletionRequest> CompletionRequestFor(
    const InferenceCore& core, const v1::GenerateRequest& request,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(CompletionRequest out,
                   rpc::CompletionRequestFromProto(request));
  ASSIGN_OR_RETURN(out.prompt_ids, PromptIds(core, request));
  const int64_t need =
      static_cast<int64_t>(out.prompt_ids.size()) + out.max_tokens;
  if (need > core.info().context) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the prompt's ", out.prompt_ids.size(), " tokens plus max_tokens ",
        out.max_tokens, " exceed the context of ", core.info().context,
        " tokens"));
  }
  out.deadline = deadline;
  return out;
}

v1::ModelInfoResponse ModelInfoToProto(const ModelInfo& info) {
  v1::ModelInfoResponse r;
  r.set_model_id(info.model_id);
  r.set_architecture(info.architecture);
  r.set_file_kind(info.file_kind);
  r.set_source_format(info.source_format);
  r.set_preset(info.preset);
  r.set_bits_per_weight(info.bits_per_weight);
  r.set_context(info.context);
  r.set_vocab_size(info.vocab_size);
  r.set_n_layers(info.n_layers);
  r.set_dim(info.dim);
  r.set_has_chat_template(info.has_chat_template);
  r.set_max_batch(info.max_batch);
  r.set_max_queue(info.max_queue);
  return r;
}

InferenceServiceImpl::InferenceServiceImpl(InferenceCore* core,
                                           const rpc::TokenTable* tokens,
                                           ServeMetrics* metrics)
    : core_(core), tokens_(tokens), metrics_(metrics) {
  const Tokenizer& tok = core_->tokenizer();
  token_texts_.reserve(tok.vocab_size());
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    token_texts_.push_back(tok.Decode({id}));
  }
}

grpc::Status InferenceServiceImpl::DoGenerate(
    grpc::ServerContext* context, const v1::GenerateRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  const absl::Time start = absl::Now();
  if (absl::Status s = Authorize(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const absl::Time deadline = CallDeadline(*context);
  absl::StatusOr<CompletionRequest> req =
      CompletionRequestFor(*core_, *request, deadline);
  if (!req.ok()) return ToGrpcStatus(req.status());
  absl::StatusOr<std::unique_ptr<CompletionStream>> stream =
      core_->Complete(*std::move(req));
  if (!stream.ok()) return ToGrpcStatus(stream.status());
  std::vector<TokenEvent> events;
  while (true) {
    if (context->IsCancelled()) {
      (*stream)->Cancel();
      return grpc::Status(grpc::StatusCode::CANCELLED,
                          "the client cancelled the call");
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      (*stream)->Cancel();
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "Generate: the call's deadline passed");
    }
    events.clear();
    const bool more =
        (*stream)->Read(&events, std::min(now + kGeneratePoll, deadline));
    if (!WriteEvents(events, token_texts_, writer)) {
      (*stream)->Cancel();
      return grpc::Status(grpc::StatusCode::CANCELLED,
                          "the client stopped reading the stream");
    }
    if (!more) break;
  }
  const CompletionSummary& summary = (*stream)->summary();
  if (!summary.status.ok()) return ToGrpcStatus(summary.status);
  v1::GenerateResponse last;
  *last.mutable_summary() =
      rpc::SummaryToProto(summary, absl::ToDoubleSeconds(absl::Now() - start));
  if (!writer->Write(last)) {
    return grpc::Status(grpc::StatusCode::CANCELLED,
                        "the client stopped reading the stream");
  }
  return grpc::Status::OK;
}

grpc::Status InferenceServiceImpl::DoScore(grpc::ServerContext* context,
                                           const v1::ScoreRequest* request,
                                           v1::ScoreResponse* response) {
  if (absl::Status s = Authorize(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (request->text().size() > kMaxPromptBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("text: ", request->text().size(), " bytes, at most ",
                     kMaxPromptBytes)));
  }
  absl::StatusOr<ScoreResult> r =
      core_->Score(request->text(), CallDeadline(*context));
  if (!r.ok()) return ToGrpcStatus(r.status());
  response->set_tokens(r->tokens);
  response->set_log_likelihood(r->log_likelihood);
  response->set_nll(r->nll);
  response->set_perplexity(r->perplexity);
  return grpc::Status::OK;
}

grpc::Status InferenceServiceImpl::DoTokenize(
    grpc::ServerContext* context, const v1::TokenizeRequest* request,
    v1::TokenizeResponse* response) {
  if (absl::Status s = Authorize(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const bool add_bos = request->has_add_bos() ? request->add_bos() : true;
  absl::StatusOr<std::vector<int32_t>> ids =
      core_->Tokenize(request->text(), add_bos);
  if (!ids.ok()) return ToGrpcStatus(ids.status());
  absl::StatusOr<std::vector<std::string>> pieces = core_->TokenPieces(*ids);
  if (!pieces.ok()) return ToGrpcStatus(pieces.status());
  response->mutable_ids()->Add(ids->begin(), ids->end());
  for (std::string& p : *pieces) response->add_pieces(std::move(p));
  return grpc::Status::OK;
}

grpc::Status InferenceServiceImpl::DoDetokenize(
    grpc::ServerContext* context, const v1::DetokenizeRequest* request,
    v1::DetokenizeResponse* response) {
  if (absl::Status s = Authorize(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (static_cast<size_t>(request->ids_size()) > kMaxPromptIds) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "ids: ", request->ids_size(), " token ids, at most ", kMaxPromptIds)));
  }
  const std::vector<int32_t> ids(request->ids().begin(), request->ids().end());
  absl::StatusOr<std::string> text = core_->Detokenize(ids);
  if (!text.ok()) return ToGrpcStatus(text.status());
  response->set_text(*std::move(text));
  return grpc::Status::OK;
}

grpc::Status InferenceServiceImpl::DoModelInfo(
    grpc::ServerContext* context, const v1::ModelInfoRequest* /*request*/,
    v1::ModelInfoResponse* response) {
  if (absl::Status s = Authorize(*context, *tokens_); !s.ok()) {
    return ToGrpcStatus(s);
  }
  *response = ModelInfoToProto(core_->info());
  for (const ExecutorPlacementInfo& e : core_->Executors()) {
    v1::ExecutorPlacement* p = response->add_executors();
    p->set_id(e.id);
    p->set_kind(e.kind);
    p->set_layer_begin(e.layers.begin);
    p->set_layer_end(e.layers.end);
    p->set_weight_bytes(static_cast<int64_t>(e.weight_bytes));
  }
  return grpc::Status::OK;
}

grpc::Status InferenceServiceImpl::Counted(std::string_view endpoint,
                                           grpc::Status status) {
  if (metrics_ != nullptr) {
    metrics_->CountRequest(
        endpoint, absl::StatusCodeToString(
                      static_cast<absl::StatusCode>(status.error_code())));
  }
  return status;
}

grpc::Status InferenceServiceImpl::Generate(
    grpc::ServerContext* context, const v1::GenerateRequest* request,
    grpc::ServerWriter<v1::GenerateResponse>* writer) {
  return Counted("grpc_generate", DoGenerate(context, request, writer));
}

grpc::Status InferenceServiceImpl::Score(grpc::ServerContext* context,
                                         const v1::ScoreRequest* request,
                                         v1::ScoreResponse* response) {
  return Counted("grpc_score", DoScore(context, request, response));
}

grpc::Status InferenceServiceImpl::Tokenize(grpc::ServerContext* context,
                                            const v1::TokenizeRequest* request,
                                            v1::TokenizeResponse* response) {
  return Counted("grpc_tokenize", DoTokenize(context, request, response));
}

grpc::Status InferenceServiceImpl::Detokenize(
    grpc::ServerContext* context, const v1::DetokenizeRequest* request,
    v1::DetokenizeResponse* response) {
  return Counted("grpc_detokenize", DoDetokenize(context, request, response));
}

grpc::Status InferenceServiceImpl::ModelInfo(
    grpc::ServerContext* context, const v1::ModelInfoRequest* request,
    v1::ModelInfoResponse* response) {
  return Counted("grpc_model_info", DoModelInfo(context, request, response));
}

std::unique_ptr<InferenceServiceImpl> RegisterInferenceService(
    grpc::ServerBuilder& builder, InferenceCore* core,
    const rpc::TokenTable* tokens, ServeMetrics* metrics) {
  auto service = std::make_unique<InferenceServiceImpl>(core, tokens, metrics);
  builder.RegisterService(service.get());
  return service;
}

}  // namespace seedlm::serve
