// The reader against damaged and hostile files: every flipped byte and every
// truncation of a small file is reported, and each structural problem (behind
// valid checksums) gets its documented status code and message.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/format/container_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

namespace ci = container_internal;
using container_testing::RepairChecksums;
using ::testing::HasSubstr;

std::string SampleBytes() {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/corruption_sample_", getpid());
  auto bytes = container_testing::WriteContainer(
      path, container_testing::SampleTensors(),
      container_testing::SampleMetadata());
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

// Open + VerifyAll; OK only if both succeed.
absl::Status OpenAndVerify(std::string bytes) {
  auto r = ContainerReader::OpenFromBuffer(std::move(bytes));
  if (!r.ok()) return r.status();
  return (*r)->VerifyAll();
}

uint8_t* At(std::string* s, uint64_t offset) {
  return reinterpret_cast<uint8_t*>(&(*s)[offset]);
}

// File offset of directory entry i.
uint64_t EntryOffset(const std::string& bytes, int i) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const ci::Header h = ci::DecodeHeader(p);
  ci::ByteReader r(p + h.directory_offset, h.directory_size);
  for (int k = 0; k < i; ++k) {
    TensorEntry e;
    EXPECT_EQ(ci::DecodeEntry(&r, &e), "");
  }
  return h.directory_offset + r.position();
}

// Offset of the one-byte field `k` (0 = storage, 1 = rank, 2..9 = C P K Q E
// variant mode bias) of entry i; dims, offset, size and crc follow.
uint64_t FieldOffset(const std::string& bytes, int i, int k) {
  const uint64_t e = EntryOffset(bytes, i);
  return e + 2 + ci::LoadU16(reinterpret_cast<const uint8_t*>(&bytes[e])) + k;
}

uint64_t DimOffset(const std::string& bytes, int i, int d) {
  return FieldOffset(bytes, i, 10) + 8 * d;
}

// Offset of entry i's payload-offset field (then size at +8, crc at +16).
uint64_t PayloadFieldOffset(const std::string& bytes, int i) {
  const uint64_t rank = static_cast<uint8_t>(bytes[FieldOffset(bytes, i, 1)]);
  return DimOffset(bytes, i, static_cast<int>(rank));
}

void PutU64At(std::string* s, uint64_t offset, uint64_t v) {
  for (int k = 0; k < 8; ++k)
    (*s)[offset + k] = static_cast<char>(v >> (8 * k));
}

// Expects DATA_LOSS mentioning `what` after repairing the checksums.
void ExpectDataLoss(std::string bytes, const std::string& what) {
  RepairChecksums(&bytes);
  const absl::Status s = OpenAndVerify(std::move(bytes));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(what));
}

TEST(CorruptionTest, SampleIsValidAndRepairIsIdentity) {
  const std::string good = SampleBytes();
  ASSERT_TRUE(OpenAndVerify(good).ok());
  std::string repaired = good;
  RepairChecksums(&repaired);
  EXPECT_EQ(repaired, good);
}

TEST(CorruptionTest, EveryByteFlipIsDetected) {
  const std::string good = SampleBytes();
  ASSERT_GT(good.size(), 500u);
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      const absl::Status s = OpenAndVerify(bad);
      ASSERT_FALSE(s.ok()) << "flip of byte " << i << " not detected";
      if (i < 8) {  // magic
        EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << i << s;
      } else if (i < 12 && s.code() == absl::StatusCode::kUnimplemented) {
        EXPECT_THAT(std::string(s.message()), HasSubstr("newer"));  // version
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << i << ": " << s;
      }
    }
  }
}

TEST(CorruptionTest, EveryTruncationAndExtensionIsDetected) {
  const std::string good = SampleBytes();
  for (size_t n = 0; n < good.size(); ++n) {
    const absl::Status s = OpenAndVerify(good.substr(0, n));
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << "length " << n;
  }
  const absl::Status s = OpenAndVerify(good + std::string(1, '\0'));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("trailing"));
}

TEST(CorruptionTest, VersionsAndMagic) {
  const std::string good = SampleBytes();
  // Version 2 (the newest) reads the same tensors; version 3 is refused like
  // a version-1 reader refuses version 2 (docs/FORMAT.md, "Versioning").
  std::string v2 = good;
  ci::StoreU32(At(&v2, 8), 2);
  RepairChecksums(&v2);
  EXPECT_TRUE(OpenAndVerify(v2).ok());
  std::string v3 = good;
  ci::StoreU32(At(&v3, 8), 3);
  for (bool repair : {false, true}) {
    std::string b = v3;
    if (repair) RepairChecksums(&b);
    const absl::Status s = OpenAndVerify(b);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("newer than this reader"));
  }
  std::string v0 = good;
  ci::StoreU32(At(&v0, 8), 0);
  ExpectDataLoss(v0, "version 0");
  const absl::Status magic = OpenAndVerify("PK\3\4 a zip file, not a model");
  EXPECT_EQ(magic.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(magic.message()), HasSubstr("bad magic"));
  auto missing = ContainerReader::Open("/nonexistent/dir/x.seedlm");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(CorruptionTest, HeaderFieldsBehindValidChecksums) {
  const std::string good = SampleBytes();
  std::string b = good;
  ci::StoreU32(At(&b, ci::kOffHeaderSize), 80);
  ExpectDataLoss(b, "header size 80");
  b = good;
  PutU64At(&b, ci::kOffDirectoryOffset,
           ci::LoadU64(At(&b, ci::kOffDirectoryOffset)) + 1);
  ExpectDataLoss(b, "do not tile");
  b = good;
  PutU64At(&b, ci::kOffFileSize, good.size() + 10);
  ExpectDataLoss(b, "truncated");
  b = good;
  ci::StoreU32(At(&b, ci::kOffTensorCount), 1000000);
  ExpectDataLoss(b, "cannot fit");
  b = good;
  ci::StoreU32(At(&b, ci::kOffTensorCount), 5);
  ExpectDataLoss(b, "unused bytes at the end of the directory");
  b = good;
  ci::StoreU32(At(&b, ci::kOffMetadataCount), 0xFFFFFFFF);
  ExpectDataLoss(b, "metadata entries cannot fit");
  b = good;
  ci::StoreU32(At(&b, ci::kOffMetadataCount), 3);
  ExpectDataLoss(b, "unused bytes at the end of the metadata");
}

TEST(CorruptionTest, DirectoryFieldsBehindValidChecksums) {
  const std::string good = SampleBytes();
  std::string b = good;
  b[FieldOffset(b, 3, 1)] = 9;
  ExpectDataLoss(b, "rank 9");
  b = good;
  b[FieldOffset(b, 3, 0)] = 5;
  ExpectDataLoss(b, "unknown storage kind 5");
  b = good;
  b[FieldOffset(b, 3, 2)] = 0;  // C = 0
  ExpectDataLoss(b, "codec parameter C");
  b = good;
  b[FieldOffset(b, 3, 4)] = 30;  // K = 30
  ExpectDataLoss(b, "codec parameter K");
  b = good;
  b[FieldOffset(b, 3, 7)] = 2;
  ExpectDataLoss(b, "unknown variant");
  b = good;
  b[FieldOffset(b, 0, 5)] = 1;  // f32 tensor with a codec byte
  ExpectDataLoss(b, "nonzero codec bytes");
  b = good;
  b[EntryOffset(b, 2)] = static_cast<char>(0x88);  // name_len 0x1388 = 5000
  b[EntryOffset(b, 2) + 1] = 0x13;
  ExpectDataLoss(b, "name length 5000");
  b = good;
  PutU64At(&b, DimOffset(b, 3, 0), 4);  // [3, 20] -> [4, 20]
  ExpectDataLoss(b, "disagrees with its shape");
  b = good;
  PutU64At(&b, DimOffset(b, 4, 0), uint64_t{1} << 62);
  PutU64At(&b, DimOffset(b, 4, 1), uint64_t{1} << 62);
  ExpectDataLoss(b, "overflows int64");
  b = good;
  PutU64At(&b, DimOffset(b, 4, 0), uint64_t{1} << 63);
  ExpectDataLoss(b, "exceeds int64");
  b = good;
  const uint64_t n4 = EntryOffset(b, 4) + 2;    // "layers.0.mlp.up.weight"
  b.replace(n4, 22, "layers.0.q_proj.weight");  // same length as entry 3's
  ExpectDataLoss(b, "duplicate tensor name");
}

TEST(CorruptionTest, PayloadPlacementBehindValidChecksums) {
  const std::string good = SampleBytes();
  std::string b = good;
  PutU64At(&b, PayloadFieldOffset(b, 1), uint64_t{1} << 63);
  ExpectDataLoss(b, "outside the");
  b = good;
  PutU64At(&b, PayloadFieldOffset(b, 0), 0);
  ExpectDataLoss(b, "overlaps the header");
  b = good;
  PutU64At(&b, PayloadFieldOffset(b, 5),
           ci::LoadU64(At(&b, PayloadFieldOffset(b, 5))) + 64);
  ExpectDataLoss(b, "overlaps the directory");
  b = good;
  PutU64At(&b, PayloadFieldOffset(b, 2), 128);  // on top of tensor 0
  ExpectDataLoss(b, "expected 256");
  b = good;
  b[140] = 1;  // padding after tensor 0 (12 bytes at 128)
  ExpectDataLoss(b, "nonzero padding byte at 140");
}

TEST(CorruptionTest, PayloadContentsAndChecksums) {
  const std::string good = SampleBytes();
  auto r0 = ContainerReader::OpenFromBuffer(good);
  ASSERT_TRUE(r0.ok());
  const TensorEntry e = (*r0)->tensors()[3];  // 4bit, 32-bit blocks
  std::string b = good;
  b[e.offset + 4] = b[e.offset + 5] = 0;  // block 1 seed = 0
  std::string unrepaired = b;
  RepairChecksums(&b);
  auto r = ContainerReader::OpenFromBuffer(b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->VerifyAll().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ((*r)->GetBlock(3, 0, 1).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE((*r)->GetBlock(3, 0, 0).ok());
  std::vector<float> out(e.num_elements());
  const absl::Status d = (*r)->DecodeToFloat32(3, absl::MakeSpan(out));
  EXPECT_EQ(d.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(d.message()),
              HasSubstr("block 1 of row 0 has seed 0"));

  r = ContainerReader::OpenFromBuffer(unrepaired);  // payload CRC now wrong
  ASSERT_TRUE(r.ok()) << "payloads are checked lazily";
  for (int k = 0; k < 2; ++k) {  // the failure sticks
    const absl::Status s = (*r)->Payload(3).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(s.message()), HasSubstr("checksum mismatch"));
  }
  EXPECT_TRUE((*r)->Payload(4).ok());
  EXPECT_EQ((*r)->Payload(6).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(CorruptionTest, MetadataBehindValidChecksums) {
  const std::string good = SampleBytes();
  const auto* p = reinterpret_cast<const uint8_t*>(good.data());
  const uint64_t meta = ci::LoadU64(p + ci::kOffMetadataOffset);
  std::string b = good;
  ci::StoreU32(At(&b, meta), 0);  // first key length 0
  ExpectDataLoss(b, "key length 0");
  b = good;
  ci::StoreU32(At(&b, meta), 5000);
  ExpectDataLoss(b, "key length 5000");
  b = good;
  b[meta + 4] = 'z';  // "arch.config" -> "zrch.config" sorts after the next
  ExpectDataLoss(b, "not strictly increasing");
  b = good;
  PutU64At(&b, meta + 4 + 11, uint64_t{1} << 62);  // value length
  ExpectDataLoss(b, "truncated");
}

}  // namespace
}  // namespace seedlm
