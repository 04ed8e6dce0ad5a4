#include "core/tokenizer/hf_regex.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"
#include "re2/re2.h"

namespace seedlm {
namespace hf_internal {
namespace {

using tokenizer_internal::DecodeUtf8;

// Oniguruma's Unicode \s and \w, as bracket-class contents.
constexpr absl::string_view kSpaceSet = "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}";
constexpr absl::string_view kWordSet = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
constexpr absl::string_view kLookahead = "\\s+(?!\\S)";

absl::Status CannotRun(absl::string_view pattern, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(
      "tokenizer.json: regex \"", pattern, "\" cannot be run with RE2: ", why));
}

// The RE2 spelling of the escape p[i], p[i+1] (a shorthand class rewritten
// to Unicode); empty when it is not supported.
std::string Escape(char e, bool in_class, absl::string_view two) {
  switch (e) {
    case 's':
      return in_class ? std::string(kSpaceSet)
                      : absl::StrCat("[", kSpaceSet, "]");
    case 'w':
      return in_class ? std::string(kWordSet)
                      : absl::StrCat("[", kWordSet, "]");
    case 'd':
      return "\\p{Nd}";
    case 'S':
      return in_class ? "" : absl::StrCat("[^", kSpaceSet, "]");
    case 'W':
      return in_class ? "" : absl::StrCat("[^", kWordSet, "]");
    case 'D':
      return in_class ? "" : "\\P{Nd}";
    default:
      return std::string(two);
  }
}

struct Translation {
  std::string re2;
  int lookaheads = 0;  // emulated `\s+(?!\S)`, numbered in order
};

// `\s+(?!\S)` at p[i] (`depth` groups open): appends its emulation (see
// hf_regex.h) and returns the index after it, or an error when it does not
// end a top-level alternative.
absl::StatusOr<size_t> TranslateLookahead(absl::string_view p, size_t i,
                                          int depth, Translation* t) {
  const size_t after = i + kLookahead.size();
  if (depth != 0 || (after < p.size() && p[after] != '|')) {
    return CannotRun(p,
                     "\\s+(?!\\S) is supported only where it ends a top-level "
                     "alternative");
  }
  absl::StrAppend(&t->re2, "(?:[", kSpaceSet, "]+\\z|[", kSpaceSet,
                  "]+(?P<seedlm_lookahead", t->lookaheads, ">[", kSpaceSet,
                  "]))");
  ++t->lookaheads;
  return after;
}

absl::StatusOr<Translation> Translate(absl::string_view p) {
  // Oniguruma's Ruby syntax: ^ and $ are line anchors.
  Translation t{"(?m)", 0};
  bool in_class = false;
  int depth = 0;  // open groups
  size_t i = 0;
  while (i < p.size()) {
    if (!in_class && absl::StartsWith(p.substr(i), kLookahead)) {
      ASSIGN_OR_RETURN(i, TranslateLookahead(p, i, depth, &t));
      continue;
    }
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const std::string e = Escape(p[i + 1], in_class, p.substr(i, 2));
      if (e.empty()) {
        return CannotRun(p, "negated shorthand class inside [...]");
      }
      t.re2 += e;
      i += 2;
      continue;
    }
    if (c == '[' && in_class) {
      if (!absl::StartsWith(p.substr(i), "[:")) {
        return CannotRun(p, "nested bracket classes");
      }
      const size_t close = p.find(":]", i);
      if (close == absl::string_view::npos) return CannotRun(p, "bad [:");
      t.re2.append(p.data() + i, close + 2 - i);
      i = close + 2;
      continue;
    }
    t.re2 += c;
    ++i;
    if (c == '[') {
      in_class = true;
      if (i < p.size() && p[i] == '^') t.re2 += p[i++];
      if (i < p.size() && p[i] == ']') {  // a literal ']' opening the class
        t.re2 += "\\]";
        ++i;
      }
    } else if (c == ']' && in_class) {
      in_class = false;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
  }
  return t;
}

size_t CharLenAt(absl::string_view text, size_t pos) {
  size_t n = 1;
  DecodeUtf8(text, pos, &n);
  return n;
}

}  // namespace

HfRegex::~HfRegex() = default;

absl::StatusOr<std::unique_ptr<HfRegex>> HfRegex::CompileRe2(
    absl::string_view pattern, std::string re2_pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "tokenizer.json: a ", pattern.size(),
        "-byte pattern exceeds the limit of ", kMaxPatternBytes, " bytes"));
  }
  std::unique_ptr<HfRegex> r(new HfRegex());
  r->re2_pattern_ = std::move(re2_pattern);
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMem);
  r->re_ = std::make_unique<RE2>(r->re2_pattern_, options);
  if (!r->re_->ok()) {
    const RE2::ErrorCode code = r->re_->error_code();
    if (code == RE2::ErrorPatternTooLarge || code == RE2::ErrorRepeatSize) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "tokenizer.json: regex \"", pattern, "\" is too large for RE2 (",
          r->re_->error(), "; memory limit ", kRegexMaxMem, " bytes)"));
    }
    return CannotRun(pattern, r->re_->error());
  }
  return r;
}

absl::StatusOr<std::unique_ptr<HfRegex>> HfRegex::Compile(
    absl::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) return CompileRe2(pattern, "");
  ASSIGN_OR_RETURN(Translation t, Translate(pattern));
  ASSIGN_OR_RETURN(std::unique_ptr<HfRegex> r,
                   CompileRe2(pattern, std::move(t.re2)));
  const std::map<std::string, int>& named = r->re_->NamedCapturingGroups();
  for (int k = 0; k < t.lookaheads; ++k) {
    auto it = named.find(absl::StrCat("seedlm_lookahead", k));
    if (it == named.end()) return CannotRun(pattern, "internal group lost");
    r->lookahead_groups_.push_back(it->second);
  }
  return r;
}

absl::StatusOr<std::unique_ptr<HfRegex>> HfRegex::Literal(
    absl::string_view text) {
  if (text.size() > kMaxPatternBytes) return CompileRe2(text, "");
  return CompileRe2(text,
                    RE2::QuoteMeta(re2::StringPiece(text.data(), text.size())));
}

void HfRegex::Scan(absl::string_view text,
                   const std::function<bool(size_t, size_t)>& fn) const {
  if (re2_pattern_.empty()) return;  // an empty literal matches nothing
  const int ngroups = 1 + re_->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> g(ngroups);
  const re2::StringPiece sp(text.data(), text.size());
  size_t pos = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (pos <= text.size()) {
    if (!re_->Match(sp, pos, text.size(), RE2::UNANCHORED, g.data(), ngroups)) {
      return;
    }
    const size_t b = static_cast<size_t>(g[0].data() - text.data());
    size_t e = b + g[0].size();
    for (int index : lookahead_groups_) {
      // The character consumed for (?!\S) is given back.
      if (g[index].data() != nullptr) {
        e = static_cast<size_t>(g[index].data() - text.data());
      }
    }
    if (e == b && have_last && last_end == e) {
      // An empty match right after the previous one: skip a character.
      if (pos >= text.size()) return;
      pos += CharLenAt(text, pos);
      continue;
    }
    if (!fn(b, e)) return;
    have_last = true;
    last_end = e;
    pos = e;
  }
}

std::vector<std::pair<size_t, size_t>> HfRegex::FindAll(
    absl::string_view text, size_t max_matches) const {
  std::vector<std::pair<size_t, size_t>> out;
  Scan(text, [&](size_t b, size_t e) {
    out.emplace_back(b, e);
    return out.size() <= max_matches;
  });
  return out;
}

std::string HfRegex::ReplaceAll(absl::string_view text,
                                absl::string_view content) const {
  std::string out;
  size_t prev = 0;
  Scan(text, [&](size_t b, size_t e) {
    out.append(text.data() + prev, b - prev);
    out.append(content.data(), content.size());
    prev = e;
    return true;
  });
  out.append(text.data() + prev, text.size() - prev);
  return out;
}

absl::StatusOr<std::string> HfRegex::ReplaceAll(absl::string_view text,
                                                absl::string_view content,
                                                TextBudget* budget) const {
  std::string out;
  size_t prev = 0;
  bool over = false;
  Scan(text, [&](size_t b, size_t e) {
    out.append(text.data() + prev, b - prev);
    out.append(content.data(), content.size());
    prev = e;
    over = out.size() > budget->left();
    return !over;
  });
  if (over) return budget->Exceeded();
  out.append(text.data() + prev, text.size() - prev);
  RETURN_IF_ERROR(budget->Spend(out.size()));
  return out;
}

}  // namespace hf_internal
}  // namespace seedlm
