#include "core/runtime/llama_session.h"

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

LlamaSession::LlamaSession(const LlamaModel* model, ThreadPool* pool,
                           int context)
    : forward_(model, pool),
      cache_(model->config(), 0, model->config().n_layers,
             context > 0 ? context : model->config().max_seq_len) {}

void LlamaSession::Reset() {
  pos_ = 0;
  cache_.Clear();
}

absl::StatusOr<absl::Span<const float>> LlamaSession::Forward(int32_t token) {
  return ForwardBatch(absl::MakeConstSpan(&token, 1));
}

absl::StatusOr<absl::Span<const float>> LlamaSession::ForwardBatch(
    absl::Span<const int32_t> tokens) {
  const LlamaConfig& c = forward_.model().config();
  if (!forward_.model().is_complete()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a session needs the whole model; this one holds layers [",
        forward_.model().layer_begin(), ", ", forward_.model().layer_end(), ")",
        forward_.model().has_embedding() ? "" : ", no embedding",
        forward_.model().has_head() ? "" : ", no head"));
  }
  const size_t n = tokens.size();
  hidden_.resize(n * c.dim);
  // Embed checks the tokens and RunLayers the context before any change.
  RETURN_IF_ERROR(forward_.Embed(tokens, absl::MakeSpan(hidden_)));
  RETURN_IF_ERROR(forward_.RunLayers(0, c.n_layers, pos_,
                                     absl::MakeSpan(hidden_), &cache_));
  logits_.resize(n * c.vocab_size);
  RETURN_IF_ERROR(forward_.Head(hidden_, absl::MakeSpan(logits_)));
  pos_ += static_cast<int>(n);
  return absl::Span<const float>(logits_);
}

}  // namespace seedlm
