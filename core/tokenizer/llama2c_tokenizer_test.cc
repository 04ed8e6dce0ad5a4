#include "core/tokenizer/llama2c_tokenizer.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_test_util.h"
#include "core/tokenizer/unicode_util.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using tokenizer_testing::StreamDecode;

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const std::string kTok512 = SharedDataPath("data/stories260K/tok512.bin");

template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

// A tokenizer.bin: <unk>, BOS, EOS, the 256 byte tokens (ids 3..258), then
// `extra` from id 259 on.
std::string MakeFile(const std::vector<std::pair<std::string, float>>& extra) {
  std::string out;
  Put(&out, int32_t{16});
  auto add = [&out](const std::string& piece, float score) {
    Put(&out, score);
    Put(&out, static_cast<int32_t>(piece.size()));
    out += piece;
  };
  add("<unk>", 0);
  add("\n<s>\n", 0);
  add("\n</s>\n", 0);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    add(name, 0);
  }
  for (const auto& [piece, score] : extra) add(piece, score);
  return out;
}

std::unique_ptr<Llama2cTokenizer> Make(
    const std::vector<std::pair<std::string, float>>& extra) {
  auto t = Llama2cTokenizer::Create(MakeFile(extra));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

std::unique_ptr<Llama2cTokenizer> LoadTok512() {
  if (!std::filesystem::exists(kTok512)) return nullptr;
  auto t = Llama2cTokenizer::Create(tokenizer_testing::ReadFileOrFail(kTok512));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

std::vector<int32_t> Enc(const Tokenizer& t, const std::string& text,
                         bool bos = false, bool eos = false) {
  return tokenizer_testing::EncodeOk(t, text, bos, eos);
}

// The byte-fallback id of each byte of `s` (byte + 3).
std::vector<int32_t> ByteIds(const std::string& s) {
  std::vector<int32_t> ids;
  for (unsigned char c : s) ids.push_back(c + 3);
  return ids;
}

TEST(Llama2cTokenizerTest, Stories260KKnownIds) {
  SEEDLM_NEED_SHARED_FILE(kTok512);
  auto t = LoadTok512();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->vocab_size(), 512);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  // The model's greedy continuation of BOS (ids from ../shared/data/README).
  // They stop at "play": the README's sentence runs on to "...in the park."
  const std::vector<int32_t> greedy = {403, 407, 261, 378, 432, 383, 286,
                                       261, 376, 298, 315, 421, 395, 317,
                                       426, 338, 401, 396, 267, 337};
  std::vector<int32_t> with_bos = {1};
  with_bos.insert(with_bos.end(), greedy.begin(), greedy.end());
  EXPECT_EQ(t->Decode(with_bos),
            "Once upon a time, there was a little girl named Lily. She loved "
            "to play");
  // Without BOS the dummy-prefix space stays (run.c strips it after BOS).
  EXPECT_EQ(t->Decode(greedy),
            " Once upon a time, there was a little girl named Lily. She loved "
            "to play");
  // The whole sentence: the 20 ids, then 11 more. Expected ids computed
  // with a separate Python transcription of run.c's encode (and equal to
  // tokenizers.js on the converted tokenizer.json, see hf_llama2_test.cc).
  const std::string sentence =
      "Once upon a time, there was a little girl named Lily. She loved to "
      "play outside in the park.";
  std::vector<int32_t> expected = with_bos;
  for (int32_t id : {410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426}) {
    expected.push_back(id);
  }
  const std::vector<int32_t> ids = Enc(*t, sentence, true);
  EXPECT_THAT(ids, ElementsAreArray(expected));
  EXPECT_EQ(t->Decode(ids), sentence);
  EXPECT_EQ(StreamDecode(*t, ids), sentence);
  std::vector<int32_t> with_eos = expected;
  with_eos.push_back(2);
  EXPECT_THAT(Enc(*t, sentence, true, true), ElementsAreArray(with_eos));
}

TEST(Llama2cTokenizerTest, Stories260KByteFallback) {
  SEEDLM_NEED_SHARED_FILE(kTok512);
  auto t = LoadTok512();
  ASSERT_NE(t, nullptr);
  const int32_t space = 410;  // " ": the dummy prefix
  ASSERT_EQ(t->piece(space), " ");
  ASSERT_EQ(t->piece(485), "\xC3\xA9");  // "é" is a token of tok512
  // Not in the vocabulary: CJK and emoji fall back to bytes.
  std::vector<int32_t> expected = {1, space, 485, space};
  for (int32_t id : ByteIds("\xE4\xB8\xAD\xE6\x96\x87")) expected.push_back(id);
  expected.push_back(space);
  for (int32_t id : ByteIds("\xF0\x9F\x98\x80")) expected.push_back(id);
  const std::string text = "\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80";
  const std::vector<int32_t> ids = Enc(*t, text, true);
  EXPECT_THAT(ids, ElementsAreArray(expected));
  EXPECT_EQ(t->Decode(ids), text);
  EXPECT_EQ(StreamDecode(*t, ids), text);
  // Control characters are bytes too.
  EXPECT_THAT(Enc(*t, "\t"), ElementsAre(space, 9 + 3));
}

TEST(Llama2cTokenizerTest, EmptyText) {
  auto t = Make({{" ", -1}});
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Enc(*t, ""), ElementsAre());
  EXPECT_THAT(Enc(*t, "", true), ElementsAre(1));
  EXPECT_THAT(Enc(*t, "", true, true), ElementsAre(1, 2));
  EXPECT_EQ(t->Decode({}), "");
  EXPECT_EQ(StreamDecode(*t, {}), "");
}

TEST(Llama2cTokenizerTest, MergesHighestScoreLeftmostFirst) {
  // 259 " ", 260 "a", 261 "b", 262 "c", 263 "ab" and 264 "bc" tie at -1,
  // 265 " a" -2, 266 "x", 267 "y", 268 "xy" -3, 269 " x" -1, 270 "cc" at
  // -2e10 (below run.c's -1e10 floor: never merged).
  auto t = Make({{" ", -9},
                 {"a", -9},
                 {"b", -9},
                 {"c", -9},
                 {"ab", -1},
                 {"bc", -1},
                 {" a", -2},
                 {"x", -9},
                 {"y", -9},
                 {"xy", -3},
                 {" x", -1},
                 {"cc", -2e10f}});
  ASSERT_NE(t, nullptr);
  // " a" -2 < "ab" == "bc" -1: the leftmost of the tie, "ab", goes first;
  // (taking "bc" would have led to " a" + "bc").
  EXPECT_THAT(Enc(*t, "abc"), ElementsAre(259, 263, 262));
  // " x" -1 beats "xy" -3.
  EXPECT_THAT(Enc(*t, "xy"), ElementsAre(269, 267));
  EXPECT_THAT(Enc(*t, "cc"), ElementsAre(259, 262, 262));
  // Characters not in the vocabulary: bytes + 3.
  EXPECT_THAT(Enc(*t, "a\xC3\xA9"), ElementsAre(265, 0xC3 + 3, 0xA9 + 3));
  EXPECT_EQ(t->Decode(Enc(*t, "abc xy", true)), "abc xy");
}

TEST(Llama2cTokenizerTest, DecodeRules) {
  auto t = Make({{" ", -1}, {"a", -1}, {" a", -1}});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->Decode({1, 261}), "a");  // leading space dropped after BOS
  EXPECT_EQ(t->Decode({261}), " a");    // ... and only there
  EXPECT_EQ(t->Decode({260, 261}), "a a");
  EXPECT_EQ(t->Decode({1, 3 + 0x20}), " ");  // a byte token is not stripped
  EXPECT_EQ(t->Decode({3 + 0x0A}), "\n");
  EXPECT_EQ(t->Decode({3 + 0xC3, 3 + 0xA9}), "\xC3\xA9");
  // A lone lead byte and a stray continuation byte: one U+FFFD each.
  EXPECT_EQ(t->Decode({3 + 0xC3, 260, 3 + 0xA9}),
            "\xEF\xBF\xBD"
            "a\xEF\xBF\xBD");
  // <unk>, BOS, EOS and out-of-range ids produce nothing.
  EXPECT_EQ(t->Decode({0, 1, 2, 262, -1, 100000}), "");
}

TEST(Llama2cTokenizerTest, InvalidUtf8IsInvalidArgument) {
  auto t = Make({{" ", -1}});
  ASSERT_NE(t, nullptr);
  for (const char* bad : {"\xC3", "a\x80", "\xC0\x80", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xFF"}) {
    auto ids = t->Encode(bad, true, false);
    EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Llama2cTokenizerTest, CorruptFilesAreDataLoss) {
  for (const std::string& bad : {std::string(), std::string("\x10\0\0", 3),
                                 std::string("\x10\0\0\0", 4)}) {
    EXPECT_EQ(Llama2cTokenizer::Create(bad).status().code(),
              absl::StatusCode::kDataLoss);
  }
  const std::string good = MakeFile({{" ", -1}, {"hello", -2}});
  ASSERT_TRUE(Llama2cTokenizer::Create(good).ok());
  // Cut inside the last entry ("hello": 8 header bytes + 5 bytes).
  for (size_t cut = 1; cut < 13; ++cut) {
    auto t = Llama2cTokenizer::Create(good.substr(0, good.size() - cut));
    EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss) << cut;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("token 260"));
  }
  // Cut exactly between entries: a valid, smaller vocabulary (the file has
  // no token count to check against).
  auto shorter = Llama2cTokenizer::Create(good.substr(0, good.size() - 13));
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ((*shorter)->vocab_size(), 260);
  // A negative length.
  std::string negative = good.substr(0, good.size() - 13);
  Put(&negative, 0.0f);
  Put(&negative, int32_t{-5});
  EXPECT_EQ(Llama2cTokenizer::Create(negative).status().code(),
            absl::StatusCode::kDataLoss);
}

// Hostile files (issue 12): limits checked before anything is allocated.
TEST(Llama2cTokenizerTest, LimitsAreResourceExhausted) {
  const std::string huge(kMaxLlama2cTokenBytes + 1, 'x');
  auto t = Llama2cTokenizer::Create(MakeFile({{" ", -1}, {huge, -2}}));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("token 260"));
  EXPECT_TRUE(Llama2cTokenizer::Create(MakeFile({{huge.substr(1), -2}})).ok());
  // One empty token more than the limit: 8 bytes each.
  std::string many;
  Put(&many, int32_t{16});
  for (int64_t i = 0; i <= kMaxLlama2cVocabSize; ++i) {
    Put(&many, 0.0f);
    Put(&many, int32_t{0});
  }
  t = Llama2cTokenizer::Create(many);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted);
  // Lengths that would overflow a 32-bit or signed sum.
  for (int32_t len : {INT32_MAX, INT32_MAX - 7, -1}) {
    std::string bad;
    Put(&bad, int32_t{16});
    Put(&bad, 0.0f);
    Put(&bad, len);
    bad += "abc";
    EXPECT_EQ(Llama2cTokenizer::Create(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << len;
  }
}

// Encode of a megabyte is n log n: the merge loop is a heap, and the
// concatenations it looks up are bounded by the longest token. The chain
// "aa", "aaa", ... (longer scores higher) is a naive loop's worst case.
TEST(Llama2cTokenizerTest, LongTextEncodesQuickly) {
  std::vector<std::pair<std::string, float>> extra = {{" ", 0}, {"a", 0}};
  for (int n = 2; n <= 64; ++n)
    extra.push_back({std::string(n, 'a'), 1.0f * n});
  auto t = Make(extra);
  ASSERT_NE(t, nullptr);
  const std::string text((1 << 20) - 1, 'a');
  const std::vector<int32_t> ids = Enc(*t, text, false);
  // " " then 16383 runs of 64 a's and one of 63.
  EXPECT_EQ(ids.size(), 1u + (1u << 20) / 64);
  EXPECT_EQ(t->Decode(ids), " " + text);
}

TEST(Llama2cTokenizerTest, CreateTokenizerByFormat) {
  auto t = CreateTokenizer("llama2c-bin", MakeFile({{" ", -1}}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->vocab_size(), 260);
  EXPECT_EQ(CreateTokenizer("sentencepiece", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateTokenizer("llama2c-bin", "").status().code(),
            absl::StatusCode::kDataLoss);
}

// Round trips and stream == Decode on random text and random ids, with the
// real tokenizer when present (else a synthetic one).
TEST(Llama2cTokenizerTest, RandomRoundTripsAndStreams) {
  std::unique_ptr<Llama2cTokenizer> t = LoadTok512();
  if (t == nullptr) t = Make({{" ", -1}, {"e", -2}, {" t", -3}, {"he", -4}});
  ASSERT_NE(t, nullptr);
  const std::vector<std::string> alphabet = {"a",
                                             "e",
                                             "t",
                                             "h",
                                             " ",
                                             "  ",
                                             ".",
                                             "\n",
                                             "The",
                                             " the",
                                             "\xC3\xA9",
                                             "\xE4\xB8\xAD",
                                             "\xF0\x9F\x98\x80",
                                             "\t",
                                             "<s>",
                                             "<0x41>",
                                             "\xE2\x96\x81"};
  std::mt19937 rng(42);
  for (int iter = 0; iter < 300; ++iter) {
    std::string text;
    const int n = rng() % 20;
    for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    const std::vector<int32_t> ids = Enc(*t, text, true);
    EXPECT_EQ(t->Decode(ids), text);
    EXPECT_EQ(StreamDecode(*t, ids), text);
    std::vector<int32_t> random_ids;
    for (int i = 0; i < n; ++i) {
      random_ids.push_back(static_cast<int32_t>(rng() % (t->vocab_size() + 2)) -
                           1);
    }
    EXPECT_EQ(StreamDecode(*t, random_ids), t->Decode(random_ids));
  }
}

}  // namespace
}  // namespace seedlm
