#include "core/model/safetensors.h"

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/util/json_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::Put;
using testing_util::ReadAll;
using testing_util::ScratchDir;

std::vector<uint8_t> F32Bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<uint8_t> U16Bytes(const std::vector<uint16_t>& v) {
  std::vector<uint8_t> b;
  for (uint16_t x : v) {
    b.push_back(static_cast<uint8_t>(x & 0xff));
    b.push_back(static_cast<uint8_t>(x >> 8));
  }
  return b;
}

using TensorList =
    std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>>;

TEST(SafetensorsTest, RoundTripF32F16BF16) {
  ScratchDir dir;
  const std::vector<float> f32 = {1.5f, -2.25f, 3e-8f, 1e30f, 0.f, -0.f};
  const std::vector<float> f16v = {1.0f, -0.5f, 65504.f, 0.25f};
  const std::vector<float> bf16v = {1.0f, -3.0f, 1e38f, 0.15625f, 7.f, 8.f};
  std::vector<uint16_t> f16, bf16;
  for (float f : f16v) f16.push_back(FloatToHalf(f));
  for (float f : bf16v) bf16.push_back(FloatToBFloat16(f));
  const auto b32 = F32Bytes(f32), b16 = U16Bytes(f16), bb16 = U16Bytes(bf16);
  const std::vector<uint8_t> none;
  const auto scalar = F32Bytes({42.f});
  // Order deliberately not sorted by name: the file keeps this order.
  const TensorList tensors = {
      {{"z.f32", {2, 3}, DType::kF32}, b32},
      {{"a.f16", {4}, DType::kF16}, b16},
      {{"m.bf16", {3, 1, 2}, DType::kBF16}, bb16},
      {{"empty", {0, 5}, DType::kF32}, none},
      {{"scalar", {}, DType::kF32}, scalar},
  };
  const std::string path = dir.File("rt.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}}).ok());

  auto model = OpenModel(path);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->metadata().source_format, "safetensors");
  EXPECT_EQ((*model)->metadata().arch_config_json, "");
  const auto& t = (*model)->tensors();
  ASSERT_EQ(t.size(), tensors.size());
  for (size_t i = 0; i < t.size(); ++i) {
    SCOPED_TRACE(tensors[i].first.name);
    EXPECT_EQ(t[i].name, tensors[i].first.name);
    EXPECT_EQ(t[i].shape, tensors[i].first.shape);
    EXPECT_EQ(t[i].dtype, tensors[i].first.dtype);
    auto raw = (*model)->RawBytes(i);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(std::vector<uint8_t>(raw->begin(), raw->end()),
              std::vector<uint8_t>(tensors[i].second.begin(),
                                   tensors[i].second.end()));
  }
  EXPECT_EQ(*(*model)->ReadFloat32(0), f32);
  EXPECT_EQ(*(*model)->ReadFloat32(1), f16v);  // all exactly representable
  EXPECT_EQ(*(*model)->ReadFloat32(2),
            (std::vector<float>{1.0f, -3.0f, BFloat16ToFloat(bf16[2]), 0.15625f,
                                7.f, 8.f}));
  EXPECT_TRUE((*model)->ReadFloat32(3)->empty());
  EXPECT_EQ(*(*model)->ReadFloat32(4), std::vector<float>{42.f});

  const std::string bytes = ReadAll(path);
  auto header = ParseSafetensorsHeader(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                          bytes.size()),
      path);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->metadata.at("format"), "pt");
}

TEST(SafetensorsTest, DeterministicPaddedBytes) {
  ScratchDir dir;
  const auto b = F32Bytes({1.f});
  const TensorList one = {{{"a", {1}, DType::kF32}, b}};
  ASSERT_TRUE(WriteSafetensors(dir.File("1"), one, {}).ok());
  ASSERT_TRUE(WriteSafetensors(dir.File("2"), one, {}).ok());
  const std::string x = ReadAll(dir.File("1"));
  EXPECT_EQ(x, ReadAll(dir.File("2")));
  const std::string json =
      R"({"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}})";
  std::string expect;
  const uint64_t padded = (json.size() + 7) / 8 * 8;
  Put(&expect, padded);
  expect += json + std::string(padded - json.size(), ' ');
  expect.append(reinterpret_cast<const char*>(b.data()), 4);
  EXPECT_EQ(x, expect);
  // Metadata sorted and first; header length a multiple of 8.
  ASSERT_TRUE(
      WriteSafetensors(dir.File("3"), one, {{"z", "1"}, {"b", "2"}}).ok());
  const std::string y = ReadAll(dir.File("3"));
  uint64_t n;
  std::memcpy(&n, y.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const std::string meta = R"({"__metadata__":{"b":"2","z":"1"},)";
  EXPECT_EQ(y.substr(8, meta.size()), meta);
}

TEST(SafetensorsTest, WriterRejectsBadInput) {
  ScratchDir dir;
  const auto b = F32Bytes({1.f, 2.f});
  const std::string path = dir.File("bad.safetensors");
  auto code = [&](const TensorList& t) {
    return WriteSafetensors(path, t, {}).code();
  };
  EXPECT_EQ(code({{{"a", {3}, DType::kF32}, b}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{{"a", {2}, DType::kF32}, b}, {{"a", {2}, DType::kF32}, b}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{{"__metadata__", {2}, DType::kF32}, b}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{{"", {2}, DType::kF32}, b}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{{"a", {-2}, DType::kF32}, b}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A file made of a literal header and `data_bytes` bytes of data.
std::string RawFile(const std::string& header, size_t data_bytes) {
  std::string out;
  Put(&out, static_cast<uint64_t>(header.size()));
  return out + header + std::string(data_bytes, '\x01');
}

absl::StatusCode ParseCode(const std::string& file) {
  return ParseSafetensorsHeader(
             absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(file.data()),
                                 file.size()),
             "test")
      .status()
      .code();
}

TEST(SafetensorsTest, HostileHeaders) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  const std::string ok =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(ParseCode(RawFile(ok, 8)), absl::StatusCode::kOk);
  EXPECT_EQ(ParseCode("1234"), kLoss);
  std::string huge;
  Put(&huge, uint64_t{1} << 63);
  EXPECT_EQ(ParseCode(huge + ok), kLoss);
  std::string beyond;
  Put(&beyond, uint64_t{ok.size() + 100});
  EXPECT_EQ(ParseCode(beyond + ok), kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"a":)", 8)), kLoss);      // bad JSON
  EXPECT_EQ(ParseCode(RawFile(R"([1,2])", 0)), kLoss);      // not object
  EXPECT_EQ(ParseCode(RawFile("{\"\xff\":1}", 0)), kLoss);  // bad UTF-8
  EXPECT_EQ(ParseCode(RawFile(ok, 4)), kLoss);              // out of range
  EXPECT_EQ(ParseCode(RawFile(ok, 12)), kLoss);             // uncovered
  EXPECT_EQ(
      ParseCode(RawFile(
          R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
      kLoss);  // wrong size
  EXPECT_EQ(
      ParseCode(RawFile(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)),
      kLoss);  // begin > end
  EXPECT_EQ(ParseCode(RawFile(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                12)),
            kLoss);  // overlap
  EXPECT_EQ(ParseCode(RawFile(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                12)),
            kLoss);  // hole
  EXPECT_EQ(
      ParseCode(RawFile(R"({"a":{"dtype":"F32","shape":[4611686018427387904,)"
                        R"(4611686018427387904],"data_offsets":[0,0]}})",
                        0)),
      kLoss);  // shape overflow
  EXPECT_EQ(
      ParseCode(RawFile(
          R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
      kLoss);
  EXPECT_EQ(
      ParseCode(RawFile(
          R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8)),
      kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"a":{"dtype":"F32","shape":[2]}})", 8)),
            kLoss);  // missing offsets
  EXPECT_EQ(ParseCode(RawFile(R"({"__metadata__":{"k":1}})", 0)), kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"a":5})", 0)), kLoss);
  std::string deep =
      "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(ParseCode(RawFile(deep, 0)), absl::StatusCode::kResourceExhausted);
}

// Issue 12: every member of the wrong JSON type is DATA_LOSS naming it (no
// exception escapes), and the padding after the JSON may only be spaces.
TEST(SafetensorsTest, WrongJsonTypesAreDataLoss) {
  const absl::StatusCode kLoss = absl::StatusCode::kDataLoss;
  auto entry = [](const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
    return RawFile(R"({"a":{"dtype":)" + dtype + R"(,"shape":)" + shape +
                       R"(,"data_offsets":)" + offsets + "}}",
                   8);
  };
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[0,8]")),
            absl::StatusCode::kOk);
  EXPECT_EQ(ParseCode(entry("5", "[2]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry("null", "[2]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"(["F32"])", "[2]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", R"("x")", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", R"({"0":2})", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", R"(["2"])", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[true]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[-1]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2.5]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[1e300]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[18446744073709551615]", "[0,8]")),
            kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", R"([1,"a"])")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[0,8.0]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[-8,0]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[0,8,8]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[0,8,8,8,8,8,8,8,8,8]")),
            kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", "[0]")), kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[2]", R"({"a":1})")), kLoss);
  // Dimension products that overflow, or exceed the file, before any
  // multiplication by the offsets.
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[4294967296,4294967296]", "[0,8]")),
            kLoss);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[1073741824,4]", "[0,8]")), kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"a\u0000b":{"dtype":"F32","shape":[2],)"
                              R"("data_offsets":[0,8]}})",
                              8)),
            kLoss);  // a NUL in a name (a .seedlm container refuses it)
  EXPECT_EQ(ParseCode(RawFile(R"({"__metadata__":"x"})", 0)), kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"__metadata__":{"k":["v"]}})", 0)), kLoss);
  EXPECT_EQ(ParseCode(RawFile(R"({"__metadata__":{"k":null}})", 0)), kLoss);
  // More dimensions than kMaxTensorRank.
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[1,1,1,1,1,1,1,1,2]", "[0,8]")),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ParseCode(entry(R"("F32")", "[1,1,1,1,1,1,1,2]", "[0,8]")),
            absl::StatusCode::kOk);
  const std::string bad_dtype = entry("5", "[2]", "[0,8]");
  const absl::StatusOr<SafetensorsHeader> named = ParseSafetensorsHeader(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bad_dtype.data()),
                          bad_dtype.size()),
      "f.safetensors");
  EXPECT_NE(named.status().message().find("'a'.dtype"), std::string::npos)
      << named.status();
}

TEST(SafetensorsTest, OnlySpacesMayPadTheHeader) {
  const std::string json =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(ParseCode(RawFile(json + "   ", 8)), absl::StatusCode::kOk);
  for (const std::string& pad :
       {std::string("\0\0\0", 3), std::string("  \0", 3), std::string("\t"),
        std::string("\n"), std::string(" x"), std::string("}")}) {
    SCOPED_TRACE(pad.size());
    EXPECT_EQ(ParseCode(RawFile(json + pad, 8)), absl::StatusCode::kDataLoss);
  }
  // A NUL inside the JSON would end nlohmann's parse early.
  std::string nul_inside = json;
  nul_inside.insert(1, std::string(1, '\0'));
  EXPECT_EQ(ParseCode(RawFile(nul_inside, 8)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseCode(RawFile(" " + json, 8)), absl::StatusCode::kDataLoss);
}

// Issue 12: a header within the byte limit but made of tiny items would
// build a JSON tree ~25 times its size; the item count is bounded first.
TEST(SafetensorsTest, TooManyJsonItemsIsResourceExhausted) {
  std::string meta = R"({"__metadata__":{)";
  for (uint64_t i = 0; i <= kMaxJsonItems / 2; ++i) {
    if (i > 0) meta += ',';
    meta += "\"" + std::to_string(i) + "\":\"\"";
  }
  meta += "}}";
  EXPECT_EQ(ParseCode(RawFile(meta, 0)), absl::StatusCode::kResourceExhausted);
  const std::string name(kMaxModelTensorNameBytes + 1, 'n');
  EXPECT_EQ(ParseCode(RawFile(R"({")" + name +
                                  R"(":{"dtype":"F32","shape":[1],)"
                                  R"("data_offsets":[0,4]}})",
                              4)),
            absl::StatusCode::kResourceExhausted);
}

TEST(SafetensorsTest, UnsupportedDTypeNamesTensor) {
  const auto st = ParseSafetensorsHeader(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(""), 0), "x");
  EXPECT_EQ(st.status().code(), absl::StatusCode::kDataLoss);
  const std::string f =
      RawFile(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8);
  const auto s = ParseSafetensorsHeader(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(f.data()), f.size()),
      "x");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(s.status().message().find("ids"), std::string::npos);
  EXPECT_NE(s.status().message().find("I64"), std::string::npos);
}

TEST(SafetensorsTest, OversizedHeaderIsResourceExhausted) {
  ScratchDir dir;
  const std::string path = dir.File("big.safetensors");
  std::string head;
  Put(&head, uint64_t{kMaxSafetensorsHeaderBytes + 8});
  dir.Write("big.safetensors", head + "{");
  std::filesystem::resize_file(path,
                               kMaxSafetensorsHeaderBytes + 64);  // sparse
  EXPECT_EQ(OpenModel(path).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(SafetensorsTest, RandomCorruptionNeverCrashes) {
  const std::string good =
      RawFile(R"({"__metadata__":{"k":"v"},"a":{"dtype":"BF16","shape":[2,2],)"
              R"("data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],)"
              R"("data_offsets":[8,12]}})",
              12);
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string f = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      f[rng() % f.size()] = static_cast<char>(rng() & 0xff);
    }
    if (rng() % 4 == 0) f.resize(rng() % f.size());
    const absl::StatusCode c = ParseCode(f);
    EXPECT_TRUE(c == absl::StatusCode::kOk ||
                c == absl::StatusCode::kDataLoss ||
                c == absl::StatusCode::kUnimplemented ||
                c == absl::StatusCode::kResourceExhausted)
        << static_cast<int>(c);
    accepted += c == absl::StatusCode::kOk;
  }
  EXPECT_GT(accepted, 0);  // e.g. flips inside the data section
}

}  // namespace
}  // namespace seedlm
