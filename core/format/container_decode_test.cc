// ContainerReader's piecewise decode (DecodeRangeToFloat32) and per-tensor
// verification (VerifyTensor): every slice of every sample tensor equals the
// same slice of the whole-tensor decode, bad ranges are refused, and a block
// with seed 0 is reported by the range that reaches it.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/format/container_testing.h"
#include "core/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using container_testing::RepairChecksums;
using container_testing::SampleMetadata;
using container_testing::SampleTensors;
using ::testing::HasSubstr;

std::string SampleBytes() {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/decode_sample_", getpid());
  auto bytes = container_testing::WriteContainer(path, SampleTensors(),
                                                 SampleMetadata());
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

bool SameBits(float a, float b) {
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

TEST(ContainerDecodeTest, EverySliceEqualsTheWholeDecode) {
  auto r = ContainerReader::OpenFromBuffer(SampleBytes());
  ASSERT_TRUE(r.ok()) << r.status();
  for (size_t i = 0; i < (*r)->tensors().size(); ++i) {
    const TensorEntry& e = (*r)->tensors()[i];
    const int64_t n = e.num_elements();
    std::vector<float> whole(static_cast<size_t>(n));
    ASSERT_TRUE((*r)->DecodeToFloat32(i, absl::MakeSpan(whole)).ok());
    // Every start and a spread of lengths (within a block, across blocks,
    // across row ends and row padding, to the end).
    for (int64_t begin = 0; begin <= n; ++begin) {
      for (int64_t len :
           {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{37}, n - begin}) {
        if (len > n - begin) continue;
        std::vector<float> part(static_cast<size_t>(len), -1.0f);
        const absl::Status s =
            (*r)->DecodeRangeToFloat32(i, begin, absl::MakeSpan(part));
        ASSERT_TRUE(s.ok()) << e.name << " " << begin << "+" << len << s;
        for (int64_t k = 0; k < len; ++k) {
          ASSERT_TRUE(SameBits(part[k], whole[begin + k]))
              << e.name << " element " << begin + k;
        }
      }
    }
  }
}

TEST(ContainerDecodeTest, BadRangesAreOutOfRange) {
  auto r = ContainerReader::OpenFromBuffer(SampleBytes());
  ASSERT_TRUE(r.ok()) << r.status();
  const int64_t n = (*r)->tensors()[3].num_elements();
  std::vector<float> two(2);
  EXPECT_EQ((*r)->DecodeRangeToFloat32(3, n - 1, absl::MakeSpan(two)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*r)->DecodeRangeToFloat32(3, -1, absl::MakeSpan(two)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(
      (*r)->DecodeRangeToFloat32(3, INT64_MAX, absl::MakeSpan(two)).code(),
      absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*r)->DecodeRangeToFloat32(99, 0, absl::MakeSpan(two)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*r)->VerifyTensor(99).code(), absl::StatusCode::kOutOfRange);
}

TEST(ContainerDecodeTest, SeedZeroIsFoundByTheRangeThatReachesIt) {
  std::string b = SampleBytes();
  auto r0 = ContainerReader::OpenFromBuffer(b);
  ASSERT_TRUE(r0.ok());
  const TensorEntry e = (*r0)->tensors()[3];  // 4bit: 32-bit blocks, C = 8
  b[e.offset + 4] = b[e.offset + 5] = 0;      // block 1 of row 0: seed 0
  RepairChecksums(&b);
  auto r = ContainerReader::OpenFromBuffer(b);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<float> out(8);
  EXPECT_TRUE((*r)->DecodeRangeToFloat32(3, 0, absl::MakeSpan(out)).ok());
  const absl::Status s = (*r)->DecodeRangeToFloat32(3, 4, absl::MakeSpan(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("block 1 of row 0 has seed 0"));
  const absl::Status v = (*r)->VerifyTensor(3);
  EXPECT_EQ(v.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(v.message()), HasSubstr(e.name));
  EXPECT_TRUE((*r)->VerifyTensor(4).ok());
  EXPECT_EQ((*r)->VerifyAll().code(), absl::StatusCode::kDataLoss);
}

// Two hostile seeds of the fuzz corpus, pinned like the golden files
// (SEEDLM_REGENERATE_TESTDATA=1 rewrites them): a valid container of the
// densest codec (64 weights in 4 bits, float32 512 times its payload), and a
// small one whose directory claims a 16 GiB f32 tensor behind valid
// checksums, which the reader refuses before anything is allocated.
TEST(ContainerDecodeTest, HostileCorpusSeeds) {
  namespace ci = container_internal;
  TensorEntry dense;
  dense.name = "dense";
  dense.shape = {3, 130};  // 3 blocks per row, the last one padded
  dense.storage = Storage::kSeedLM;
  dense.codec.C = 64;  // the densest block codec: (64, 1, 2, 2, 0, paper)
  dense.codec.P = 1;
  dense.codec.K = 2;
  dense.codec.Q = 2;
  dense.codec.E = 0;
  TensorEntry lie;
  lie.name = "w";
  lie.shape = {4, 2};
  const std::string dir = ::testing::TempDir();
  auto dense_bytes = container_testing::WriteContainer(
      absl::StrCat(dir, "/dense_", getpid()),
      {{dense, container_testing::RandomBlocksPayload(dense, 7)}}, {});
  auto lie_bytes = container_testing::WriteContainer(
      absl::StrCat(dir, "/lie_", getpid()),
      {{lie, container_testing::RandomRawPayload(lie, 7)}}, {});
  ASSERT_TRUE(dense_bytes.ok() && lie_bytes.ok());
  std::string& b = *lie_bytes;
  const ci::Header h =
      ci::DecodeHeader(reinterpret_cast<const uint8_t*>(b.data()));
  const uint64_t dim0 = h.directory_offset + 2 + lie.name.size() + 10;
  for (int k = 0; k < 8; ++k) {
    b[dim0 + k] = static_cast<char>((uint64_t{1} << 31) >> (8 * k));
  }
  RepairChecksums(&b);

  auto r = ContainerReader::OpenFromBuffer(*dense_bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->VerifyAll().ok());
  EXPECT_EQ((*r)->tensors()[0].size, 5u);  // 9 blocks of 4 bits
  const absl::Status s = ContainerReader::OpenFromBuffer(b).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("disagrees with its shape"));

  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"dense_codec_v1.bin", *dense_bytes},
        {"claims_16gib_v1.bin", b}}) {
    const std::string golden =
        absl::StrCat(SEEDLM_FORMAT_TESTDATA, "/fuzz/", name);
    if (std::getenv("SEEDLM_REGENERATE_TESTDATA") != nullptr) {
      ASSERT_TRUE(WriteFileAtomically(golden, bytes).ok());
    }
    auto want = ReadFileToString(golden, 1 << 20);
    ASSERT_TRUE(want.ok()) << want.status();
    EXPECT_TRUE(*want == bytes) << name;
  }
}

}  // namespace
}  // namespace seedlm
