#include "core/tokenizer/hf_normalizer.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_regex.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  absl::Status Normalize(std::string* s, TextBudget* budget) const override {
    for (const auto& p : parts_) RETURN_IF_ERROR(p->Normalize(s, budget));
    return absl::OkStatus();
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

// Prepends `prepend` to a non-empty string.
class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend)
      : prepend_(std::move(prepend)) {}
  absl::Status Normalize(std::string* s, TextBudget* budget) const override {
    if (s->empty()) return absl::OkStatus();
    RETURN_IF_ERROR(budget->Spend(s->size() + prepend_.size()));
    s->insert(0, prepend_);
    return absl::OkStatus();
  }

 private:
  std::string prepend_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<HfRegex> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  absl::Status Normalize(std::string* s, TextBudget* budget) const override {
    ASSIGN_OR_RETURN(*s, pattern_->ReplaceAll(*s, content_, budget));
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<HfRegex> pattern_;
  std::string content_;
};

// NFC / NFD / NFKC / NFKD grow a text at most 18-fold (U+FDFA in NFKD), so
// the budget is charged afterwards.
class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(std::string form) : form_(std::move(form)) {}
  absl::Status Normalize(std::string* s, TextBudget* budget) const override {
    RETURN_IF_ERROR(tokenizer_internal::NormalizeUnicode(form_, s));
    return budget->Spend(s->size());
  }

 private:
  std::string form_;
};

// Removes leading / trailing Unicode whitespace.
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  absl::Status Normalize(std::string* s, TextBudget* budget) const override {
    using tokenizer_internal::DecodeUtf8;
    using tokenizer_internal::IsWhitespace;
    size_t begin = 0, end = s->size(), n;
    while (left_ && begin < end && IsWhitespace(DecodeUtf8(*s, begin, &n))) {
      begin += n;
    }
    while (right_ && end > begin) {
      const size_t last = tokenizer_internal::LastCharLen(
          absl::string_view(*s).substr(begin, end - begin));
      if (!IsWhitespace(DecodeUtf8(*s, end - last, &n))) break;
      end -= last;
    }
    RETURN_IF_ERROR(budget->Spend(end - begin));
    *s = s->substr(begin, end - begin);
    return absl::OkStatus();
  }

 private:
  bool left_, right_;
};

absl::StatusOr<std::unique_ptr<Normalizer>> Parse(const Json& j,
                                                  absl::string_view path,
                                                  int depth,
                                                  ComponentCounter* counter);

absl::StatusOr<std::unique_ptr<Normalizer>> ParseSequence(
    const Json& j, absl::string_view path, int depth,
    ComponentCounter* counter) {
  ASSIGN_OR_RETURN(const Json* list, GetArray(j, "normalizers", path));
  std::vector<std::unique_ptr<Normalizer>> parts;
  for (size_t i = 0; i < list->size(); ++i) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<Normalizer> part,
        Parse((*list)[i], absl::StrCat(path, ".normalizers[", i, "]"),
              depth + 1, counter));
    if (part != nullptr) parts.push_back(std::move(part));
  }
  return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(parts)));
}

absl::StatusOr<std::unique_ptr<Normalizer>> ParseReplace(
    const Json& j, absl::string_view path) {
  ASSIGN_OR_RETURN(PatternSpec spec, GetPattern(j, "pattern", path));
  ASSIGN_OR_RETURN(std::string content, GetString(j, "content", path));
  std::unique_ptr<HfRegex> re;
  if (spec.is_regex) {
    ASSIGN_OR_RETURN(re, HfRegex::Compile(spec.text));
  } else {
    ASSIGN_OR_RETURN(re, HfRegex::Literal(spec.text));
  }
  return std::unique_ptr<Normalizer>(
      new ReplaceNormalizer(std::move(re), std::move(content)));
}

absl::StatusOr<std::unique_ptr<Normalizer>> Parse(const Json& j,
                                                  absl::string_view path,
                                                  int depth,
                                                  ComponentCounter* counter) {
  if (j.is_null()) return std::unique_ptr<Normalizer>();
  RETURN_IF_ERROR(counter->Count(path, depth));
  ASSIGN_OR_RETURN(std::string type, TypeOf(j, path));
  if (type == "Sequence") return ParseSequence(j, path, depth, counter);
  if (type == "Replace") return ParseReplace(j, path);
  if (type == "Prepend") {
    ASSIGN_OR_RETURN(std::string prepend, GetString(j, "prepend", path));
    return std::unique_ptr<Normalizer>(
        new PrependNormalizer(std::move(prepend)));
  }
  if (type == "NFC" || type == "NFKC" || type == "NFD" || type == "NFKD") {
    return std::unique_ptr<Normalizer>(new UnicodeNormalizer(type));
  }
  if (type == "Strip") {
    ASSIGN_OR_RETURN(bool left, GetBool(j, "strip_left", true, path));
    ASSIGN_OR_RETURN(bool right, GetBool(j, "strip_right", true, path));
    return std::unique_ptr<Normalizer>(new StripNormalizer(left, right));
  }
  return Unsupported(path, "normalizer", type);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> ParseNormalizer(
    const Json& j, absl::string_view path) {
  ComponentCounter counter;
  return Parse(j, path, 0, &counter);
}

}  // namespace hf_internal
}  // namespace seedlm
