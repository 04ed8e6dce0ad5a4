#include "core/tokenizer/hf_pre_tokenizer.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/tokenizer/hf_regex.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

// GPT-2's pre-tokenization pattern (ByteLevel use_regex).
constexpr absl::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
    "|\\s+(?!\\S)|\\s+";

using Ranges = std::vector<std::pair<size_t, size_t>>;

size_t TotalBytes(const std::vector<PreToken>& pieces) {
  size_t n = 0;
  for (const PreToken& p : pieces) n += p.text.size();
  return n;
}

// What a pre-token costs besides its bytes (see kTextWorkFactor).
constexpr size_t kPieceCost = sizeof(PreToken);

// Splits every piece of *pieces with `split` (text, max_matches) -> ranges,
// or nullopt when the text has more than max_matches matches; the first
// sub-piece of a piece keeps its at_origin. Each piece's sub-pieces are
// charged to the budget (bytes + kPieceCost each) as they are made, and
// `split` is asked for no more matches than the budget could pay for.
template <typename F>
absl::Status SplitEach(std::vector<PreToken>* pieces, const F& split,
                       TextBudget* budget) {
  std::vector<PreToken> out;
  out.reserve(pieces->size());
  for (PreToken& p : *pieces) {
    const std::optional<Ranges> ranges =
        split(p.text, budget->left() / kPieceCost);
    if (!ranges.has_value()) return budget->Exceeded();
    size_t cost = 0;
    for (const auto& [b, e] : *ranges) cost += e - b + kPieceCost;
    RETURN_IF_ERROR(budget->Spend(cost));
    for (const auto& [b, e] : *ranges) {
      if (e > b)
        out.push_back({p.text.substr(b, e - b), p.at_origin && b == 0});
    }
  }
  *pieces = std::move(out);
  return absl::OkStatus();
}

// The ranges of `text` split at the matches of `re`, or nullopt when there
// are more than max_matches.
std::optional<Ranges> RegexSplit(const HfRegex& re, const std::string& text,
                                 size_t max_matches, SplitBehavior behavior,
                                 bool invert) {
  const Ranges matches = re.FindAll(text, max_matches);
  if (matches.size() > max_matches) return std::nullopt;
  return SplitRanges(text.size(), matches, behavior, invert);
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> p)
      : parts_(std::move(p)) {}
  absl::Status Apply(std::vector<PreToken>* pieces,
                     TextBudget* budget) const override {
    for (const auto& p : parts_) RETURN_IF_ERROR(p->Apply(pieces, budget));
    return absl::OkStatus();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::unique_ptr<HfRegex> re, SplitBehavior behavior,
                    bool invert)
      : re_(std::move(re)), behavior_(behavior), invert_(invert) {}
  absl::Status Apply(std::vector<PreToken>* pieces,
                     TextBudget* budget) const override {
    return SplitEach(
        pieces,
        [this](const std::string& text, size_t max_matches) {
          return RegexSplit(*re_, text, max_matches, behavior_, invert_);
        },
        budget);
  }

 private:
  std::unique_ptr<HfRegex> re_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::unique_ptr<HfRegex> re)
      : add_prefix_space_(add_prefix_space), re_(std::move(re)) {}
  absl::Status Apply(std::vector<PreToken>* pieces,
                     TextBudget* budget) const override {
    if (add_prefix_space_) {
      size_t added = 0;
      for (const PreToken& p : *pieces) {
        if (!absl::StartsWith(p.text, " ")) ++added;
      }
      RETURN_IF_ERROR(budget->Spend(TotalBytes(*pieces) + added));
      for (PreToken& p : *pieces) {
        if (!absl::StartsWith(p.text, " ")) p.text.insert(0, " ");
      }
    }
    if (re_ != nullptr) {
      RETURN_IF_ERROR(SplitEach(
          pieces,
          [this](const std::string& text, size_t max_matches) {
            return RegexSplit(*re_, text, max_matches, SplitBehavior::kIsolated,
                              false);
          },
          budget));
    }
    const std::array<std::string, 256>& chars = ByteLevelChars();
    size_t mapped_bytes = 0;
    for (const PreToken& p : *pieces) {
      for (char c : p.text)
        mapped_bytes += chars[static_cast<uint8_t>(c)].size();
    }
    RETURN_IF_ERROR(budget->Spend(mapped_bytes));
    for (PreToken& p : *pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (char c : p.text) mapped += chars[static_cast<uint8_t>(c)];
      p.text = std::move(mapped);
    }
    return absl::OkStatus();
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<HfRegex> re_;  // null: use_regex false
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme,
                        bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  absl::Status Apply(std::vector<PreToken>* pieces,
                     TextBudget* budget) const override {
    // Every space replaced, and at most one replacement prepended.
    size_t bound = 0;
    for (const PreToken& p : *pieces) {
      const size_t spaces = std::count(p.text.begin(), p.text.end(), ' ');
      bound += p.text.size() + spaces * (replacement_.size() - 1) +
               replacement_.size();
    }
    RETURN_IF_ERROR(budget->Spend(bound));
    for (PreToken& p : *pieces) {
      p.text = absl::StrReplaceAll(p.text, {{" ", replacement_}});
      const bool prepend = !absl::StartsWith(p.text, replacement_) &&
                           (scheme_ == PrependScheme::kAlways ||
                            (scheme_ == PrependScheme::kFirst && p.at_origin));
      if (prepend) p.text.insert(0, replacement_);
    }
    if (!split_) return absl::OkStatus();
    return SplitEach(
        pieces,
        [this](const std::string& text,
               size_t max_matches) -> std::optional<Ranges> {
          Ranges matches;
          for (size_t at = text.find(replacement_); at != std::string::npos;
               at = text.find(replacement_, at + replacement_.size())) {
            if (matches.size() == max_matches) return std::nullopt;
            matches.emplace_back(at, at + replacement_.size());
          }
          return SplitRanges(text.size(), matches,
                             SplitBehavior::kMergedWithNext, false);
        },
        budget);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

absl::StatusOr<SplitBehavior> ParseBehavior(const Json& j,
                                            absl::string_view path) {
  ASSIGN_OR_RETURN(std::string b, GetString(j, "behavior", path));
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  return Malformed(absl::StrCat(path, ".behavior"),
                   absl::StrCat("unknown split behavior \"", b, "\""));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> Parse(const Json& j,
                                                    absl::string_view path,
                                                    int depth,
                                                    ComponentCounter* counter);

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseSplit(
    const Json& j, absl::string_view path) {
  ASSIGN_OR_RETURN(PatternSpec spec, GetPattern(j, "pattern", path));
  ASSIGN_OR_RETURN(SplitBehavior behavior, ParseBehavior(j, path));
  ASSIGN_OR_RETURN(bool invert, GetBool(j, "invert", false, path));
  std::unique_ptr<HfRegex> re;
  if (spec.is_regex) {
    ASSIGN_OR_RETURN(re, HfRegex::Compile(spec.text));
  } else {
    ASSIGN_OR_RETURN(re, HfRegex::Literal(spec.text));
  }
  return std::unique_ptr<PreTokenizer>(
      new SplitPreTokenizer(std::move(re), behavior, invert));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseByteLevel(
    const Json& j, absl::string_view path) {
  ASSIGN_OR_RETURN(bool prefix, GetBool(j, "add_prefix_space", true, path));
  ASSIGN_OR_RETURN(bool use_regex, GetBool(j, "use_regex", true, path));
  std::unique_ptr<HfRegex> re;
  if (use_regex) {
    ASSIGN_OR_RETURN(re, HfRegex::Compile(kGpt2Pattern));
  }
  return std::unique_ptr<PreTokenizer>(
      new ByteLevelPreTokenizer(prefix, std::move(re)));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseMetaspace(
    const Json& j, absl::string_view path) {
  ASSIGN_OR_RETURN(std::string replacement, GetChar(j, "replacement", path));
  ASSIGN_OR_RETURN(std::optional<std::string> scheme,
                   GetOptString(j, "prepend_scheme", path));
  ASSIGN_OR_RETURN(bool prefix, GetBool(j, "add_prefix_space", true, path));
  ASSIGN_OR_RETURN(bool split, GetBool(j, "split", true, path));
  PrependScheme s = prefix ? PrependScheme::kAlways : PrependScheme::kNever;
  if (scheme.has_value()) {
    if (*scheme == "always") {
      s = PrependScheme::kAlways;
    } else if (*scheme == "first") {
      s = PrependScheme::kFirst;
    } else if (*scheme == "never") {
      s = PrependScheme::kNever;
    } else {
      return Malformed(absl::StrCat(path, ".prepend_scheme"),
                       absl::StrCat("unknown scheme \"", *scheme, "\""));
    }
  }
  return std::unique_ptr<PreTokenizer>(
      new MetaspacePreTokenizer(std::move(replacement), s, split));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParseSequence(
    const Json& j, absl::string_view path, int depth,
    ComponentCounter* counter) {
  ASSIGN_OR_RETURN(const Json* list, GetArray(j, "pretokenizers", path));
  std::vector<std::unique_ptr<PreTokenizer>> parts;
  for (size_t i = 0; i < list->size(); ++i) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<PreTokenizer> part,
        Parse((*list)[i], absl::StrCat(path, ".pretokenizers[", i, "]"),
              depth + 1, counter));
    if (part != nullptr) parts.push_back(std::move(part));
  }
  return std::unique_ptr<PreTokenizer>(
      new SequencePreTokenizer(std::move(parts)));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> Parse(const Json& j,
                                                    absl::string_view path,
                                                    int depth,
                                                    ComponentCounter* counter) {
  if (j.is_null()) return std::unique_ptr<PreTokenizer>();
  RETURN_IF_ERROR(counter->Count(path, depth));
  ASSIGN_OR_RETURN(std::string type, TypeOf(j, path));
  if (type == "Sequence") return ParseSequence(j, path, depth, counter);
  if (type == "Split") return ParseSplit(j, path);
  if (type == "ByteLevel") return ParseByteLevel(j, path);
  if (type == "Metaspace") return ParseMetaspace(j, path);
  return Unsupported(path, "pre_tokenizer", type);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PreTokenizer>> ParsePreTokenizer(
    const Json& j, absl::string_view path) {
  ComponentCounter counter;
  return Parse(j, path, 0, &counter);
}

std::vector<std::pair<size_t, size_t>> SplitRanges(
    size_t text_size, const std::vector<std::pair<size_t, size_t>>& matches,
    SplitBehavior behavior, bool invert) {
  // (range, is_match) covering the text, as Pattern::find_matches.
  std::vector<std::pair<std::pair<size_t, size_t>, bool>> segs;
  size_t prev = 0;
  for (const auto& m : matches) {
    if (prev != m.first) segs.push_back({{prev, m.first}, false});
    segs.push_back({m, true});
    prev = m.second;
  }
  if (prev != text_size || segs.empty()) {
    segs.push_back({{prev, text_size}, false});
  }
  if (invert) {
    for (auto& s : segs) s.second = !s.second;
  }
  Ranges out;
  if (behavior == SplitBehavior::kMergedWithNext) {
    std::reverse(segs.begin(), segs.end());
  }
  bool previous_match = false;
  for (const auto& [range, is_match] : segs) {
    bool merge = false;
    switch (behavior) {
      case SplitBehavior::kRemoved:
        if (is_match) continue;
        break;
      case SplitBehavior::kIsolated:
        break;
      case SplitBehavior::kContiguous:
        merge = is_match == previous_match;
        break;
      case SplitBehavior::kMergedWithPrevious:
      case SplitBehavior::kMergedWithNext:
        merge = is_match && !previous_match;
        break;
    }
    previous_match = is_match;
    if (merge && !out.empty()) {
      if (behavior == SplitBehavior::kMergedWithNext) {
        out.back().first = range.first;
      } else {
        out.back().second = range.second;
      }
    } else {
      out.push_back(range);
    }
  }
  if (behavior == SplitBehavior::kMergedWithNext) {
    std::reverse(out.begin(), out.end());
  }
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](const auto& r) { return r.second <= r.first; }),
            out.end());
  return out;
}

const std::array<std::string, 256>& ByteLevelChars() {
  static const std::array<std::string, 256>* chars = [] {
    auto* a = new std::array<std::string, 256>();
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      tokenizer_internal::AppendUtf8(
          static_cast<char32_t>(printable ? b : next++), &(*a)[b]);
    }
    return a;
  }();
  return *chars;
}

int ByteLevelByte(char32_t c) {
  if (c < 256) {
    const bool printable =
        (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE;
    return printable ? static_cast<int>(c) : -1;
  }
  // The remaining 68 bytes, in order, are 256, 257, ...
  static const std::vector<int>* rest = [] {
    auto* v = new std::vector<int>();
    for (int b = 0; b < 256; ++b) {
      if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)) {
        v->push_back(b);
      }
    }
    return v;
  }();
  const size_t k = c - 256;
  return k < rest->size() ? (*rest)[k] : -1;
}

}  // namespace hf_internal
}  // namespace seedlm
