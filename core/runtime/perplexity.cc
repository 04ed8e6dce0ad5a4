#include "core/runtime/perplexity.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/runtime/llama_session.h"
#include "core/runtime/sampler.h"
#include "core/util/cancel.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// log-softmax of `logits` into out (double).
void LogSoftmax(absl::Span<const float> logits, std::vector<double>* out) {
  out->resize(logits.size());
  double max_l = -INFINITY;
  for (float l : logits) max_l = std::max<double>(max_l, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max_l);
  const double log_z = max_l + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) {
    (*out)[i] = static_cast<double>(logits[i]) - log_z;
  }
}

struct Totals {
  double nll = 0, kl = 0;
  int64_t tokens = 0, agree = 0, windows = 0;
};

// Scores tokens[begin+1 .. end) given tokens[begin .. end-1) as inputs, in
// one prefill batch per model (bit-identical to token-by-token).
absl::Status ScoreWindow(const std::vector<int32_t>& tokens, size_t begin,
                         size_t end, LlamaSession* model, LlamaSession* ref,
                         Totals* t) {
  model->Reset();
  if (ref != nullptr) ref->Reset();
  const auto inputs =
      absl::MakeConstSpan(tokens).subspan(begin, end - 1 - begin);
  ASSIGN_OR_RETURN(absl::Span<const float> all, model->ForwardBatch(inputs));
  absl::Span<const float> all_ref;
  if (ref != nullptr) {
    ASSIGN_OR_RETURN(all_ref, ref->ForwardBatch(inputs));
  }
  const size_t vocab = all.size() / inputs.size();
  std::vector<double> lp, lp_ref;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const absl::Span<const float> logits = all.subspan(i * vocab, vocab);
    LogSoftmax(logits, &lp);
    const int32_t next = tokens[begin + i + 1];
    if (next < 0 || static_cast<size_t>(next) >= lp.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token ", next, " outside the vocabulary"));
    }
    t->nll -= lp[next];
    ++t->tokens;
    if (ref != nullptr) {
      const absl::Span<const float> rl = all_ref.subspan(i * vocab, vocab);
      LogSoftmax(rl, &lp_ref);
      double kl = 0;
      for (size_t v = 0; v < lp.size(); ++v) {
        kl += std::exp(lp_ref[v]) * (lp_ref[v] - lp[v]);
      }
      t->kl += kl;
      if (ArgMax(logits) == ArgMax(rl)) ++t->agree;
    }
  }
  ++t->windows;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FirstCodePoints(absl::string_view text,
                                            int64_t max_chars) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && (max_chars <= 0 || n < max_chars)) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    const size_t len = b < 0x80         ? 1
                       : (b >> 5) == 6  ? 2
                       : (b >> 4) == 14 ? 3
                       : (b >> 3) == 30 ? 4
                                        : 0;
    if (len == 0 || i + len > text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("text is not valid UTF-8 at byte ", i));
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return absl::InvalidArgumentError(
            absl::StrCat("text is not valid UTF-8 at byte ", i + k));
      }
    }
    i += len;
    ++n;
  }
  return std::string(text.substr(0, i));
}

std::vector<std::string> SplitDocuments(absl::string_view text) {
  std::vector<std::string> docs;
  for (absl::string_view d : absl::StrSplit(text, "<|endoftext|>")) {
    d = absl::StripAsciiWhitespace(d);
    if (!d.empty()) docs.emplace_back(d);
  }
  return docs;
}

absl::StatusOr<std::vector<std::vector<int32_t>>> TokenizeForPerplexity(
    const Tokenizer& tokenizer, absl::string_view text, int64_t max_chars) {
  ASSIGN_OR_RETURN(std::string kept, FirstCodePoints(text, max_chars));
  std::vector<std::vector<int32_t>> out;
  for (const std::string& doc : SplitDocuments(kept)) {
    ASSIGN_OR_RETURN(
        std::vector<int32_t> ids,
        tokenizer.Encode(doc, /*add_bos=*/true, /*add_eos=*/false));
    out.push_back(std::move(ids));
  }
  return out;
}

absl::StatusOr<PerplexityResult> ScoreDocuments(
    const LlamaModel& model, const LlamaModel* reference,
    const std::vector<std::vector<int32_t>>& documents, int ctx,
    ThreadPool* pool, const std::atomic<bool>* cancel) {
  if (ctx <= 0) ctx = model.config().max_seq_len;
  int limit = model.config().max_seq_len;
  if (reference != nullptr) {
    if (reference->config().vocab_size != model.config().vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "reference vocabulary (", reference->config().vocab_size,
          ") differs from the model's (", model.config().vocab_size, ")"));
    }
    limit = std::min(limit, reference->config().max_seq_len);
  }
  if (ctx < 2 || ctx > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("ctx must be in 2..", limit, ", got ", ctx));
  }
  LlamaSession session(&model, pool, ctx);
  std::unique_ptr<LlamaSession> ref;
  if (reference != nullptr) {
    ref = std::make_unique<LlamaSession>(reference, pool, ctx);
  }
  Totals t;
  for (const std::vector<int32_t>& doc : documents) {
    if (doc.size() < 2) continue;
    for (size_t begin = 0; begin + 1 < doc.size(); begin += ctx - 1) {
      const size_t end = std::min(doc.size(), begin + ctx);
      RETURN_IF_ERROR(CheckCancelled(cancel, "perplexity scoring"));
      RETURN_IF_ERROR(ScoreWindow(doc, begin, end, &session, ref.get(), &t));
    }
  }
  PerplexityResult r;
  r.documents = static_cast<int64_t>(documents.size());
  r.tokens = t.tokens;
  r.windows = t.windows;
  if (t.tokens == 0) {
    return absl::InvalidArgumentError("the text has no token to score");
  }
  r.nll = t.nll / t.tokens;
  r.perplexity = std::exp(r.nll);
  r.has_reference = reference != nullptr;
  if (r.has_reference) {
    r.kl_mean = t.kl / t.tokens;
    r.top1_agree = static_cast<double>(t.agree) / t.tokens;
  }
  return r;
}

}  // namespace seedlm
