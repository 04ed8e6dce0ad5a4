// HfTokenizer end to end on small hand-made tokenizer.json files: the BPE
// model options (cases from the Rust tokenizers' own unit tests), added
// tokens, post-processors, errors, and DecodeStream == Decode for several
// decoder pipelines.
#include "core/tokenizer/hf_tokenizer.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/tokenizer/hf_added_vocab.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_test_util.h"
#include "core/tokenizer/unicode_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using tokenizer_testing::StreamDecode;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

json Base(json vocab, json merges = json::array()) {
  return {{"version", "1.0"},
          {"added_tokens", json::array()},
          {"normalizer", nullptr},
          {"pre_tokenizer", nullptr},
          {"post_processor", nullptr},
          {"decoder", nullptr},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
}

json Added(int id, const std::string& content, bool special) {
  return {{"id", id},          {"content", content}, {"single_word", false},
          {"lstrip", false},   {"rstrip", false},    {"normalized", !special},
          {"special", special}};
}

std::unique_ptr<HfTokenizer> Make(const json& j) {
  auto t = HfTokenizer::Create(j.dump());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

absl::StatusCode CreateCode(const json& j) {
  return HfTokenizer::Create(j.dump()).status().code();
}

std::vector<int32_t> Enc(const Tokenizer& t, const std::string& text,
                         bool bos = false, bool eos = false) {
  return tokenizer_testing::EncodeOk(t, text, bos, eos);
}

TEST(HfBpeTest, UnknownTokens) {
  json j = Base({{"<unk>", 0}, {"a", 1}, {"b", 2}});
  j["model"]["unk_token"] = "<unk>";
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "c"), ElementsAre(0));
  EXPECT_THAT(Enc(*t, "cc"), ElementsAre(0, 0));
  EXPECT_THAT(Enc(*t, "accb"), ElementsAre(1, 0, 0, 2));
  j["model"]["fuse_unk"] = true;
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "cc"), ElementsAre(0));
  EXPECT_THAT(Enc(*t, "accb"), ElementsAre(1, 0, 2));
  // Without unk_token an unknown character is dropped.
  j["model"]["unk_token"] = nullptr;
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "accb"), ElementsAre(1, 2));
  // An unk_token missing from the vocabulary fails only when needed.
  j["model"]["unk_token"] = "[UNK]";
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "ab"), ElementsAre(1, 2));
  EXPECT_EQ(t->Encode("ac", false, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(HfBpeTest, MergesByRank) {
  const json vocab = {
      {"u", 0},     {"n", 1},    {"r", 2},        {"e", 3},
      {"l", 4},     {"a", 5},    {"t", 6},        {"d", 7},
      {"re", 8},    {"at", 9},   {"ed", 10},      {"un", 11},
      {"ated", 12}, {"rel", 13}, {"related", 14}, {"unrelated", 15}};
  const json merges = {"r e",   "a t",  "e d",      "u n",
                       "at ed", "re l", "rel ated", "un related"};
  auto t = Make(Base(vocab, merges));
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "unrelated"), ElementsAre(15));
  EXPECT_THAT(Enc(*t, "unreal"), ElementsAre(11, 8, 5, 4));
  json pairs = json::array();
  for (const auto& m : merges) {
    const std::string s = m.get<std::string>();
    pairs.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  t = Make(Base(vocab, pairs));
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "unrelated"), ElementsAre(15));
  // Ranks, not vocabulary order: "a t" (rank 1) before "t e"? Here "e d"
  // (rank 2) beats "at ed"'s parts only after "a t": "ated" = at + ed.
  EXPECT_THAT(Enc(*t, "ated"), ElementsAre(12));
}

TEST(HfBpeTest, ByteFallbackPrefixAndSuffix) {
  json j = Base({{"<unk>", 0}, {"<0x61>", 1}});
  j["model"]["unk_token"] = "<unk>";
  j["model"]["byte_fallback"] = true;
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "c"), ElementsAre(0));
  EXPECT_THAT(Enc(*t, "a"), ElementsAre(1));
  // continuing_subword_prefix (the Rust test): merges "a ##b", "ab ##c".
  j = Base({{"a", 0}, {"##b", 1}, {"##c", 2}, {"ab", 3}, {"abc", 4}},
           {"a ##b", "ab ##c"});
  j["model"]["continuing_subword_prefix"] = "##";
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "ab"), ElementsAre(3));
  EXPECT_THAT(Enc(*t, "abc"), ElementsAre(4));
  EXPECT_THAT(Enc(*t, "acb"), ElementsAre(0, 2, 1));
  // end_of_word_suffix: the last character carries it.
  j = Base({{"a", 0}, {"b", 1}, {"b</w>", 2}, {"ab</w>", 3}}, {"a b</w>"});
  j["model"]["end_of_word_suffix"] = "</w>";
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "ab"), ElementsAre(3));
  EXPECT_THAT(Enc(*t, "bb"), ElementsAre(1, 2));
}

TEST(HfBpeTest, MalformedAndUnsupportedModels) {
  EXPECT_EQ(CreateCode(Base({{"a", 0}}, {"a b"})), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CreateCode(Base({{"a", 0}, {"b", 1}}, {"a b"})),
            absl::StatusCode::kDataLoss);  // "ab" not in the vocabulary
  EXPECT_EQ(CreateCode(Base({{"a", 0}}, {"a a a"})),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(CreateCode(Base({{"a", -1}})), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CreateCode(Base({{"a", "x"}})), absl::StatusCode::kDataLoss);
  json j = Base({{"a", 0}});
  j["model"].erase("merges");
  EXPECT_EQ(CreateCode(j), absl::StatusCode::kDataLoss);
  for (const char* type : {"Unigram", "WordPiece", "WordLevel"}) {
    j = Base({{"a", 0}});
    j["model"]["type"] = type;
    auto t = HfTokenizer::Create(j.dump());
    EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(type));
  }
  j = Base({{"a", 0}});
  j["model"]["dropout"] = 0.1;
  EXPECT_EQ(CreateCode(j), absl::StatusCode::kUnimplemented);
}

TEST(HfTokenizerTest, MalformedJson) {
  for (const char* bad : {"", "{", "[]", "{\"model\": 3}", "{}", "null"}) {
    auto t = HfTokenizer::Create(bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  json j = Base({{"a", 0}});
  j["normalizer"] = {{"type", "BertNormalizer"}};
  auto t = CreateTokenizer("hf-tokenizer-json", j.dump());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("BertNormalizer"));
  j["normalizer"] = {{"type", "NFC"}};
  EXPECT_TRUE(CreateTokenizer("hf-tokenizer-json", j.dump()).ok());
}

// The single-word and strip options, on the Rust tokenizers' own examples.
std::vector<std::string> Pieces(const hf_internal::AddedVocabulary& v,
                                const std::string& text) {
  std::vector<std::string> out;
  for (const auto& s : v.Split(text, false)) {
    out.push_back((s.id >= 0 ? "#" : "") +
                  text.substr(s.begin, s.end - s.begin));
  }
  return out;
}

TEST(HfAddedTokensTest, SingleWordAndStrip) {
  json mask = Added(0, "<mask>", false);
  mask["normalized"] = false;
  mask["single_word"] = true;
  json list = json::array();
  list.push_back(mask);
  auto v = hf_internal::AddedVocabulary::Parse(list, "a", nullptr);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(Pieces(*v, "<mask> My name <mask> A<mask> <mask>ony <mask>"),
              ElementsAre("#<mask>", " My name ", "#<mask>",
                          " A<mask> <mask>ony ", "#<mask>"));
  mask["lstrip"] = mask["rstrip"] = true;
  list[0] = mask;
  v = hf_internal::AddedVocabulary::Parse(list, "a", nullptr);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(Pieces(*v, "Hi <mask> there\t<mask>\t<mask>\xE2\x80\x80"),
              ElementsAre("Hi", "# <mask> ", "there", "#\t<mask>\t",
                          "#<mask>\xE2\x80\x80"));
}

TEST(HfAddedTokensTest, EncodeAndDecode) {
  json j = Base({{"a", 0}, {"b", 1}, {"f", 2}, {"i", 3}, {"x", 4}, {"<s>", 5}});
  j["normalizer"] = {{"type", "NFKC"}};
  json fi = Added(7, "fi", false);  // normalized: matched after NFKC
  json raw = Added(8, "\xEF\xAC\x81x", false);  // "ﬁx", matched before it
  raw["normalized"] = false;
  j["added_tokens"] = {Added(5, "<s>", true), Added(6, "</s>", true), fi, raw};
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->vocab_size(), 9);
  EXPECT_EQ(t->bos_id(), 5);
  EXPECT_EQ(t->eos_id(), 6);
  // No post-processor: add_bos / add_eos use bos_id / eos_id.
  EXPECT_THAT(Enc(*t, "ab", true, true), ElementsAre(5, 0, 1, 6));
  EXPECT_THAT(Enc(*t, "a<s>b</s>"), ElementsAre(0, 5, 1, 6));
  EXPECT_THAT(Enc(*t,
                  "\xEF\xAC\x81"
                  "a"),
              ElementsAre(7, 0));  // NFKC "fia"
  EXPECT_THAT(Enc(*t, "a\xEF\xAC\x81x"), ElementsAre(0, 8));
  EXPECT_THAT(Enc(*t, "fix"), ElementsAre(7, 4));
  // No decoder: tokens joined by spaces; specials skipped.
  EXPECT_EQ(t->Decode({5, 0, 7, 8, 1, 6}), "a fi \xEF\xAC\x81x b");
}

TEST(HfPostProcessorTest, Templates) {
  json j = Base({{"<s>", 0}, {"</s>", 1}, {"a", 2}});
  j["added_tokens"] = {Added(0, "<s>", true), Added(1, "</s>", true)};
  json tmpl = {
      {"type", "TemplateProcessing"},
      {"single",
       {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
        {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
      {"special_tokens",
       {{"<s>", {{"id", "<s>"}, {"ids", {0}}, {"tokens", {"<s>"}}}},
        {"</s>", {{"id", "</s>"}, {"ids", {1}}, {"tokens", {"</s>"}}}}}}};
  j["post_processor"] = {{"type", "Sequence"},
                         {"processors", {{{"type", "ByteLevel"}}, tmpl}}};
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "aa", true, true), ElementsAre(0, 2, 2, 1));
  EXPECT_THAT(Enc(*t, "a", false, true), ElementsAre(2, 1));
  EXPECT_THAT(Enc(*t, "a", true, false), ElementsAre(0, 2));
  // The string form "<s> $A </s>" of the template pieces.
  tmpl["single"] = {"<s>", "$A", "</s>"};
  j["post_processor"] = tmpl;
  t = Make(j);
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, "a", true, true), ElementsAre(0, 2, 1));
  tmpl["special_tokens"].erase("</s>");
  j["post_processor"] = tmpl;
  EXPECT_EQ(CreateCode(j), absl::StatusCode::kDataLoss);
  j["post_processor"] = {{"type", "RobertaProcessing"}};
  EXPECT_EQ(CreateCode(j), absl::StatusCode::kUnimplemented);
}

// DecodeStream == Decode on random ids for decoder pipelines that strip at
// the start / end, fuse before a Replace (not separable), or have none.
TEST(HfDecodeStreamTest, RandomIdsAcrossDecoders) {
  const json vocab = {{"<s>", 0},
                      {" ", 1},
                      {"a", 2},
                      {"b", 3},
                      {" a", 4},
                      {"<0xC3>", 5},
                      {"<0xA9>", 6},
                      {"x", 7},
                      {"\xE2\x96\x81", 8},
                      {"\xE2\x96\x81"
                       "b",
                       9}};
  const std::vector<json> decoders = {
      json::parse(R"({"type":"Sequence","decoders":[{"type":"ByteFallback"},
          {"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":2}]})"),
      json::parse(R"({"type":"Sequence","decoders":[{"type":"Fuse"},
          {"type":"Replace","pattern":{"String":"ab"},"content":"!"},
          {"type":"Strip","content":"x","start":2,"stop":0}]})"),
      json::parse(R"({"type":"Sequence","decoders":[
          {"type":"Metaspace","replacement":"\u2581","prepend_scheme":"always"},
          {"type":"ByteFallback"}]})"),
      nullptr};
  std::mt19937 rng(3);
  for (const json& d : decoders) {
    json j = Base(vocab);
    j["added_tokens"] = json::array({Added(0, "<s>", true)});
    j["decoder"] = d;
    auto t = Make(j);
    ASSERT_NE(t, nullptr);
    for (int iter = 0; iter < 3000; ++iter) {
      std::vector<int32_t> ids;
      const int n = 1 + rng() % 10;
      for (int i = 0; i < n; ++i)
        ids.push_back(static_cast<int32_t>(rng() % 11));
      ASSERT_EQ(StreamDecode(*t, ids), t->Decode(ids)) << d.dump();
    }
  }
}

TEST(HfDecodeStreamTest, HoldsBackWhatMayStillChange) {
  json j = Base({{" ", 0}, {"a", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}});
  j["decoder"] = json::parse(R"({"type":"Sequence","decoders":[
      {"type":"ByteFallback"},{"type":"Fuse"},
      {"type":"Strip","content":" ","start":1,"stop":1}]})");
  auto t = Make(j);
  ASSERT_NE(t, nullptr);
  auto s = t->NewDecodeStream();
  EXPECT_EQ(s->Next(0), "");    // a leading space: stripped if nothing else
  EXPECT_EQ(s->Next(0), "");    // the second may still be the last one
  EXPECT_EQ(s->Next(1), " a");  // the first went, the second stays
  EXPECT_EQ(s->Next(2), "");    // half of "é"
  // "é" is complete, but a byte-fallback run is decoded as a whole (one more
  // stray byte token would turn all of it into U+FFFD): it waits for a
  // token that ends the run.
  EXPECT_EQ(s->Next(3), "");
  EXPECT_EQ(s->Next(0), "\xC3\xA9");  // a trailing space may be stripped...
  EXPECT_EQ(s->Next(1), " a");        // ...unless more text follows
  EXPECT_EQ(s->Finish(), "");
  EXPECT_EQ(t->Decode({0, 0, 1, 2, 3, 0, 1}), " a\xC3\xA9 a");
}

}  // namespace
}  // namespace seedlm
