#include "core/model/gguf_reader.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/model/model_file_builders.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::Put;
using testing_util::ScratchDir;

using model_builders::GgufSpec;
using model_builders::MakeGguf;

void PutStr(std::string* out, const std::string& s) {
  model_builders::PutGgufString(out, s);
}

std::string Floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

std::string Halves(const std::vector<float>& v, bool bf16) {
  std::string out;
  for (float f : v) Put(&out, bf16 ? FloatToBFloat16(f) : FloatToHalf(f));
  return out;
}

GgufSpec ThreeTensors() {
  GgufSpec s;
  s.tensors = {
      {"token_embd.weight", {3, 2}, 0, Floats({1, 2, 3, 4, 5, 6})},
      {"blk.0.attn_q.weight", {2, 2}, 1, Halves({0.5f, -1, 2, 4}, false)},
      {"output_norm.weight", {3}, 30, Halves({1, -2, 0.25f}, true)},
  };
  return s;
}

// ---- Tests ------------------------------------------------------------------

TEST(GgufReaderTest, ReadsV3WithMetadata) {
  ScratchDir dir;
  const std::string path = dir.Write("m.gguf", MakeGguf(ThreeTensors()));
  auto model = OpenModel(path);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& t = (*model)->tensors();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].name, "token_embd.weight");
  EXPECT_EQ(t[0].shape, (std::vector<int64_t>{2, 3}));  // reversed
  EXPECT_EQ(t[0].dtype, DType::kF32);
  EXPECT_EQ(t[1].dtype, DType::kF16);
  EXPECT_EQ(t[2].shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(t[2].dtype, DType::kBF16);
  EXPECT_EQ(*(*model)->ReadFloat32(0), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(*(*model)->ReadFloat32(1), (std::vector<float>{0.5f, -1, 2, 4}));
  EXPECT_EQ(*(*model)->ReadFloat32(2), (std::vector<float>{1, -2, 0.25f}));
  EXPECT_EQ((*model)->metadata().source_format, "gguf");
  EXPECT_EQ((*model)->metadata().arch_config_json, "");
}

TEST(GgufReaderTest, V2CustomAlignmentAndDispatchByMagic) {
  ScratchDir dir;
  GgufSpec s = ThreeTensors();
  s.version = 2;
  s.alignment = 64;
  auto model = OpenModel(dir.Write("no_extension", MakeGguf(s)));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(*(*model)->ReadFloat32(2), (std::vector<float>{1, -2, 0.25f}));
  // Default alignment (32) when the key is absent.
  s.alignment = 32;
  s.alignment_kv = false;
  model = OpenModel(dir.Write("b.gguf", MakeGguf(s)));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(*(*model)->ReadFloat32(1), (std::vector<float>{0.5f, -1, 2, 4}));
}

absl::StatusCode Code(const std::string& bytes) {
  return ParseGguf(
             absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                                 bytes.size()),
             "test")
      .status()
      .code();
}

TEST(GgufReaderTest, EveryTruncationIsDataLoss) {
  const std::string good = MakeGguf(ThreeTensors());
  ASSERT_EQ(Code(good), absl::StatusCode::kOk);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(Code(good.substr(0, n)), absl::StatusCode::kDataLoss)
        << "prefix " << n;
  }
}

TEST(GgufReaderTest, CorruptHeaders) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  const std::string good = MakeGguf(ThreeTensors());
  ASSERT_EQ(Code(good), absl::StatusCode::kOk);
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_EQ(Code(bad), kLoss);
  for (uint32_t v : {1u, 4u, 0x03000000u}) {  // v1, future, big-endian v3
    bad = good;
    std::memcpy(&bad[4], &v, 4);
    EXPECT_EQ(Code(bad), absl::StatusCode::kUnimplemented) << v;
  }
  bad = good;  // absurd tensor count
  const uint64_t many = uint64_t{1} << 60;
  std::memcpy(&bad[8], &many, 8);
  EXPECT_EQ(Code(bad), kLoss);
  bad = good;  // absurd kv count
  std::memcpy(&bad[16], &many, 8);
  EXPECT_EQ(Code(bad), kLoss);
  bad = good;  // first key's length runs past the end
  std::memcpy(&bad[24], &many, 8);
  EXPECT_EQ(Code(bad), kLoss);
  bad = good;  // unknown value type of the first kv
  const uint32_t type13 = 13;
  std::memcpy(&bad[24 + 8 + 20], &type13, 4);
  EXPECT_EQ(Code(bad), kLoss);
}

TEST(GgufReaderTest, BadKvValues) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  auto with_kv = [](const std::string& kv) {
    std::string out = "GGUF";
    Put(&out, uint32_t{3});
    Put(&out, uint64_t{0});
    Put(&out, uint64_t{1});
    PutStr(&out, "k");
    return out + kv + std::string(32, '\0');
  };
  std::string kv;
  Put(&kv, uint32_t{9});  // array of u32 with 2^61 elements
  Put(&kv, uint32_t{4});
  Put(&kv, uint64_t{1} << 61);
  EXPECT_EQ(Code(with_kv(kv)), kLoss);
  kv.clear();
  Put(&kv, uint32_t{9});  // array of 2^40 strings
  Put(&kv, uint32_t{8});
  Put(&kv, uint64_t{1} << 40);
  EXPECT_EQ(Code(with_kv(kv)), kLoss);
  std::string nested;  // arrays nested 20 deep
  Put(&nested, uint32_t{9});
  for (int i = 0; i < 20; ++i) {
    Put(&nested, uint32_t{9});
    Put(&nested, uint64_t{1});
  }
  Put(&nested, uint32_t{0});
  Put(&nested, uint64_t{0});
  EXPECT_EQ(Code(with_kv(nested)), kLoss);
  std::string out = "GGUF";  // general.alignment = 48
  Put(&out, uint32_t{3});
  Put(&out, uint64_t{0});
  Put(&out, uint64_t{1});
  PutStr(&out, "general.alignment");
  Put(&out, uint32_t{4});
  Put(&out, uint32_t{48});
  EXPECT_EQ(Code(out), kLoss);
  // A file without tensors is fine.
  std::string empty = "GGUF";
  Put(&empty, uint32_t{3});
  Put(&empty, uint64_t{0});
  Put(&empty, uint64_t{0});
  EXPECT_EQ(Code(empty), absl::StatusCode::kOk);
}

TEST(GgufReaderTest, BadTensorInfos) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  GgufSpec s = ThreeTensors();
  s.tensors[1].offset = 4;  // misaligned
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[1].offset = 0;  // overlaps token_embd
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[2].offset = 1 << 20;  // beyond the file
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[2].offset = int64_t{1} << 62;  // offset overflow
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[1].name = "token_embd.weight";  // duplicate
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[0].ne = {1, 1, 1, 1, 6};  // 5 dims
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[0].ne = {uint64_t{1} << 40, uint64_t{1} << 40};  // overflow
  EXPECT_EQ(Code(MakeGguf(s)), kLoss);
  s = ThreeTensors();
  s.tensors[1].type = 2;  // Q4_0
  ScratchDir dir;
  const auto st = OpenGguf(dir.Write("q.gguf", MakeGguf(s)), {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("blk.0.attn_q.weight"), std::string::npos);
  EXPECT_NE(st.message().find("Q4_0"), std::string::npos);
}

// Issue 12: a tensor name (or key) that is not UTF-8 made `seedlm compress`
// abort: nlohmann threw when the plan's fingerprint dumped the name. The
// reader now refuses it, naming the offset.
TEST(GgufReaderTest, NamesAndKeysMustBeUtf8) {
  for (const std::string& bad :
       {std::string("blk.\xff.weight"), std::string("\xc3"),  // truncated
        std::string("\xc0\xaf"),                              // overlong
        std::string("\xed\xa0\x80"),                          // surrogate
        std::string("\xf4\x90\x80\x80")}) {                   // > U+10FFFF
    SCOPED_TRACE(bad);
    GgufSpec s = ThreeTensors();
    s.tensors[1].name = bad;
    const std::string bytes = MakeGguf(s);
    const auto st =
        ParseGguf(
            absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
            "n.gguf")
            .status();
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(st.message().find("UTF-8"), std::string::npos) << st;
    EXPECT_NE(st.message().find("at byte"), std::string::npos) << st;
  }
  GgufSpec s = ThreeTensors();
  s.tensors[1].name = "blk.0.\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // fine
  EXPECT_EQ(Code(MakeGguf(s)), absl::StatusCode::kOk);

  std::string key = "GGUF";  // one key/value whose key is not UTF-8
  Put(&key, uint32_t{3});
  Put(&key, uint64_t{0});
  Put(&key, uint64_t{1});
  PutStr(&key, "general.\xfe");
  Put(&key, uint32_t{4});
  Put(&key, uint32_t{1});
  EXPECT_EQ(Code(key), absl::StatusCode::kDataLoss);
}

// Found by gguf_fuzz: an empty name (or one with a NUL) was accepted, and
// only refused later by the container writer.
TEST(GgufReaderTest, EmptyOrNulNamesAreDataLoss) {
  for (const std::string& bad : {std::string(), std::string("a\0b", 3)}) {
    GgufSpec s = ThreeTensors();
    s.tensors[0].name = bad;
    EXPECT_EQ(Code(MakeGguf(s)), absl::StatusCode::kDataLoss) << bad.size();
  }
}

TEST(GgufReaderTest, NameAndCountLimits) {
  GgufSpec s = ThreeTensors();
  s.tensors[1].name = std::string(kMaxModelTensorNameBytes + 1, 'n');
  EXPECT_EQ(Code(MakeGguf(s)), absl::StatusCode::kResourceExhausted);
  s.tensors[1].name = std::string(kMaxModelTensorNameBytes, 'n');
  EXPECT_EQ(Code(MakeGguf(s)), absl::StatusCode::kOk);

  std::string many = "GGUF";  // more tensors than kMaxModelTensors, each
  Put(&many, uint32_t{3});    // a minimal info the file could hold
  Put(&many, uint64_t{kMaxModelTensors + 1});
  Put(&many, uint64_t{0});
  many.resize(many.size() + 24 * (kMaxModelTensors + 1), '\0');
  EXPECT_EQ(Code(many), absl::StatusCode::kResourceExhausted);

  std::string long_key = "GGUF";
  Put(&long_key, uint32_t{3});
  Put(&long_key, uint64_t{0});
  Put(&long_key, uint64_t{1});
  PutStr(&long_key, std::string(kMaxGgufKeyBytes + 1, 'k'));
  Put(&long_key, uint32_t{4});
  Put(&long_key, uint32_t{1});
  EXPECT_EQ(Code(long_key), absl::StatusCode::kDataLoss);
}

TEST(GgufReaderTest, RandomCorruptionNeverCrashes) {
  const std::string good = MakeGguf(ThreeTensors());
  std::mt19937 rng(99);
  int ok = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string f = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      f[4 + rng() % (f.size() - 4)] = static_cast<char>(rng() & 0xff);
    }
    const absl::StatusCode c = Code(f);
    EXPECT_TRUE(c == absl::StatusCode::kOk ||
                c == absl::StatusCode::kDataLoss ||
                c == absl::StatusCode::kUnimplemented)
        << static_cast<int>(c);
    ok += c == absl::StatusCode::kOk;
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace seedlm
