#include "core/runtime/generate.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/runtime/llama_session.h"
#include "core/util/cancel.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

absl::StatusOr<GenerateResult> Generate(const LlamaModel& model,
                                        const Tokenizer& tokenizer,
                                        absl::string_view prompt,
                                        const GenerateOptions& options,
                                        ThreadPool* pool,
                                        const TextCallback& on_text) {
  RETURN_IF_ERROR(ValidateSamplerOptions(options.sampler));
  if (options.max_tokens < 0) {
    return absl::InvalidArgumentError("max-tokens must be >= 0");
  }
  if (tokenizer.vocab_size() > model.config().vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tokenizer has ", tokenizer.vocab_size(),
                     " tokens, the model ", model.config().vocab_size));
  }
  GenerateResult r;
  ASSIGN_OR_RETURN(r.prompt_ids, tokenizer.Encode(prompt, /*add_bos=*/true,
                                                  /*add_eos=*/false));
  if (r.prompt_ids.empty()) {
    return absl::InvalidArgumentError(
        "the tokenizer has no BOS token and the prompt is empty");
  }
  LlamaSession session(&model, pool);
  if (static_cast<int>(r.prompt_ids.size()) > session.context()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the prompt has ", r.prompt_ids.size(),
                     " tokens, more than the context of ", session.context()));
  }
  std::unique_ptr<DecodeStream> stream = tokenizer.NewDecodeStream();
  auto emit = [&](bool is_prompt, const std::string& piece) {
    if (piece.empty()) return;
    (is_prompt ? r.prompt_text : r.text) += piece;
    if (on_text) on_text(is_prompt, piece);
  };
  auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckCancelled(options.cancel, "generation"));
  ASSIGN_OR_RETURN(absl::Span<const float> all,
                   session.ForwardBatch(r.prompt_ids));
  const size_t vocab = all.size() / r.prompt_ids.size();
  absl::Span<const float> logits = all.subspan(all.size() - vocab, vocab);
  for (int32_t id : r.prompt_ids) emit(true, stream->Next(id));
  r.prefill_seconds = Seconds(start);
  start = std::chrono::steady_clock::now();
  Sampler sampler(options.sampler);
  r.finish_reason = "length";
  for (int i = 0; i < options.max_tokens; ++i) {
    const int32_t next = sampler.Sample(logits);
    r.ids.push_back(next);
    if (options.stop_at_eos && next == tokenizer.eos_id()) {
      r.finish_reason = "eos";
      break;
    }
    emit(false, stream->Next(next));
    if (i + 1 == options.max_tokens) break;
    if (session.position() >= session.context()) {
      r.finish_reason = "context";
      break;
    }
    RETURN_IF_ERROR(CheckCancelled(options.cancel, "generation"));
    ASSIGN_OR_RETURN(logits, session.Forward(next));
  }
  emit(false, stream->Finish());
  r.decode_seconds = Seconds(start);
  return r;
}

}  // namespace seedlm
