#include "core/tokenizer/hf_decoder.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/hf_pre_tokenizer.h"
#include "core/tokenizer/hf_regex.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace hf_internal {
namespace {

using tokenizer_internal::kReplacementChar;
using tokenizer_internal::SplitChars;

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<HfRegex> re, std::string content)
      : re_(std::move(re)), content_(std::move(content)) {}
  void Apply(DecodeState* s) const override {
    for (std::string& t : s->tokens) t = re_->ReplaceAll(t, content_);
  }

 private:
  std::unique_ptr<HfRegex> re_;
  std::string content_;
};

// The byte of a token of the form "<0xXX>" (Rust u8::from_str_radix over the
// two hex digits), or -1.
int ByteToken(absl::string_view t) {
  if (t.size() != 6 || !absl::StartsWith(t, "<0x") || t[5] != '>') return -1;
  int v = 0;
  for (char c : t.substr(3, 2)) {
    const int d = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

class ByteFallbackDecoder : public Decoder {
 public:
  void Apply(DecodeState* s) const override {
    std::vector<std::string> out;
    std::string run;  // pending raw bytes
    auto flush = [&]() {
      if (run.empty()) return;
      if (tokenizer_internal::CheckUtf8(run).ok()) {
        out.push_back(run);
      } else {
        for (size_t i = 0; i < run.size(); ++i) {
          out.emplace_back(kReplacementChar);
        }
      }
      run.clear();
    };
    for (std::string& t : s->tokens) {
      const int b = ByteToken(t);
      if (b >= 0) {
        run.push_back(static_cast<char>(b));
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    s->open_tail |= !run.empty();
    flush();
    s->tokens = std::move(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void Apply(DecodeState* s) const override {
    s->tokens = {absl::StrJoin(s->tokens, "")};
    s->fused = true;
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void Apply(DecodeState* s) const override {
    // After fusion, only the slice that starts (ends) the sequence has a
    // start (an end).
    const size_t start = s->fused && !s->at_start ? 0 : start_;
    const size_t stop = s->fused && !s->at_end ? 0 : stop_;
    for (std::string& t : s->tokens) {
      const std::vector<absl::string_view> chars = SplitChars(t);
      size_t cut = 0;
      while (cut < start && cut < chars.size() && chars[cut] == content_) ++cut;
      size_t end = chars.size();
      for (size_t i = 0; i < std::min(stop, chars.size() - cut); ++i) {
        if (chars[end - 1] != content_) break;
        --end;
      }
      std::string kept;
      for (size_t i = cut; i < end; ++i)
        kept.append(chars[i].data(), chars[i].size());
      t = std::move(kept);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool prepends)
      : replacement_(std::move(replacement)), prepends_(prepends) {}
  void Apply(DecodeState* s) const override {
    for (size_t i = 0; i < s->tokens.size(); ++i) {
      // The first token loses its replacement characters (all of them, as
      // Hugging Face) when the pre-tokenizer prepends one.
      const bool first = i == 0 && s->at_start && prepends_;
      std::string out;
      for (absl::string_view c : SplitChars(s->tokens[i])) {
        if (c != replacement_) {
          out.append(c.data(), c.size());
        } else if (!first) {
          out.push_back(' ');
        }
      }
      s->tokens[i] = std::move(out);
    }
  }

 private:
  std::string replacement_;
  bool prepends_;
};

class ByteLevelDecoder : public Decoder {
 public:
  void Apply(DecodeState* s) const override {
    std::string bytes;
    for (const std::string& t : s->tokens) {
      std::string mapped;
      bool all = true;
      size_t pos = 0;
      while (pos < t.size() && all) {
        size_t n;
        const int b = ByteLevelByte(tokenizer_internal::DecodeUtf8(t, pos, &n));
        if (b < 0) {
          all = false;
        } else {
          mapped.push_back(static_cast<char>(b));
        }
        pos += n;
      }
      bytes += all ? mapped : t;  // e.g. added tokens stay as they are
    }
    s->open_tail |= tokenizer_internal::IncompleteUtf8Tail(bytes) > 0;
    s->tokens = {tokenizer_internal::Utf8Lossy(bytes)};
    s->fused = true;
  }
};

struct ParseContext {
  ComponentCounter counter;
  // How many times longer the Replace stages may make the text (see
  // kMaxDecoderGrowth).
  int64_t growth = 1;
  std::vector<std::unique_ptr<Decoder>> stages;
  std::vector<std::string> held_back_chars;
  bool fused = false;
  bool separable = true;
  bool prefix_stable = true;
};

absl::StatusOr<std::unique_ptr<HfRegex>> PatternRegex(const Json& j,
                                                      absl::string_view path) {
  ASSIGN_OR_RETURN(PatternSpec spec, GetPattern(j, "pattern", path));
  if (spec.is_regex) return HfRegex::Compile(spec.text);
  return HfRegex::Literal(spec.text);
}

// A Replace with `content` inserts it at most once per character and once
// more (an empty match everywhere): the text grows at most 1 + c fold.
absl::Status AddGrowth(const std::string& content, absl::string_view path,
                       ParseContext* ctx) {
  const int64_t factor = 1 + static_cast<int64_t>(content.size());
  if (factor > kMaxDecoderGrowth || ctx->growth * factor > kMaxDecoderGrowth) {
    return absl::ResourceExhaustedError(
        absl::StrCat(Where(path),
                     ": the decoder's Replace stages could make the text more "
                     "than ",
                     kMaxDecoderGrowth,
                     " times longer (each counts 1 + its content's "
                     "bytes)"));
  }
  ctx->growth *= factor;
  return absl::OkStatus();
}

absl::StatusOr<bool> MetaspacePrepends(const Json& j, absl::string_view path) {
  ASSIGN_OR_RETURN(std::optional<std::string> scheme,
                   GetOptString(j, "prepend_scheme", path));
  if (scheme.has_value()) return *scheme != "never";
  return GetBool(j, "add_prefix_space", true, path);
}

absl::StatusOr<std::unique_ptr<Decoder>> ParseStage(const std::string& type,
                                                    const Json& j,
                                                    absl::string_view path,
                                                    ParseContext* ctx) {
  if (type == "Replace") {
    ASSIGN_OR_RETURN(std::unique_ptr<HfRegex> re, PatternRegex(j, path));
    ASSIGN_OR_RETURN(std::string content, GetString(j, "content", path));
    RETURN_IF_ERROR(AddGrowth(content, path, ctx));
    return std::unique_ptr<Decoder>(
        new ReplaceDecoder(std::move(re), std::move(content)));
  }
  if (type == "ByteFallback") {
    return std::unique_ptr<Decoder>(new ByteFallbackDecoder());
  }
  if (type == "Fuse") return std::unique_ptr<Decoder>(new FuseDecoder());
  if (type == "ByteLevel") {
    return std::unique_ptr<Decoder>(new ByteLevelDecoder());
  }
  if (type == "Strip") {
    ASSIGN_OR_RETURN(std::string content, GetChar(j, "content", path));
    ASSIGN_OR_RETURN(int64_t start, GetCount(j, "start", 0, path));
    ASSIGN_OR_RETURN(int64_t stop, GetCount(j, "stop", 0, path));
    if (stop > 0) ctx->held_back_chars.push_back(content);
    return std::unique_ptr<Decoder>(
        new StripDecoder(std::move(content), start, stop));
  }
  if (type == "Metaspace") {
    ASSIGN_OR_RETURN(std::string replacement, GetChar(j, "replacement", path));
    ASSIGN_OR_RETURN(bool prepends, MetaspacePrepends(j, path));
    return std::unique_ptr<Decoder>(
        new MetaspaceDecoder(std::move(replacement), prepends));
  }
  return Unsupported(path, "decoder", type);
}

absl::Status AddStages(const Json& j, absl::string_view path, int depth,
                       ParseContext* ctx) {
  RETURN_IF_ERROR(ctx->counter.Count(path, depth));
  ASSIGN_OR_RETURN(std::string type, TypeOf(j, path));
  if (type == "Sequence") {
    ASSIGN_OR_RETURN(const Json* list, GetArray(j, "decoders", path));
    for (size_t i = 0; i < list->size(); ++i) {
      RETURN_IF_ERROR(AddStages((*list)[i],
                                absl::StrCat(path, ".decoders[", i, "]"),
                                depth + 1, ctx));
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> stage,
                   ParseStage(type, j, path, ctx));
  if (ctx->fused &&
      (type == "Replace" || type == "ByteFallback" || type == "Metaspace")) {
    ctx->separable = false;
    if (type != "Metaspace") ctx->prefix_stable = false;
  }
  if (type == "Fuse" || type == "ByteLevel") ctx->fused = true;
  ctx->stages.push_back(std::move(stage));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DecoderPipeline>> DecoderPipeline::Parse(
    const Json& j, absl::string_view path) {
  std::unique_ptr<DecoderPipeline> p(new DecoderPipeline());
  if (j.is_null()) {
    p->join_with_space_ = true;
    return p;
  }
  ParseContext ctx;
  RETURN_IF_ERROR(AddStages(j, path, 0, &ctx));
  p->stages_ = std::move(ctx.stages);
  p->held_back_chars_ = std::move(ctx.held_back_chars);
  p->separable_ = ctx.separable;
  p->prefix_stable_ = ctx.prefix_stable;
  return p;
}

DecoderPipeline::Result DecoderPipeline::Run(
    absl::Span<const std::string> tokens, bool at_start, bool at_end) const {
  Result r;
  if (join_with_space_) {
    if (!tokens.empty()) {
      r.text = absl::StrCat(at_start ? "" : " ", absl::StrJoin(tokens, " "));
    }
    return r;
  }
  DecodeState s;
  s.tokens.assign(tokens.begin(), tokens.end());
  s.at_start = at_start;
  s.at_end = at_end;
  for (const auto& stage : stages_) stage->Apply(&s);
  r.text = absl::StrJoin(s.tokens, "");
  r.open_tail = s.open_tail;
  return r;
}

size_t DecoderPipeline::HeldBack(absl::string_view text) const {
  if (held_back_chars_.empty()) return 0;
  size_t n = 0;
  while (n < text.size()) {
    const absl::string_view rest = text.substr(0, text.size() - n);
    bool found = false;
    for (const std::string& c : held_back_chars_) {
      if (absl::EndsWith(rest, c)) {
        n += c.size();
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  return n;
}

}  // namespace hf_internal
}  // namespace seedlm
