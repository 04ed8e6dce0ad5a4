// Unit tests of the tokenizer.json components: regexes (Unicode classes,
// the `\s+(?!\S)` emulation), split behaviors, normalizers, pre-tokenizers
// and decoders. Expected values are Hugging Face's documented behavior
// (e.g. the split behavior examples of the tokenizers docs, the unit tests
// of tokenizers' decoders) or worked out by hand as commented.
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/tokenizer/hf_decoder.h"
#include "core/tokenizer/hf_normalizer.h"
#include "core/tokenizer/hf_pre_tokenizer.h"
#include "core/tokenizer/hf_regex.h"
#include "core/tokenizer/hf_token_matcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace hf_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGpt2[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
    "|\\s+(?!\\S)|\\s+";
constexpr char kLlama3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?"
    "[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

std::vector<std::string> Matches(const std::string& pattern,
                                 const std::string& text) {
  auto re = HfRegex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << re.status();
  std::vector<std::string> out;
  if (!re.ok()) return out;
  for (const auto& [b, e] : (*re)->FindAll(text)) {
    out.push_back(text.substr(b, e - b));
  }
  return out;
}

// The expected splits of the GPT-2 and Llama-3 patterns below are also what
// node's RegExp (which has lookahead) gives for the same patterns.
TEST(HfRegexTest, LookaheadEmulationGpt2) {
  // "  world": \s+(?!\S) gives back the space before "world".
  EXPECT_THAT(Matches(kGpt2, "Hello  world\n\n  x"),
              ElementsAre("Hello", " ", " world", "\n\n ", " x"));
  // Whitespace that ends the text is kept whole.
  EXPECT_THAT(Matches(kGpt2, "a  "), ElementsAre("a", "  "));
  // One whitespace character before a word: \s+(?!\S) fails, \s+ takes it.
  EXPECT_THAT(Matches(kGpt2, "a\tb"), ElementsAre("a", "\t", "b"));
  EXPECT_THAT(Matches(kGpt2, "it's 12 ok?!"),
              ElementsAre("it", "'s", " 12", " ok", "?!"));
}

TEST(HfRegexTest, Llama3Pattern) {
  EXPECT_THAT(Matches(kLlama3, "I'M 1234567 x\r\n\n  y  "),
              ElementsAre("I", "'M", " ", "123", "456", "7", " x", "\r\n\n",
                          " ", " y", "  "));
  EXPECT_THAT(Matches(kLlama3, "(hello) world"),
              ElementsAre("(hello", ")", " world"));
}

TEST(HfRegexTest, ShorthandsAreUnicode) {
  // U+3000 is whitespace for Oniguruma (and RE2's \s is ASCII): the two
  // ideographic spaces are not a punctuation run.
  EXPECT_THAT(Matches(kGpt2,
                      "a\xE3\x80\x80\xE3\x80\x80"
                      "b"),
              ElementsAre("a", "\xE3\x80\x80", "\xE3\x80\x80", "b"));
  EXPECT_THAT(Matches("\\d+", "x\xD9\xA3\xD9\xA4 7"),  // Arabic-Indic digits
              ElementsAre("\xD9\xA3\xD9\xA4", "7"));
  EXPECT_THAT(Matches("\\w+", "na\xC3\xAFve_1 x"),
              ElementsAre("na\xC3\xAFve_1", "x"));
}

TEST(HfRegexTest, LookaheadAsLastAlternative) {
  // No `|\s+` after it: a single space before a non-space matches nothing.
  EXPECT_THAT(Matches("a|\\s+(?!\\S)", "x  y z   "), ElementsAre(" ", "   "));
}

// The emulation of `\s+(?!\S)` is exact wherever it ends a top-level
// alternative (expected values: what a backtracking engine gives).
TEST(HfRegexTest, LookaheadEndingAnyAlternative) {
  EXPECT_THAT(Matches("a*\\s+(?!\\S)", "aa b"), ElementsAre());
  EXPECT_THAT(Matches("a*\\s+(?!\\S)", "aa  b  "), ElementsAre("aa ", "  "));
  EXPECT_THAT(Matches("\\s+(?!\\S)|x", "x \ty"), ElementsAre("x", " "));
  // Before `|`: the alternative after it is tried where this one fails.
  EXPECT_THAT(Matches("b\\s+(?!\\S)|b", "b c  b  "), ElementsAre("b", "b  "));
  for (const char* bad : {"(\\s+(?!\\S))", "(a|\\s+(?!\\S)|b)"}) {
    EXPECT_EQ(HfRegex::Compile(bad).status().code(),
              absl::StatusCode::kUnimplemented)
        << bad;
  }
}

TEST(HfRegexTest, EmptyMatchesAdvance) {
  auto re = HfRegex::Compile("x*");
  ASSERT_TRUE(re.ok());
  using P = std::pair<size_t, size_t>;
  EXPECT_THAT((*re)->FindAll("ab"), ElementsAre(P(0, 0), P(1, 1), P(2, 2)));
  EXPECT_EQ((*re)->ReplaceAll("ab", "-"), "-a-b-");
}

TEST(HfRegexTest, LiteralAndUnsupported) {
  EXPECT_EQ((*HfRegex::Literal("a.b"))->ReplaceAll("axb a.b", "_"), "axb _");
  EXPECT_TRUE((*HfRegex::Literal(""))->FindAll("abc").empty());
  for (const char* bad :
       {"a(?=b)", "\\s+(?!\\S)x", "[\\S]", "(?<!a)b", "a++"}) {
    auto re = HfRegex::Compile(bad);
    EXPECT_EQ(re.status().code(), absl::StatusCode::kUnimplemented) << bad;
    EXPECT_THAT(std::string(re.status().message()), HasSubstr(bad));
  }
}

// TokenMatcher against a brute force search, on random patterns and texts
// over a small alphabet (many overlaps, shared prefixes and suffixes).
TEST(TokenMatcherTest, LongestMatchAtEachPosition) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    TokenMatcher m;
    std::vector<std::string> patterns;
    const int count = 1 + rng() % 8;
    for (int k = 0; k < count; ++k) {
      std::string p;
      const int len = 1 + rng() % 4;
      for (int i = 0; i < len; ++i) p += "ab\xC3"[rng() % 3];
      patterns.push_back(p);
      m.Add(p);
    }
    m.Build();
    std::string text;
    const int n = rng() % 30;
    for (int i = 0; i < n; ++i) text += "ab\xC3"[rng() % 3];
    const std::vector<int32_t> got = m.LongestAt(text);
    ASSERT_EQ(got.size(), text.size());
    for (size_t p = 0; p < text.size(); ++p) {
      int32_t want = -1;
      for (int k = 0; k < count; ++k) {
        if (text.compare(p, patterns[k].size(), patterns[k]) != 0) continue;
        if (want < 0 || patterns[k].size() > patterns[want].size()) want = k;
      }
      EXPECT_EQ(got[p], want) << "text " << text << " at " << p;
    }
  }
}

std::vector<std::string> Split(SplitBehavior b, bool invert) {
  const std::string text = "the-final--countdown";
  std::vector<std::pair<size_t, size_t>> dashes = {{3, 4}, {9, 10}, {10, 11}};
  std::vector<std::string> out;
  for (const auto& [s, e] : SplitRanges(text.size(), dashes, b, invert)) {
    out.push_back(text.substr(s, e - s));
  }
  return out;
}

TEST(SplitRangesTest, Behaviors) {
  // The examples of the tokenizers documentation (SplitDelimiterBehavior).
  EXPECT_THAT(Split(SplitBehavior::kRemoved, false),
              ElementsAre("the", "final", "countdown"));
  EXPECT_THAT(Split(SplitBehavior::kIsolated, false),
              ElementsAre("the", "-", "final", "-", "-", "countdown"));
  EXPECT_THAT(Split(SplitBehavior::kMergedWithPrevious, false),
              ElementsAre("the-", "final-", "-", "countdown"));
  EXPECT_THAT(Split(SplitBehavior::kMergedWithNext, false),
              ElementsAre("the", "-final", "-", "-countdown"));
  EXPECT_THAT(Split(SplitBehavior::kContiguous, false),
              ElementsAre("the", "-", "final", "--", "countdown"));
  // Inverted: the words are the delimiters.
  EXPECT_THAT(Split(SplitBehavior::kRemoved, true), ElementsAre("-", "-", "-"));
  EXPECT_THAT(Split(SplitBehavior::kMergedWithPrevious, true),
              ElementsAre("the", "-final", "-", "-countdown"));
  EXPECT_TRUE(SplitRanges(0, {}, SplitBehavior::kIsolated, false).empty());
}

std::string Normalize(const std::string& json, std::string text) {
  auto n = ParseNormalizer(Json::parse(json), "normalizer");
  EXPECT_TRUE(n.ok()) << n.status();
  if (n.ok() && *n != nullptr) {
    TextBudget budget(text.size());
    EXPECT_TRUE((*n)->Normalize(&text, &budget).ok());
  }
  return text;
}

TEST(HfNormalizerTest, Components) {
  EXPECT_EQ(Normalize(R"({"type":"NFKC"})", "\xEF\xAC\x81"), "fi");
  EXPECT_EQ(Normalize(R"({"type":"NFC"})", "e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(Normalize(R"({"type":"NFD"})", "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(Normalize(R"({"type":"NFKD"})", "\xC2\xB2"), "2");
  EXPECT_EQ(Normalize(R"({"type":"Prepend","prepend":"_"})", "a"), "_a");
  EXPECT_EQ(Normalize(R"({"type":"Prepend","prepend":"_"})", ""), "");
  EXPECT_EQ(Normalize(R"({"type":"Replace","pattern":{"Regex":" {2,}"},
                          "content":" "})",
                      "a  b   c d"),
            "a b c d");
  EXPECT_EQ(Normalize(R"({"type":"Replace","pattern":{"String":"."},
                          "content":"!"})",
                      "a.b.c"),
            "a!b!c");
  EXPECT_EQ(Normalize(R"({"type":"Strip","strip_left":true,
                          "strip_right":false})",
                      " \t x \xE3\x80\x80"),
            "x \xE3\x80\x80");
  EXPECT_EQ(Normalize(R"({"type":"Sequence","normalizers":[
                          {"type":"NFKC"},
                          {"type":"Prepend","prepend":"\u2581"},
                          {"type":"Replace","pattern":{"String":" "},
                           "content":"\u2581"}]})",
                      "a \xEF\xAC\x81"),
            "\xE2\x96\x81"
            "a\xE2\x96\x81"
            "fi");
  EXPECT_EQ(Normalize("null", "as is"), "as is");
  auto bad = ParseNormalizer(Json::parse(R"({"type":"Lowercase"})"), "n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("Lowercase"));
}

std::vector<std::string> PreTokenize(const std::string& json,
                                     const std::string& text,
                                     bool at_origin = true) {
  auto p = ParsePreTokenizer(Json::parse(json), "pre_tokenizer");
  EXPECT_TRUE(p.ok()) << p.status();
  std::vector<PreToken> pieces = {{text, at_origin}};
  TextBudget budget(text.size());
  if (p.ok()) {
    EXPECT_TRUE((*p)->Apply(&pieces, &budget).ok());
  }
  std::vector<std::string> out;
  for (const PreToken& t : pieces) out.push_back(t.text);
  return out;
}

TEST(HfPreTokenizerTest, Metaspace) {
  const std::string kMeta = "\xE2\x96\x81";
  // The tokenizers unit tests: "Hey   friend!" with prepend always.
  EXPECT_THAT(PreTokenize(R"({"type":"Metaspace","replacement":"\u2581",
                              "prepend_scheme":"always","split":true})",
                          "Hey   friend!"),
              ElementsAre(kMeta + "Hey", kMeta, kMeta, kMeta + "friend!"));
  const std::string first = R"({"type":"Metaspace","replacement":"\u2581",
                                "prepend_scheme":"first","split":false})";
  EXPECT_THAT(PreTokenize(first, "a b"),
              ElementsAre(kMeta + "a" + kMeta + "b"));
  EXPECT_THAT(PreTokenize(first, "a b", /*at_origin=*/false),
              ElementsAre("a" + kMeta + "b"));
  EXPECT_THAT(PreTokenize(R"({"type":"Metaspace","replacement":"\u2581",
                              "add_prefix_space":false})",
                          "a b"),
              ElementsAre("a", kMeta + "b"));
}

TEST(HfPreTokenizerTest, ByteLevelAndSequence) {
  // "Ġ" (U+0120) stands for the space byte, "Ċ" (U+010A) for "\n".
  EXPECT_THAT(PreTokenize(R"({"type":"ByteLevel","add_prefix_space":true,
                              "use_regex":true})",
                          "Hello world\n"),
              ElementsAre("\xC4\xA0Hello", "\xC4\xA0world", "\xC4\x8A"));
  EXPECT_THAT(PreTokenize(R"({"type":"ByteLevel","add_prefix_space":false,
                              "use_regex":false})",
                          "\xC3\xA9 x"),
              ElementsAre("\xC3\x83\xC2\xA9\xC4\xA0x"));
  EXPECT_THAT(PreTokenize(R"({"type":"Sequence","pretokenizers":[
                  {"type":"Split","pattern":{"String":"-"},
                   "behavior":"MergedWithNext","invert":false},
                  {"type":"Split","pattern":{"Regex":"\\d"},
                   "behavior":"Isolated","invert":false}]})",
                          "a-b1-c"),
              ElementsAre("a", "-b", "1", "-c"));
  auto bad = ParsePreTokenizer(Json::parse(R"({"type":"Whitespace"})"), "p");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("Whitespace"));
  auto behavior =
      ParsePreTokenizer(Json::parse(R"({"type":"Split","pattern":{"String":"-"},
                      "behavior":"Sideways","invert":false})"),
                        "p");
  EXPECT_EQ(behavior.status().code(), absl::StatusCode::kDataLoss);
}

std::string Decode(const std::string& json,
                   const std::vector<std::string>& tokens) {
  auto d = DecoderPipeline::Parse(Json::parse(json), "decoder");
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? (*d)->Run(tokens, true).text : "";
}

TEST(HfDecoderTest, Components) {
  // The tokenizers unit tests of Strip, ByteFallback and Metaspace.
  EXPECT_EQ(Decode(R"({"type":"Strip","content":"H","start":1,"stop":0})",
                   {"Hey", " friend!", "HHH"}),
            "ey friend!HH");
  EXPECT_EQ(Decode(R"({"type":"Strip","content":"y","start":0,"stop":1})",
                   {"Hey", " friend!"}),
            "He friend!");
  const std::string fallback = R"({"type":"ByteFallback"})";
  EXPECT_EQ(Decode(fallback, {"<0x61>"}), "a");
  EXPECT_EQ(Decode(fallback, {"<0xE5>", "<0x8f>"}), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Decode(fallback, {"<0xE5>", "<0x8f>", "<0xab>", "a"}),
            "\xE5\x8F\xAB"
            "a");
  EXPECT_EQ(Decode(fallback, {"<0xE5>", "<0x8f>", "a"}),
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "a");
  EXPECT_EQ(Decode(R"({"type":"Metaspace","replacement":"\u2581",
                       "prepend_scheme":"always"})",
                   {"\xE2\x96\x81Hey",
                    "\xE2\x96\x81"
                    "friend!"}),
            "Hey friend!");
  EXPECT_EQ(Decode(R"({"type":"Metaspace","replacement":"\u2581",
                       "prepend_scheme":"never"})",
                   {"\xE2\x96\x81Hey",
                    "\xE2\x96\x81"
                    "friend!"}),
            " Hey friend!");
  // ByteLevel: "Ġ" -> " ", "Ã©" -> "é"; a token outside the alphabet (an
  // added token) is kept as it is; stray bytes become U+FFFD.
  EXPECT_EQ(Decode(R"({"type":"ByteLevel"})",
                   {"\xC4\xA0"
                    "caf",
                    "\xC3\x83\xC2\xA9", "<|x|>", "\xC3\x83"}),
            " caf\xC3\xA9<|x|>\xEF\xBF\xBD");
  EXPECT_EQ(Decode("null", {"a", "b", "c"}), "a b c");
  auto bad =
      DecoderPipeline::Parse(Json::parse(R"({"type":"WordPiece"})"), "d");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("WordPiece"));
}

TEST(HfDecoderTest, SlicesAndHeldBackText) {
  auto d = DecoderPipeline::Parse(
      Json::parse(R"({"type":"Sequence","decoders":[{"type":"Fuse"},
          {"type":"Strip","content":" ","start":1,"stop":2}]})"),
      "d");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE((*d)->separable());
  EXPECT_EQ((*d)->Run({" a", " "}, true).text, "a");
  EXPECT_EQ((*d)->Run({" a", " "}, false).text, " a");
  EXPECT_EQ((*d)->Run({" a", " "}, true, /*at_end=*/false).text, "a ");
  EXPECT_EQ((*d)->HeldBack("a b  "), 2u);
  auto fused_replace = DecoderPipeline::Parse(
      Json::parse(R"({"type":"Sequence","decoders":[{"type":"Fuse"},
          {"type":"Replace","pattern":{"String":"ab"},"content":"X"}]})"),
      "d");
  ASSERT_TRUE(fused_replace.ok());
  EXPECT_FALSE((*fused_replace)->separable());
  EXPECT_EQ((*fused_replace)->Run({"a", "b"}, true).text, "X");
  auto bytes =
      DecoderPipeline::Parse(Json::parse(R"({"type":"ByteFallback"})"), "d");
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE((*bytes)->Run({"a", "<0xC3>"}, true).open_tail);
  EXPECT_FALSE((*bytes)->Run({"<0xC3>", "a"}, true).open_tail);
}

}  // namespace
}  // namespace hf_internal
}  // namespace seedlm
