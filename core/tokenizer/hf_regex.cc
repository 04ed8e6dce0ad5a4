#include "core/tokenizer/hf_regex.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/tokenizer/unicode_util.h"
#include "re2/re2.h"

namespace seedlm {
namespace hf_internal {
namespace {

using tokenizer_internal::DecodeUtf8;
using tokenizer_internal::IsWhitespace;
using tokenizer_internal::LastCharLen;

// Oniguruma's Unicode \s and \w, as bracket-class contents.
constexpr absl::string_view kSpaceSet = "\\t\\n\\x0B\\f\\r\\x{85}\\p{Z}";
constexpr absl::string_view kWordSet = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
constexpr absl::string_view kLookahead = "\\s+(?!\\S)";
constexpr absl::string_view kAltSpaces = "|\\s+";

absl::Status CannotRun(absl::string_view pattern, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(
      "tokenizer.json: regex \"", pattern, "\" cannot be run with RE2: ", why));
}

struct Translation {
  std::string re2;
  std::vector<bool> lookahead_alt;  // per emulated lookahead, in order
};

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

// `\s+(?!\S)` at p[i]: appends the emulating group and returns the index
// after what it replaced, or an error when its placement is unsupported.
absl::StatusOr<size_t> TranslateLookahead(absl::string_view p, size_t i,
                                          Translation* t) {
  const size_t after = i + kLookahead.size();
  const absl::string_view rest = p.substr(after);
  // `|\s+` can stand in for a failed `\s+(?!\S)` only when the latter is
  // a whole alternative.
  const bool whole = i == 0 || p[i - 1] == '|';
  const bool alt =
      whole && absl::StartsWith(rest, kAltSpaces) &&
      (rest.size() == kAltSpaces.size() || rest[kAltSpaces.size()] == '|');
  if (!alt && !rest.empty()) {
    return CannotRun(p,
                     "\\s+(?!\\S) is supported only as the last "
                     "alternative or followed by |\\s+");
  }
  absl::StrAppend(&t->re2, "(?P<seedlm_lookahead", t->lookahead_alt.size(),
                  ">[", kSpaceSet, "]+)");
  t->lookahead_alt.push_back(alt);
  return alt ? after + kAltSpaces.size() : after;
}

absl::StatusOr<Translation> Translate(absl::string_view p) {
  // Oniguruma's Ruby syntax: ^ and $ are line anchors.
  Translation t{"(?m)", {}};
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    if (!in_class && absl::StartsWith(p.substr(i), kLookahead)) {
      absl::StatusOr<size_t> next = TranslateLookahead(p, i, &t);
      if (!next.ok()) return next.status();
      i = *next;
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

absl::StatusOr<std::unique_ptr<HfRegex>> HfRegex::Compile(
    absl::string_view pattern) {
  absl::StatusOr<Translation> t = Translate(pattern);
  if (!t.ok()) return t.status();
  std::unique_ptr<HfRegex> r(new HfRegex());
  r->re2_pattern_ = t->re2;
  RE2::Options options;
  options.set_log_errors(false);
  r->re_ = std::make_unique<RE2>(r->re2_pattern_, options);
  if (!r->re_->ok()) return CannotRun(pattern, r->re_->error());
  const std::map<std::string, int>& named = r->re_->NamedCapturingGroups();
  for (size_t k = 0; k < t->lookahead_alt.size(); ++k) {
    auto it = named.find(absl::StrCat("seedlm_lookahead", k));
    if (it == named.end()) return CannotRun(pattern, "internal group lost");
    r->lookahead_groups_.emplace_back(it->second, t->lookahead_alt[k]);
  }
  return r;
}

std::unique_ptr<HfRegex> HfRegex::Literal(absl::string_view text) {
  std::unique_ptr<HfRegex> r(new HfRegex());
  r->re2_pattern_ = RE2::QuoteMeta(re2::StringPiece(text.data(), text.size()));
  RE2::Options options;
  options.set_log_errors(false);
  r->re_ = std::make_unique<RE2>(r->re2_pattern_, options);
  return r;
}

bool HfRegex::AdjustLookahead(absl::string_view text, const void* groups,
                              size_t* end) const {
  const auto* g = static_cast<const re2::StringPiece*>(groups);
  for (const auto& [index, alt] : lookahead_groups_) {
    if (g[index].data() == nullptr) continue;
    const size_t gb = static_cast<size_t>(g[index].data() - text.data());
    const size_t ge = gb + g[index].size();
    if (ge != *end || ge == text.size()) return true;
    size_t n;
    if (IsWhitespace(DecodeUtf8(text, ge, &n))) return true;
    const size_t last = LastCharLen(text.substr(gb, ge - gb));
    if (ge - gb > last) {
      *end = ge - last;  // \s+ backtracks one character for (?!\S)
      return true;
    }
    return alt;  // a single space: `|\s+` takes it, else no match here
  }
  return true;
}

std::vector<std::pair<size_t, size_t>> HfRegex::FindAll(
    absl::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (re2_pattern_.empty()) return out;  // an empty literal matches nothing
  const int ngroups = 1 + re_->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> g(ngroups);
  const re2::StringPiece sp(text.data(), text.size());
  size_t pos = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (pos <= text.size()) {
    if (!re_->Match(sp, pos, text.size(), RE2::UNANCHORED, g.data(), ngroups)) {
      break;
    }
    const size_t b = static_cast<size_t>(g[0].data() - text.data());
    size_t e = b + g[0].size();
    const bool keep = AdjustLookahead(text, g.data(), &e);
    if (!keep || (e == b && have_last && last_end == e)) {
      // Dropped, or an empty match right after the previous one.
      const size_t from = keep ? pos : b;
      if (from >= text.size()) break;
      pos = from + CharLenAt(text, from);
      continue;
    }
    out.emplace_back(b, e);
    have_last = true;
    last_end = e;
    pos = e;
  }
  return out;
}

std::string HfRegex::ReplaceAll(absl::string_view text,
                                absl::string_view content) const {
  std::string out;
  size_t prev = 0;
  for (const auto& [b, e] : FindAll(text)) {
    out.append(text.data() + prev, b - prev);
    out.append(content.data(), content.size());
    prev = e;
  }
  out.append(text.data() + prev, text.size() - prev);
  return out;
}

}  // namespace hf_internal
}  // namespace seedlm
