#include "core/tokenizer/tokenizer_test_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "absl/strings/str_replace.h"
#include "core/tokenizer/unicode_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace tokenizer_testing {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kMeta[] = "\xE2\x96\x81";  // U+2581 "▁"

std::vector<std::string> SentencePiecePieces(const Llama2cTokenizer& t) {
  std::vector<std::string> pieces;
  for (int32_t id = 0; id < t.vocab_size(); ++id) {
    if (id == 0) {
      pieces.push_back("<unk>");
    } else if (id == 1) {
      pieces.push_back("<s>");
    } else if (id == 2) {
      pieces.push_back("</s>");
    } else {
      pieces.push_back(absl::StrReplaceAll(t.piece(id), {{" ", kMeta}}));
    }
  }
  return pieces;
}

// SentencePieceExtractor.extract(vocab_scores): (left, right) pairs.
std::vector<std::pair<std::string, std::string>> Merges(
    const Llama2cTokenizer& t, const std::vector<std::string>& pieces) {
  std::unordered_map<std::string, int32_t> vocab;
  for (size_t i = 0; i < pieces.size(); ++i) vocab.emplace(pieces[i], i);
  struct Merge {
    std::string left, right;
    float score;
  };
  std::vector<Merge> merges;
  for (size_t id = 0; id < pieces.size(); ++id) {
    const std::vector<absl::string_view> chars =
        tokenizer_internal::SplitChars(pieces[id]);
    std::vector<Merge> local;
    std::string left;
    for (size_t k = 1; k < chars.size(); ++k) {
      left.append(chars[k - 1].data(), chars[k - 1].size());
      const std::string right = pieces[id].substr(left.size());
      if (vocab.count(left) > 0 && vocab.count(right) > 0) {
        local.push_back({left, right, t.score(static_cast<int32_t>(id))});
      }
    }
    std::stable_sort(local.begin(), local.end(),
                     [&vocab](const Merge& a, const Merge& b) {
                       return std::make_tuple(vocab[a.left], vocab[a.right]) <
                              std::make_tuple(vocab[b.left], vocab[b.right]);
                     });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(
      merges.begin(), merges.end(),
      [](const Merge& a, const Merge& b) { return a.score > b.score; });
  std::vector<std::pair<std::string, std::string>> out;
  for (const Merge& m : merges) out.emplace_back(m.left, m.right);
  return out;
}

Json Special(int id, const std::string& content) {
  return {{"id", id},        {"content", content}, {"single_word", false},
          {"lstrip", false}, {"rstrip", false},    {"normalized", false},
          {"special", true}};
}

Json Template() {
  return {{"type", "TemplateProcessing"},
          {"single",
           {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
            {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
          {"pair",
           {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
            {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
            {{"SpecialToken", {{"id", "<s>"}, {"type_id", 1}}}},
            {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
          {"special_tokens",
           {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
}

Json Decoder() {
  return {{"type", "Sequence"},
          {"decoders",
           {{{"type", "Replace"},
             {"pattern", {{"String", kMeta}}},
             {"content", " "}},
            {{"type", "ByteFallback"}},
            {{"type", "Fuse"}},
            {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
}

}  // namespace

std::string ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ReadLines(const std::string& path, size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> lines;
  std::string line;
  while (lines.size() < max_lines && std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::string Llama2cToHfJson(const Llama2cTokenizer& t, bool legacy,
                            bool merges_as_pairs) {
  const std::vector<std::string> pieces = SentencePiecePieces(t);
  Json vocab = Json::object();
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = i;
  Json merges = Json::array();
  for (const auto& [l, r] : Merges(t, pieces)) {
    if (merges_as_pairs) {
      merges.push_back({l, r});
    } else {
      merges.push_back(l + " " + r);
    }
  }
  Json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = {Special(0, "<unk>"), Special(1, "<s>"),
                       Special(2, "</s>")};
  if (legacy) {
    j["normalizer"] = {{"type", "Sequence"},
                       {"normalizers",
                        {{{"type", "Prepend"}, {"prepend", kMeta}},
                         {{"type", "Replace"},
                          {"pattern", {{"String", " "}}},
                          {"content", kMeta}}}}};
    j["pre_tokenizer"] = nullptr;
  } else {
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = {{"type", "Metaspace"},
                          {"replacement", kMeta},
                          {"prepend_scheme", "first"},
                          {"split", false}};
  }
  j["post_processor"] = Template();
  j["decoder"] = Decoder();
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", "<unk>"},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", true},
                {"byte_fallback", true},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", merges}};
  return j.dump();
}

std::vector<int32_t> EncodeOk(const Tokenizer& t, const std::string& text,
                              bool bos, bool eos) {
  auto ids = t.Encode(text, bos, eos);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

std::string StreamDecode(const Tokenizer& t, const std::vector<int32_t>& ids) {
  auto stream = t.NewDecodeStream();
  std::string out;
  for (int32_t id : ids) {
    const std::string piece = stream->Next(id);
    EXPECT_TRUE(tokenizer_internal::CheckUtf8(piece).ok()) << id;
    out += piece;
  }
  return out + stream->Finish();
}

}  // namespace tokenizer_testing
}  // namespace seedlm
