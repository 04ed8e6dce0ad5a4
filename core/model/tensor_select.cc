#include "core/model/tensor_select.h"

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace seedlm {
namespace {

// The default set: linear weights of the transformer blocks (see header).
const re2::RE2& DefaultPattern() {
  static const re2::RE2* const kPattern = new re2::RE2(
      R"((?:^|\.))"
      R"((?:layers\.\d+\.(?:attention\.w[qkvo]|feed_forward\.w[123])|)"
      R"(layers\.\d+\.(?:self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)|)"
      R"(blk\.\d+\.(?:attn_(?:q|k|v|output)|ffn_(?:gate|up|down))))"
      R"(\.weight$)");
  return *kPattern;
}

bool AnyMatch(const std::vector<std::shared_ptr<const re2::RE2>>& patterns,
              absl::string_view name) {
  const re2::StringPiece piece(name.data(), name.size());
  for (const auto& p : patterns) {
    if (re2::RE2::PartialMatch(piece, *p)) return true;
  }
  return false;
}

absl::Status Compile(const std::vector<std::string>& sources, const char* flag,
                     std::vector<std::shared_ptr<const re2::RE2>>* out) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  for (const std::string& s : sources) {
    auto re = std::make_shared<const re2::RE2>(s, options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad ", flag, " pattern '", s, "': ", re->error()));
    }
    out->push_back(std::move(re));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TensorSelector> TensorSelector::Create(
    std::vector<std::string> include, std::vector<std::string> exclude) {
  Patterns inc, exc;
  absl::Status s = Compile(include, "--include", &inc);
  if (s.ok()) s = Compile(exclude, "--exclude", &exc);
  if (!s.ok()) return s;
  return TensorSelector(std::move(inc), std::move(exc));
}

bool TensorSelector::NameMatches(absl::string_view name) const {
  const bool included =
      include_.empty()
          ? re2::RE2::PartialMatch(re2::StringPiece(name.data(), name.size()),
                                   DefaultPattern())
          : AnyMatch(include_, name);
  return included && !AnyMatch(exclude_, name);
}

bool TensorSelector::Selects(const TensorInfo& t) const {
  if (t.shape.size() < 2 || NumElements(t.shape) == 0) return false;
  return NameMatches(t.name);
}

}  // namespace seedlm
