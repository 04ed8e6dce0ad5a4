#include "core/tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/hf_post_processor.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

using hf_internal::AddedVocabulary;
using hf_internal::DecoderPipeline;
using hf_internal::Json;
using hf_internal::MemberOrNull;
using hf_internal::PreToken;
using hf_internal::TextBudget;

// See hf_tokenizer.h: feeds the pipeline only the tokens whose decoded text
// may still change, and forgets the prefix once it is final.
class HfDecodeStream : public DecodeStream {
 public:
  explicit HfDecodeStream(const HfTokenizer* tokenizer)
      : tokenizer_(tokenizer), decoder_(tokenizer->decoder()) {}

  std::string Next(int32_t id) override {
    const std::string* text = tokenizer_->DecodeText(id);
    if (text == nullptr) return "";
    pending_.push_back(*text);
    return Flush();
  }

  std::string Finish() override {
    const std::string text = decoder_.Run(pending_, at_start_).text;
    std::string out = text.size() > emitted_ ? text.substr(emitted_) : "";
    if (!text.empty()) at_start_ = false;
    pending_.clear();
    emitted_ = 0;
    checked_ = 0;
    return out;
  }

 private:
  // Emits what became final: the decoding of the longest prefix of pending_
  // whose end is closed, less the characters a Strip may still remove.
  // Whether a prefix is closed depends only on its tokens (and at_start_),
  // so the prefixes up to checked_ are not tried again: the longest closed
  // one among them was emitted already. Each token is thus tried once (not
  // once per later token, which went cubic over a long byte-fallback run).
  std::string Flush() {
    if (!decoder_.prefix_stable()) return "";  // all of it at Finish()
    const size_t size = pending_.size();
    for (size_t j = size; j > checked_; --j) {
      const absl::Span<const std::string> head(pending_.data(), j);
      const DecoderPipeline::Result r =
          decoder_.Run(head, at_start_, /*at_end=*/false);
      if (r.open_tail) continue;
      checked_ = size;
      const size_t safe = r.text.size() - decoder_.HeldBack(r.text);
      std::string out;
      if (safe > emitted_) out = r.text.substr(emitted_, safe - emitted_);
      emitted_ = std::max(emitted_, safe);
      // A final prefix can be forgotten when later tokens cannot change it:
      // nothing held back, the start resolved (some text came out), and a
      // pipeline that decodes slices independently.
      if (safe == r.text.size() && !r.text.empty() && decoder_.separable()) {
        pending_.erase(pending_.begin(), pending_.begin() + j);
        emitted_ = 0;
        at_start_ = false;
        checked_ = 0;  // the rest starts a new context
      }
      return out;
    }
    checked_ = size;
    return "";
  }

  const HfTokenizer* tokenizer_;
  const DecoderPipeline& decoder_;
  std::vector<std::string> pending_;  // token texts not forgotten yet
  size_t emitted_ = 0;    // bytes of the decoding of pending_ already returned
  size_t checked_ = 0;    // prefixes of pending_ up to this length were tried
  bool at_start_ = true;  // pending_ starts the sequence
};

}  // namespace

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::Create(
    absl::string_view json) {
  ASSIGN_OR_RETURN(const Json j, ParseJson(json, "tokenizer.json",
                                           hf_internal::kTokenizerJsonLimits));
  if (!j.is_object()) {
    return absl::DataLossError("tokenizer.json is not a JSON object");
  }
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  RETURN_IF_ERROR(t->Build(j));
  return t;
}

absl::Status HfTokenizer::Build(const Json& j) {
  const Json& model = MemberOrNull(j, "model");
  if (model.is_null()) return hf_internal::Malformed("model", "missing");
  ASSIGN_OR_RETURN(normalizer_,
                   hf_internal::ParseNormalizer(MemberOrNull(j, "normalizer"),
                                                "normalizer"));
  ASSIGN_OR_RETURN(pre_tokenizer_,
                   hf_internal::ParsePreTokenizer(
                       MemberOrNull(j, "pre_tokenizer"), "pre_tokenizer"));
  ASSIGN_OR_RETURN(model_, hf_internal::BpeModel::Parse(model, "model"));
  ASSIGN_OR_RETURN(
      decoder_, DecoderPipeline::Parse(MemberOrNull(j, "decoder"), "decoder"));
  ASSIGN_OR_RETURN(added_,
                   AddedVocabulary::Parse(MemberOrNull(j, "added_tokens"),
                                          "added_tokens", normalizer_.get()));
  ASSIGN_OR_RETURN(hf_internal::SpecialWrap wrap,
                   hf_internal::ParsePostProcessor(
                       MemberOrNull(j, "post_processor"), "post_processor"));
  vocab_size_ = std::max(model_->id_limit(), added_.id_limit());
  for (const std::vector<int32_t>* ids : {&wrap.before, &wrap.after}) {
    for (int32_t id : *ids) {
      if (id >= vocab_size_) {
        return hf_internal::Malformed(
            "post_processor", absl::StrCat("special id ", id,
                                           " is not below the vocabulary "
                                           "size ",
                                           vocab_size_));
      }
    }
  }
  before_ = std::move(wrap.before);
  after_ = std::move(wrap.after);
  ResolveSpecialIds();
  if (!wrap.has_template) {
    if (bos_id_ >= 0) before_ = {bos_id_};
    if (eos_id_ >= 0) after_ = {eos_id_};
  }
  return absl::OkStatus();
}

void HfTokenizer::ResolveSpecialIds() {
  auto added = [this](std::initializer_list<const char*> names) {
    for (const char* name : names) {
      const int32_t id = added_.IdOf(name);
      if (id >= 0) return id;
    }
    return -1;
  };
  bos_id_ =
      !before_.empty() ? before_.front() : added({"<s>", "<|begin_of_text|>"});
  eos_id_ =
      !after_.empty() ? after_.front() : added({"</s>", "<|end_of_text|>"});
}

int32_t HfTokenizer::TokenToId(absl::string_view token) const {
  const int32_t id = added_.IdOf(token);
  return id >= 0 ? id : model_->TokenToId(token);
}

const std::string* HfTokenizer::DecodeText(int32_t id) const {
  const hf_internal::AddedToken* a = added_.Find(id);
  const std::string* text = a != nullptr ? &a->content : model_->IdToToken(id);
  if (text == nullptr || added_.IsSpecialText(*text)) return nullptr;
  return text;
}

absl::Status HfTokenizer::EncodePiece(std::string piece, bool at_origin,
                                      TextBudget* budget,
                                      std::vector<int32_t>* ids) const {
  if (normalizer_ != nullptr) {
    RETURN_IF_ERROR(normalizer_->Normalize(&piece, budget));
  }
  if (piece.empty()) return absl::OkStatus();
  for (const AddedVocabulary::Span& s : added_.Split(piece, true)) {
    if (s.id >= 0) {
      ids->push_back(s.id);
      continue;
    }
    std::vector<PreToken> words = {
        {piece.substr(s.begin, s.end - s.begin), at_origin && s.begin == 0}};
    if (pre_tokenizer_ != nullptr) {
      RETURN_IF_ERROR(pre_tokenizer_->Apply(&words, budget));
    }
    for (const PreToken& w : words) {
      RETURN_IF_ERROR(model_->Tokenize(w.text, ids));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> HfTokenizer::Encode(absl::string_view text,
                                                         bool add_bos,
                                                         bool add_eos) const {
  RETURN_IF_ERROR(tokenizer_internal::CheckUtf8(text));
  std::vector<int32_t> ids;
  if (add_bos) ids = before_;
  TextBudget budget(text.size());
  if (!text.empty()) {
    for (const AddedVocabulary::Span& s : added_.Split(text, false)) {
      if (s.id >= 0) {
        ids.push_back(s.id);
      } else {
        RETURN_IF_ERROR(
            EncodePiece(std::string(text.substr(s.begin, s.end - s.begin)),
                        s.begin == 0, &budget, &ids));
      }
    }
  }
  if (add_eos) ids.insert(ids.end(), after_.begin(), after_.end());
  return ids;
}

std::string HfTokenizer::Decode(absl::Span<const int32_t> ids) const {
  std::vector<std::string> texts;
  texts.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* t = DecodeText(id);
    if (t != nullptr) texts.push_back(*t);
  }
  return decoder_->Run(texts, /*at_start=*/true).text;
}

std::unique_ptr<DecodeStream> HfTokenizer::NewDecodeStream() const {
  return std::make_unique<HfDecodeStream>(this);
}

}  // namespace seedlm
