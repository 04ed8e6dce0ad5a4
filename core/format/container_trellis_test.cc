// The container's trellis storage kind (storage 4, format version 2): round
// trip against the normative decode, the version rule, the entry bytes,
// damaged entries and scales, piecewise decode, and the writer's checks.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/format/container_testing.h"
#include "core/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

namespace ci = container_internal;
using container_testing::RandomTrellisPayload;
using container_testing::RepairChecksums;
using container_testing::TestTensor;
using container_testing::TrellisSampleTensors;
using ::testing::HasSubstr;

std::string TempPath(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat(::testing::TempDir(), "/trellis_", getpid(), "_",
                      info->name(), "_", tag);
}

std::string Write(const std::vector<TestTensor>& tensors,
                  const std::string& tag = "f") {
  auto bytes = container_testing::WriteContainer(TempPath(tag), tensors,
                                                 {{"source.format", "test"}});
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

uint8_t* At(std::string* s, uint64_t offset) {
  return reinterpret_cast<uint8_t*>(&(*s)[offset]);
}

// File offset of the one-byte field k (0 storage, 1 rank, 2..9 codec bytes)
// of directory entry i.
uint64_t FieldOffset(const std::string& bytes, int i, int k) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const ci::Header h = ci::DecodeHeader(p);
  ci::ByteReader r(p + h.directory_offset, h.directory_size);
  for (int j = 0; j < i; ++j) {
    TensorEntry e;
    EXPECT_EQ(ci::DecodeEntry(&r, &e), "");
  }
  const uint64_t e = h.directory_offset + r.position();
  return e + 2 + ci::LoadU16(p + e) + k;
}

absl::Status OpenAndVerify(std::string bytes) {
  auto r = ContainerReader::OpenFromBuffer(std::move(bytes));
  if (!r.ok()) return r.status();
  return (*r)->VerifyAll();
}

void ExpectDataLoss(std::string bytes, const std::string& what) {
  RepairChecksums(&bytes);
  const absl::Status s = OpenAndVerify(std::move(bytes));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(what));
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ContainerTrellisTest, RoundTripDecodesLikeTheNormativeDecode) {
  const std::vector<TestTensor> in = TrellisSampleTensors();
  auto r = ContainerReader::OpenFromBuffer(Write(in));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->version(), 2u);
  ASSERT_TRUE((*r)->VerifyAll().ok());
  ASSERT_EQ((*r)->tensors().size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const TensorEntry& want = in[i].entry;
    const TensorEntry& got = (*r)->tensors()[i];
    SCOPED_TRACE(want.name);
    EXPECT_EQ(got.storage, want.storage);
    EXPECT_EQ(got.shape, want.shape);
    if (want.storage != Storage::kF32) {
      EXPECT_EQ(got.codec, want.codec);
    }
    auto payload = (*r)->Payload(i);
    ASSERT_TRUE(payload.ok());
    ASSERT_EQ(std::vector<uint8_t>(payload->begin(), payload->end()),
              in[i].payload);
    std::vector<float> whole(static_cast<size_t>(got.num_elements()), -1.0f);
    ASSERT_TRUE((*r)->DecodeToFloat32(i, absl::MakeSpan(whole)).ok());
    if (want.storage != Storage::kTrellis) continue;
    const PackedGeometry g = MakeGeometry(want.codec, want.rows(), want.cols());
    EXPECT_EQ(got.blocks_per_row(), g.blocks_per_row());  // rings
    std::vector<float> ref(whole.size());
    ASSERT_TRUE(DecodeTrellisRows(want.codec, g, *payload, 0, g.rows,
                                  absl::MakeSpan(ref))
                    .ok());
    EXPECT_TRUE(SameBits(whole, ref));
    // And row by row with the per-row reference.
    for (int64_t row = 0; row < g.rows; ++row) {
      std::vector<float> one(static_cast<size_t>(g.cols));
      TrellisDecodeRow(want.codec.trellis, g.cols,
                       payload->data() + row * g.trellis_row_bytes(),
                       one.data());
      EXPECT_EQ(0, std::memcmp(one.data(), whole.data() + row * g.cols,
                               one.size() * sizeof(float)));
    }
  }
  EXPECT_EQ((*r)->tensors()[2].blocks_per_row(), 2);  // 300 = 256 + 44
  EXPECT_EQ((*r)->tensors()[4].size, 4u + 2u);        // 8 weights of 2 bits
}

TEST(ContainerTrellisTest, VersionIsOneWithoutTrellisAndTwoWithIt) {
  std::vector<TestTensor> in = TrellisSampleTensors();
  const std::string v2 = Write(in, "v2");
  EXPECT_EQ(ci::LoadU32(reinterpret_cast<const uint8_t*>(v2.data()) + 8), 2u);
  const std::vector<TestTensor> block_only = {in[0], in[1]};
  const std::string v1 = Write(block_only, "v1");
  EXPECT_EQ(ci::LoadU32(reinterpret_cast<const uint8_t*>(v1.data()) + 8), 1u);
  // Only a trellis tensor makes the difference: the rest is the same bytes.
  std::string v1_as_2 = v1;
  ci::StoreU32(At(&v1_as_2, 8), 2);
  RepairChecksums(&v1_as_2);
  auto r = ContainerReader::OpenFromBuffer(v1_as_2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->VerifyAll().ok());
  // A trellis tensor in a version-1 file is corruption, and a version-3
  // file is refused as newer, checksums intact or not.
  std::string bad = v2;
  ci::StoreU32(At(&bad, 8), 1);
  ExpectDataLoss(bad, "trellis storage in a version 1 file");
  std::string v3 = v2;
  ci::StoreU32(At(&v3, 8), 3);
  EXPECT_EQ(OpenAndVerify(v3).code(), absl::StatusCode::kUnimplemented);
  RepairChecksums(&v3);
  const absl::Status s = OpenAndVerify(v3);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("format version 3 is newer than this reader"));
}

TEST(ContainerTrellisTest, EntryBytesAsDocumented) {
  const std::string b = Write(TrellisSampleTensors());
  const auto* p = reinterpret_cast<const uint8_t*>(b.data());
  // 3bit-t: storage 4, rank 3, L 16, R 3, log2(256) = 8, rotate 1, 0 0 0 0.
  const uint64_t e3 = FieldOffset(b, 3, 0);
  EXPECT_EQ(std::vector<uint8_t>(p + e3, p + e3 + 10),
            (std::vector<uint8_t>{4, 3, 16, 3, 8, 1, 0, 0, 0, 0}));
  // The unrotated L 12, R 4, T 64 codec.
  const uint64_t e5 = FieldOffset(b, 5, 0);
  EXPECT_EQ(std::vector<uint8_t>(p + e5, p + e5 + 10),
            (std::vector<uint8_t>{4, 2, 12, 4, 6, 0, 0, 0, 0, 0}));
}

TEST(ContainerTrellisTest, BadEntryBytesAreDataLoss) {
  const std::string good = Write(TrellisSampleTensors());
  const struct {
    int field;
    uint8_t value;
    const char* what;
  } cases[] = {
      {6, 1, "nonzero reserved codec byte"},
      {9, 7, "nonzero reserved codec byte"},
      {5, 2, "rotate flag 2"},
      {4, 31, "log2(T) 31"},
      {4, 3, "parameter T = 8"},
      {4, 13, "parameter T = 8192"},
      {2, 17, "parameter L = 17"},
      {3, 0, "parameter R = 0"},
      {3, 16, "parameter R = 16"},
      {1, 0, "at least one dimension"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::string b = good;
    b[FieldOffset(b, 2, c.field)] = static_cast<char>(c.value);
    ExpectDataLoss(b, c.what);
  }
  // A block-codec entry retagged as trellis reads its C..bias as trellis
  // bytes, and vice versa: both are caught.
  std::string b = good;
  b[FieldOffset(b, 1, 0)] = 4;
  ExpectDataLoss(b, "trellis");
  b = good;
  b[FieldOffset(b, 2, 0)] = 3;
  ExpectDataLoss(b, "directory entry 2");
}

TEST(ContainerTrellisTest, BadScaleIsDataLossWhereReached) {
  const std::string good = Write(TrellisSampleTensors());
  auto r0 = ContainerReader::OpenFromBuffer(good);
  ASSERT_TRUE(r0.ok());
  const TensorEntry e = (*r0)->tensors()[2];  // 4bit-t [3, 300]
  const uint64_t rb = MakeGeometry(e.codec, 3, 300).trellis_row_bytes();
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(),
        std::numeric_limits<float>::infinity(), -1.0f, -0.0f}) {
    SCOPED_TRACE(bad);
    std::string b = good;
    uint32_t u = 0;
    std::memcpy(&u, &bad, 4);
    ci::StoreU32(At(&b, e.offset + rb), u);  // row 1's scale
    RepairChecksums(&b);
    auto r = ContainerReader::OpenFromBuffer(b);
    ASSERT_TRUE(r.ok()) << r.status();
    const absl::Status v = (*r)->VerifyTensor(2);
    EXPECT_EQ(v.code(), absl::StatusCode::kDataLoss) << v;
    EXPECT_THAT(std::string(v.message()), HasSubstr(e.name));
    EXPECT_THAT(std::string(v.message()), HasSubstr("row 1"));
    EXPECT_TRUE((*r)->VerifyTensor(3).ok());
    EXPECT_EQ((*r)->VerifyAll().code(), absl::StatusCode::kDataLoss);
    std::vector<float> all(900);
    EXPECT_EQ((*r)->DecodeToFloat32(2, absl::MakeSpan(all)).code(),
              absl::StatusCode::kDataLoss);
    std::vector<float> part(10);
    EXPECT_TRUE((*r)->DecodeRangeToFloat32(2, 290, absl::MakeSpan(part)).ok());
    const absl::Status s =
        (*r)->DecodeRangeToFloat32(2, 295, absl::MakeSpan(part));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("row 1"));
  }
}

TEST(ContainerTrellisTest, EverySliceEqualsTheWholeDecode) {
  auto r = ContainerReader::OpenFromBuffer(Write(TrellisSampleTensors()));
  ASSERT_TRUE(r.ok()) << r.status();
  for (size_t i = 2; i < (*r)->tensors().size(); ++i) {
    const TensorEntry& e = (*r)->tensors()[i];
    const int64_t n = e.num_elements();
    std::vector<float> whole(static_cast<size_t>(n));
    ASSERT_TRUE((*r)->DecodeToFloat32(i, absl::MakeSpan(whole)).ok());
    for (int64_t begin = 0; begin <= n; begin += 7) {
      for (int64_t len : {int64_t{1}, int64_t{44}, int64_t{301}, n - begin}) {
        if (len > n - begin) continue;
        std::vector<float> part(static_cast<size_t>(len), -1.0f);
        ASSERT_TRUE(
            (*r)->DecodeRangeToFloat32(i, begin, absl::MakeSpan(part)).ok());
        ASSERT_EQ(0, std::memcmp(part.data(), whole.data() + begin,
                                 part.size() * sizeof(float)))
            << e.name << " " << begin << "+" << len;
      }
    }
    float one = 0;
    EXPECT_EQ((*r)->DecodeRangeToFloat32(i, n, absl::MakeSpan(&one, 1)).code(),
              absl::StatusCode::kOutOfRange);
  }
  const absl::StatusCode code = (*r)->GetBlock(2, 0, 0).status().code();
  EXPECT_EQ(code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string((*r)->GetBlock(2, 0, 0).status().message()),
              HasSubstr("not a block-codec tensor"));
}

TEST(ContainerTrellisTest, WriterChecksEntriesAndScales) {
  const std::vector<TestTensor> in = TrellisSampleTensors();
  auto w = ContainerWriter::Create(TempPath("w"));
  ASSERT_TRUE(w.ok());
  ContainerWriter& wr = **w;
  auto expect_invalid = [&](const TensorEntry& e,
                            const std::vector<uint8_t>& payload,
                            const char* what) {
    const absl::Status s = wr.AddTensor(e, payload);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << what << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(what));
  };
  const TestTensor& t = in[2];
  std::vector<uint8_t> bad = t.payload;
  const uint64_t rb = MakeGeometry(t.entry.codec, 3, 300).trellis_row_bytes();
  bad[2 * rb + 3] = 0xFF;  // row 2's scale: a NaN
  expect_invalid(t.entry, bad, "row 2 has an invalid trellis scale");
  TensorEntry e = t.entry;
  e.storage = Storage::kSeedLM;
  expect_invalid(e, t.payload, "needs the block codec family");
  e = in[1].entry;
  e.storage = Storage::kTrellis;
  expect_invalid(e, in[1].payload, "needs the trellis codec family");
  e = t.entry;
  e.shape = {};
  expect_invalid(e, {}, "at least one dimension");
  e = t.entry;
  e.shape = {int64_t{1} << 61, int64_t{1} << 20};
  expect_invalid(e, {}, "overflows int64");
  e = t.entry;
  e.codec.trellis.T = 100;
  expect_invalid(e, t.payload, "parameter T = 100");
  // Block fields, mode and bias of a trellis entry are not stored.
  e = t.entry;
  e.codec.C = 12;
  e.exponent_bias = -5;
  ASSERT_TRUE(wr.AddTensor(e, t.payload).ok());
  EXPECT_EQ(wr.tensors().back().codec, t.entry.codec);
  EXPECT_EQ(wr.tensors().back().exponent_bias, 0);
  ASSERT_TRUE(wr.Finish().ok());
}

// Feeds `payload` one byte at a time; returns the first error and the number
// of bytes fed up to and including the failing one.
absl::Status StreamBytewise(const std::string& path, const TensorEntry& e,
                            const std::vector<uint8_t>& payload, size_t* fed) {
  auto w = ContainerWriter::Create(path);
  if (!w.ok()) return w.status();
  absl::Status s = (*w)->BeginTensor(e);
  for (*fed = 0; *fed < payload.size() && s.ok(); ++*fed) {
    s = (*w)->AppendPayload({payload.data() + *fed, 1});
  }
  if (s.ok()) s = (*w)->EndTensor();
  return s.ok() ? (*w)->Finish() : s;
}

TEST(ContainerTrellisTest, StreamingScaleCheckAcrossPieces) {
  const TestTensor t = TrellisSampleTensors()[3];  // 3bit-t, 69-byte rows
  std::vector<uint8_t> payload = t.payload;
  size_t fed = 0;
  absl::Status s = StreamBytewise(TempPath("a"), t.entry, payload, &fed);
  EXPECT_TRUE(s.ok()) << s;
  // Row 2's scale = 1.0f = 00 00 80 3F: valid only with all four bytes, the
  // first three of which came in earlier pieces.
  ci::StoreU32(payload.data() + 2 * 69, 0x3F800000u);
  EXPECT_TRUE(StreamBytewise(TempPath("b"), t.entry, payload, &fed).ok());
  ci::StoreU32(payload.data() + 2 * 69, 0xBF800000u);  // -1.0f
  s = StreamBytewise(TempPath("c"), t.entry, payload, &fed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("row 2"));
  EXPECT_EQ(fed, 2u * 69 + 4);  // failed on the scale's last byte
  // Whole pieces of other sizes give the file AddTensor gives.
  auto w = ContainerWriter::Create(TempPath("d"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->BeginTensor(t.entry).ok());
  for (size_t k = 0; k < t.payload.size(); k += 67) {
    const size_t n = std::min<size_t>(67, t.payload.size() - k);
    ASSERT_TRUE((*w)->AppendPayload({t.payload.data() + k, n}).ok());
  }
  ASSERT_TRUE((*w)->EndTensor().ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto streamed = ReadFileToString(TempPath("d"), 1 << 20);
  auto whole = container_testing::WriteContainer(TempPath("e"), {t}, {});
  ASSERT_TRUE(streamed.ok() && whole.ok());
  EXPECT_TRUE(*streamed == *whole);
}

// The committed trellis sample (a fuzz corpus seed) pins the version-2 bytes.
// SEEDLM_REGENERATE_TESTDATA=1 rewrites it after an intended format change.
TEST(ContainerTrellisTest, GoldenFileIsStable) {
  const std::string bytes = Write(TrellisSampleTensors());
  const std::string golden =
      absl::StrCat(SEEDLM_FORMAT_TESTDATA, "/fuzz/trellis_sample_v2.bin");
  if (std::getenv("SEEDLM_REGENERATE_TESTDATA") != nullptr) {
    ASSERT_TRUE(WriteFileAtomically(golden, bytes).ok());
  }
  auto want = ReadFileToString(golden, 1 << 20);
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_TRUE(*want == bytes) << "the v2 byte layout changed";
  EXPECT_LT(bytes.size(), 4096u);  // within the fuzzer's -max_len
}

}  // namespace
}  // namespace seedlm
