// Hostile tokenizer.json files and input texts (issue 12): deep nesting,
// patterns that backtrack exponentially in a backtracking engine, empty-match
// Replace that grows the text, quadratic added-token stripping, oversized
// vocabularies. Every case must end quickly with the documented status (no
// crash, hang or memory blow-up). Times are not asserted: the inputs are
// sized so that a quadratic or exponential path would run for minutes.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tokenizer/hf_limits.h"
#include "core/tokenizer/hf_tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

// A vocabulary of the printable ASCII characters (id = code - 32) and
// "\xE2\x96\x81" (id 95).
json AsciiVocab() {
  json v = json::object();
  for (int c = 32; c < 127; ++c)
    v[std::string(1, static_cast<char>(c))] = c - 32;
  v["\xE2\x96\x81"] = 95;
  return v;
}

json Base() {
  return {
      {"added_tokens", json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", nullptr},
      {"post_processor", nullptr},
      {"decoder", nullptr},
      {"model",
       {{"type", "BPE"}, {"vocab", AsciiVocab()}, {"merges", json::array()}}}};
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> Create(const json& j) {
  return HfTokenizer::Create(j.dump());
}

// The ids of `text` as characters of AsciiVocab.
std::vector<int32_t> Ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (char c : text) ids.push_back(c - 32);
  return ids;
}

// tokenizer.json text whose `member` is `depth` Sequences nested in each
// other (built as text: a JSON library would recurse as deep).
std::string DeeplyNested(const std::string& member, const std::string& list,
                         int depth, const std::string& leaf) {
  std::string open = "{\"type\":\"Sequence\",\"" + list + "\":[";
  std::string nested;
  nested.reserve(depth * (open.size() + 2) + leaf.size());
  for (int i = 0; i < depth; ++i) nested += open;
  nested += leaf;
  for (int i = 0; i < depth; ++i) nested += "]}";
  json j = Base();
  const std::string placeholder = "\"<nested components>\"";
  j[member] = json::parse(placeholder);
  std::string text = j.dump();
  text.replace(text.find(placeholder), placeholder.size(), nested);
  return text;
}

struct Component {
  const char* member;
  const char* list;
  const char* leaf;
};
constexpr Component kComponents[] = {
    {"normalizer", "normalizers", R"({"type":"NFC"})"},
    {"pre_tokenizer", "pretokenizers",
     R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})"},
    {"decoder", "decoders", R"({"type":"Fuse"})"},
    {"post_processor", "processors", R"({"type":"ByteLevel"})"},
};

TEST(HfHostileTest, DeepNestingIsRefusedWithoutRecursing) {
  for (const Component& c : kComponents) {
    SCOPED_TRACE(c.member);
    const std::string text = DeeplyNested(c.member, c.list, 100000, c.leaf);
    auto t = HfTokenizer::Create(text);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted)
        << t.status();
  }
}

TEST(HfHostileTest, ComponentNestingAndCountLimits) {
  for (const Component& c : kComponents) {
    SCOPED_TRACE(c.member);
    // Within the JSON depth limit, but Sequences nest too deep.
    auto deep = HfTokenizer::Create(DeeplyNested(
        c.member, c.list, hf_internal::kMaxComponentDepth + 1, c.leaf));
    EXPECT_EQ(deep.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(std::string(deep.status().message()), HasSubstr(c.member));
    EXPECT_TRUE(HfTokenizer::Create(
                    DeeplyNested(c.member, c.list,
                                 hf_internal::kMaxComponentDepth, c.leaf))
                    .ok());
    // Too many components in one flat Sequence.
    json j = Base();
    json list = json::array();
    for (int i = 0; i < hf_internal::kMaxComponentCount; ++i) {
      list.push_back(json::parse(c.leaf));
    }
    j[c.member] = {{"type", "Sequence"}, {c.list, list}};
    auto many = Create(j);
    EXPECT_EQ(many.status().code(), absl::StatusCode::kResourceExhausted);
  }
}

TEST(HfHostileTest, OversizedJsonIsRefusedBeforeParsing) {
  std::string text = Base().dump();
  text.insert(text.size() - 1,
              std::string(hf_internal::kTokenizerJsonLimits.max_bytes, ' '));
  EXPECT_EQ(HfTokenizer::Create(text).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Patterns that take exponential time in a backtracking engine (Oniguruma,
// which Hugging Face uses) run in linear time here (RE2).
TEST(HfHostileTest, CatastrophicBacktrackingPatternsAreLinear) {
  const std::string text = std::string(1 << 20, 'a') + "!";
  for (const char* pattern :
       {"(a+)+$", "(a|aa)+$", "(a*)*b", "(\\w+\\s?)+$", "(a|a?)+b"}) {
    SCOPED_TRACE(pattern);
    json j = Base();
    j["normalizer"] = {{"type", "Replace"},
                       {"pattern", {{"Regex", pattern}}},
                       {"content", "x"}};
    j["pre_tokenizer"] = {{"type", "Split"},
                          {"pattern", {{"Regex", pattern}}},
                          {"behavior", "Isolated"},
                          {"invert", false}};
    auto t = Create(j);
    ASSERT_TRUE(t.ok()) << t.status();
    auto ids = (*t)->Encode(text, false, false);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_GE(ids->size(), 2u);
  }
}

// `\s+(?!\S)` ending a pattern (no `|\s+` after it) used to drop a failed
// match and search again one character later: quadratic.
TEST(HfHostileTest, LookaheadAtPatternEndIsLinear) {
  json j = Base();
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "a*\\s+(?!\\S)"}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  // Oniguruma: no match in "aa b"; "aa  b" matches "aa " (the second space
  // is left for (?!\S)); trailing whitespace is taken whole.
  EXPECT_THAT(*(*t)->Encode("aa b", false, false), ElementsAre(65, 65, 0, 66));
  EXPECT_THAT(*(*t)->Encode("aa  b ", false, false),
              ElementsAre(65, 65, 0, 0, 66, 0));
  const std::string text = std::string(1 << 20, 'a') + " b";
  auto ids = (*t)->Encode(text, false, false);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), text.size());
}

TEST(HfHostileTest, PatternSizeLimits) {
  json j = Base();
  const std::string long_pattern(hf_internal::kMaxPatternBytes + 1, 'a');
  for (const char* kind : {"Regex", "String"}) {
    j["normalizer"] = {{"type", "Replace"},
                       {"pattern", {{kind, long_pattern}}},
                       {"content", "x"}};
    EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted)
        << kind;
  }
  // Short, but its RE2 program exceeds the memory limit.
  j["normalizer"] = {{"type", "Replace"},
                     {"pattern", {{"Regex", "((((a{100}){100}){100}){100})"}}},
                     {"content", "x"}};
  auto t = Create(j);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted)
      << t.status();
}

TEST(HfHostileTest, EmptyMatchReplaceInsertsOnceAtEachPosition) {
  json j = Base();
  for (const char* pattern : {"", "x*"}) {
    j["normalizer"] = {{"type", "Replace"},
                       {"pattern", {{"Regex", pattern}}},
                       {"content", "-"}};
    auto t = Create(j);
    ASSERT_TRUE(t.ok()) << t.status();
    // As Hugging Face (Oniguruma find_iter): "ab" -> "-a-b-".
    EXPECT_THAT(*(*t)->Encode("ab", false, false), Ids("-a-b-")) << pattern;
  }
}

TEST(HfHostileTest, NormalizerGrowthIsBounded) {
  json j = Base();
  // 40 empty-match Replaces, each tripling the text: 3^40 bytes unbounded.
  json list = json::array();
  for (int i = 0; i < 40; ++i) {
    list.push_back(
        {{"type", "Replace"}, {"pattern", {{"Regex", ""}}}, {"content", "ab"}});
  }
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", list}};
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->Encode("hello", false, false).status().code(),
            absl::StatusCode::kResourceExhausted);
  // One Replace with a 100 KB content on a short text.
  j["normalizer"] = {{"type", "Replace"},
                     {"pattern", {{"String", "a"}}},
                     {"content", std::string(100000, 'z')}};
  t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->Encode("aaaaaaaaaa", false, false).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE((*t)->Encode("bbbbbbbbbb", false, false).ok());
}

TEST(HfHostileTest, PreTokenizerGrowthIsBounded) {
  // Each ByteLevel maps a byte >= 0x80 to a 2-byte character: doubling.
  json j = Base();
  json list = json::array();
  for (int i = 0; i < 40; ++i) {
    list.push_back({{"type", "ByteLevel"},
                    {"add_prefix_space", false},
                    {"use_regex", false}});
  }
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", list}};
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->Encode("\xC3\xA9", false, false).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Pre-tokens cost their size in memory besides their bytes: a grown text
// split into one-byte pieces exceeds the budget (before the pieces exist).
TEST(HfHostileTest, TinyPiecesAreCharged) {
  json j = Base();
  j["normalizer"] = {
      {"type", "Replace"}, {"pattern", {{"Regex", ""}}}, {"content", "xy"}};
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", ""}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(
      (*t)->Encode(std::string(1 << 18, 'a'), false, false).status().code(),
      absl::StatusCode::kResourceExhausted);
  // A short text is fine: "a" -> "xyaxy", one piece per byte.
  EXPECT_THAT(*(*t)->Encode("a", false, false), Ids("xyaxy"));
}

TEST(HfHostileTest, DecoderGrowthIsRefusedAtLoad) {
  json j = Base();
  json list = json::array();
  for (int i = 0; i < 40; ++i) {
    list.push_back(
        {{"type", "Replace"}, {"pattern", {{"Regex", ""}}}, {"content", "ab"}});
  }
  j["decoder"] = {{"type", "Sequence"}, {"decoders", list}};
  auto t = Create(j);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted)
      << t.status();
  // Llama-2's decoder Replace ("\u2581" -> " ") is fine.
  j["decoder"] = {{"type", "Replace"},
                  {"pattern", {{"String", "\xE2\x96\x81"}}},
                  {"content", " "}};
  t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->Decode({95, 65}), " a");
}

json AddedToken(int id, const std::string& content, bool lstrip, bool rstrip) {
  return {{"id", id},         {"content", content}, {"single_word", false},
          {"lstrip", lstrip}, {"rstrip", rstrip},   {"normalized", false},
          {"special", true}};
}

// An lstrip token made of whitespace, in megabytes of whitespace: each match
// used to scan back over all the whitespace before it.
TEST(HfHostileTest, AddedTokenStripIsLinear) {
  json j = Base();
  j["added_tokens"] = {AddedToken(96, "  ", true, false),
                       AddedToken(97, "<r>", false, true)};
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string spaces(4 << 20, ' ');
  auto ids = (*t)->Encode(spaces + "x", false, false);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), spaces.size() / 2 + 1);
  std::string mixed;
  for (int i = 0; i < 100000; ++i) mixed += "<r>          ";
  ids = (*t)->Encode(mixed, false, false);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), 100000u);  // rstrip swallows the spaces
}

// Many added tokens sharing a first byte, in a long text of that byte: each
// position used to be compared with every token.
TEST(HfHostileTest, ManyAddedTokensMatchInLinearTime) {
  json j = Base();
  json added = json::array();
  for (int i = 0; i < 20000; ++i) {
    added.push_back(
        AddedToken(96 + i, absl::StrCat("<tok", i, ">"), false, false));
  }
  j["added_tokens"] = added;
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string text = std::string(2 << 20, '<') + "<tok19999>";
  auto ids = (*t)->Encode(text, false, false);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), (2u << 20) + 1);
  EXPECT_EQ(ids->back(), 96 + 19999);
}

TEST(HfHostileTest, SizeLimits) {
  const std::string huge(hf_internal::kMaxTokenBytes + 1, 'a');
  json j = Base();
  j["model"]["vocab"][huge] = 96;
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted);
  j = Base();
  j["model"]["vocab"]["x"] = hf_internal::kMaxVocabSize;
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted);
  j = Base();
  j["added_tokens"] = json::array({AddedToken(96, huge, false, false)});
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted);
  j = Base();
  j["added_tokens"] =
      json::array({AddedToken(INT32_MAX - 1, "<big>", false, false)});
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted);
  j = Base();
  j["model"]["continuing_subword_prefix"] =
      std::string(hf_internal::kMaxSubwordAffixBytes + 1, '#');
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kResourceExhausted);
  // A post-processor special id outside the vocabulary.
  j = Base();
  j["post_processor"] = {
      {"type", "TemplateProcessing"},
      {"single", {"<s>", "$A"}},
      {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {5000}}}}}}};
  EXPECT_EQ(Create(j).status().code(), absl::StatusCode::kDataLoss);
}

// BPE over one 1 MB word: the merge loop is a heap (n log n), whatever the
// merges; the skewed chain a, aa, aaa, ... is its worst case for a naive
// loop.
TEST(HfHostileTest, LongWordBpeIsNotQuadratic) {
  json j = Base();
  // Longer merges rank first: each token grows one "a" at a time.
  std::vector<std::string> merges;
  std::string token = "a";
  for (int n = 2; n <= 64; ++n) {
    merges.insert(merges.begin(), token + " a");
    token += "a";
    j["model"]["vocab"][token] = 94 + n;
  }
  j["model"]["merges"] = merges;
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string word(1 << 20, 'a');
  auto ids = (*t)->Encode(word, false, false);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->size(), (1u << 20) / 64);
}

// A long byte-fallback run stays open until it ends: the stream used to
// re-decode every prefix of it at each token (cubic).
TEST(HfHostileTest, DecodeStreamOverLongByteRunIsNotCubic) {
  json j = Base();
  j["model"]["vocab"]["<0xC3>"] = 96;
  j["model"]["vocab"]["<0xA9>"] = 97;
  j["decoder"] = json::parse(R"({"type":"Sequence","decoders":[
      {"type":"ByteFallback"},{"type":"Fuse"},
      {"type":"Strip","content":" ","start":1,"stop":0}]})");
  auto t = Create(j);
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<int32_t> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(ids.end(), {96, 97});
  ids.push_back(65);  // "a" closes the run
  std::unique_ptr<DecodeStream> stream = (*t)->NewDecodeStream();
  std::string streamed;
  for (int32_t id : ids) streamed += stream->Next(id);
  streamed += stream->Finish();
  EXPECT_EQ(streamed, (*t)->Decode(ids));
  EXPECT_EQ(streamed.size(), 2u * 1000 + 1);
}

}  // namespace
}  // namespace seedlm
