// Tests of the .seedlm container: round trips, determinism, atomic writes,
// writer validation, block addressing and the committed golden file.
// Corrupted inputs are in container_corruption_test.cc.
#include "core/format/container.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/format/container_internal.h"
#include "core/format/container_testing.h"
#include "core/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

namespace ci = container_internal;
using container_testing::RandomBlocksPayload;
using container_testing::SampleMetadata;
using container_testing::SampleTensors;
using container_testing::TestTensor;
using container_testing::WriteContainer;
using ::testing::HasSubstr;

// A fresh, empty directory per test.
std::string TestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(::testing::TempDir(), "/container_test_",
                                 getpid(), "_", info->name());
  mkdir(dir.c_str(), 0755);
  return dir;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* ent = readdir(d)) {
    const std::string n = ent->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

bool SameBlock(const Block& a, const Block& b) {
  if (a.seed != b.seed || a.e != b.e) return false;
  for (int p = 0; p < kMaxP; ++p) {
    if (a.q[p] != b.q[p]) return false;
  }
  return true;
}

// Reference decode straight from the spec: weight (r, c) is element c % C of
// block (r, c / C).
std::vector<float> ReferenceDecode(const TensorEntry& e,
                                   const std::vector<Block>& blocks) {
  std::vector<float> out;
  float tmp[kMaxC];
  for (int64_t r = 0; r < e.rows(); ++r) {
    for (int64_t c = 0; c < e.cols(); ++c) {
      DecodeBlock(e.codec, e.exponent_bias,
                  blocks[r * e.blocks_per_row() + c / e.codec.C], tmp);
      out.push_back(tmp[c % e.codec.C]);
    }
  }
  return out;
}

TEST(ContainerTest, RoundTripMixedStorages) {
  const std::string path = TestDir() + "/m.seedlm";
  const std::vector<TestTensor> in = SampleTensors();
  ASSERT_TRUE(WriteContainer(path, in, SampleMetadata()).ok());
  auto r = ContainerReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->version(), 1u);
  EXPECT_EQ((*r)->metadata(), SampleMetadata());
  ASSERT_TRUE((*r)->VerifyAll().ok());
  ASSERT_EQ((*r)->tensors().size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const TensorEntry& want = in[i].entry;
    const TensorEntry& got = (*r)->tensors()[i];
    SCOPED_TRACE(want.name);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.shape, want.shape);
    EXPECT_EQ(got.storage, want.storage);
    EXPECT_EQ(got.size, in[i].payload.size());
    EXPECT_EQ(got.offset % kPayloadAlignment, 0u);
    if (want.storage == Storage::kSeedLM) {
      EXPECT_EQ(got.codec, want.codec);
      EXPECT_EQ(got.exponent_mode, want.exponent_mode);
      EXPECT_EQ(got.exponent_bias, want.exponent_bias);
    }
    auto payload = (*r)->Payload(i);
    ASSERT_TRUE(payload.ok());
    EXPECT_EQ(std::vector<uint8_t>(payload->begin(), payload->end()),
              in[i].payload);
    // Released pages read back the same bytes.
    (*r)->ReleasePages(i);
    EXPECT_EQ(std::vector<uint8_t>(payload->begin(), payload->end()),
              in[i].payload);
    std::vector<float> want_f;
    if (want.storage == Storage::kSeedLM) {
      std::vector<Block> blocks;
      RandomBlocksPayload(want, 1000 + static_cast<uint32_t>(i), &blocks);
      want_f = ReferenceDecode(want, blocks);
    } else {
      want_f.resize(want.num_elements());
      ASSERT_TRUE(ConvertToFloat32(static_cast<DType>(want.storage),
                                   in[i].payload, absl::MakeSpan(want_f))
                      .ok());
    }
    std::vector<float> got_f(got.num_elements(), -1.0f);
    ASSERT_TRUE((*r)->DecodeToFloat32(i, absl::MakeSpan(got_f)).ok());
    ASSERT_EQ(got_f.size(), want_f.size());
    EXPECT_EQ(0, std::memcmp(got_f.data(), want_f.data(), 4 * want_f.size()));
  }
}

TEST(ContainerTest, ThreeBitBlocksAre36BitsWithRowPadding) {
  const std::vector<TestTensor> in = SampleTensors();
  const TensorEntry& e = in[4].entry;  // 3bit [2, 2, 30]
  ASSERT_EQ(e.codec.bits_per_block(), 36);
  EXPECT_EQ(e.rows(), 4);
  EXPECT_EQ(e.cols(), 30);
  EXPECT_EQ(e.blocks_per_row(), 3);  // 30 = 12 + 12 + 6 (+ 6 padding)
  EXPECT_EQ(*ExpectedPayloadBytes(e), (12u * 36 + 7) / 8);
}

TEST(ContainerTest, HeaderBytesAsDocumented) {
  const std::string path = TestDir() + "/h.seedlm";
  auto bytes = WriteContainer(path, SampleTensors(), SampleMetadata());
  ASSERT_TRUE(bytes.ok());
  const auto* p = reinterpret_cast<const uint8_t*>(bytes->data());
  EXPECT_EQ(std::string(bytes->data(), 8), std::string("SEEDLM\0\1", 8));
  EXPECT_EQ(ci::LoadU32(p + 8), 1u);              // version
  EXPECT_EQ(ci::LoadU32(p + 12), 72u);            // header size
  EXPECT_EQ(ci::LoadU64(p + 16), bytes->size());  // file size
  EXPECT_EQ(ci::LoadU32(p + 56), 6u);             // tensor count
  EXPECT_EQ(ci::LoadU32(p + 60), 4u);             // metadata count
  EXPECT_EQ(ci::LoadU64(p + 40), ci::LoadU64(p + 24) + ci::LoadU64(p + 32));
  EXPECT_EQ(ci::LoadU64(p + 40) + ci::LoadU64(p + 48), bytes->size());
  // First entry starts right at the directory offset: name_len, name.
  const uint64_t dir = ci::LoadU64(p + 24);
  EXPECT_EQ(ci::LoadU16(p + dir), 11u);
  EXPECT_EQ(bytes->substr(dir + 2, 11), "norm.weight");
  // Its payload (3 f32) is the first one, at 128 = AlignUp(72).
  const uint64_t e0 = dir + 2 + 11 + 10 + 8 * 1;
  EXPECT_EQ(ci::LoadU64(p + e0), 128u);
  EXPECT_EQ(ci::LoadU64(p + e0 + 8), 12u);
}

TEST(ContainerTest, TwoWritesAreByteIdenticalAndStreamingMatches) {
  const std::string dir = TestDir();
  const auto tensors = SampleTensors();
  auto a = WriteContainer(dir + "/a.seedlm", tensors, SampleMetadata());
  auto b = WriteContainer(dir + "/b.seedlm", tensors, SampleMetadata());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // Streaming in odd-sized pieces, metadata set late, gives the same bytes.
  auto w = ContainerWriter::Create(dir + "/c.seedlm");
  ASSERT_TRUE(w.ok());
  for (const auto& kv : SampleMetadata()) {
    ASSERT_TRUE((*w)->SetMetadata(kv.first, kv.second).ok());
  }
  for (const TestTensor& t : tensors) {
    ASSERT_TRUE((*w)->BeginTensor(t.entry).ok());
    for (size_t k = 0; k < t.payload.size(); k += 5) {
      const size_t n = std::min<size_t>(5, t.payload.size() - k);
      ASSERT_TRUE((*w)->AppendPayload({t.payload.data() + k, n}).ok());
    }
    ASSERT_TRUE((*w)->EndTensor().ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  auto c = ReadFileToString(dir + "/c.seedlm", 1 << 20);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*a, *c);
}

TEST(ContainerTest, NothingAtPathUntilFinish) {
  const std::string dir = TestDir();
  const std::string path = dir + "/x.seedlm";
  const auto tensors = SampleTensors();
  auto w = ContainerWriter::Create(path, SampleMetadata());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddTensor(tensors[0].entry, tensors[0].payload).ok());
  EXPECT_FALSE(Exists(path));
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_TRUE(Exists(path));
  EXPECT_THAT(ListDir(dir), ::testing::ElementsAre("x.seedlm"));
  // A finished writer refuses more work.
  EXPECT_EQ((*w)->Finish().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ContainerTest, AbandonedWriterLeavesNothing) {
  const std::string dir = TestDir();
  {
    auto w = ContainerWriter::Create(dir + "/x.seedlm");
    ASSERT_TRUE(w.ok());
    const auto t = SampleTensors()[3];
    ASSERT_TRUE((*w)->AddTensor(t.entry, t.payload).ok());
    EXPECT_TRUE(ListDir(dir).empty());  // unnamed while written (O_TMPFILE)
  }
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(ContainerTest, FailedWriterLeavesNothing) {
  const std::string dir = TestDir();
  const std::string path = dir + "/x.seedlm";
  const auto t = SampleTensors()[3];
  auto w = ContainerWriter::Create(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->BeginTensor(t.entry).ok());
  std::vector<uint8_t> too_big(t.payload.size() + 1, 0xFF);
  EXPECT_EQ((*w)->AppendPayload(too_big).code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status s = (*w)->Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("failed earlier"));
  EXPECT_FALSE(Exists(path));
  EXPECT_TRUE(ListDir(dir).empty());
}

TEST(ContainerTest, WriterRejectsBadInputAndStaysUsable) {
  const std::string path = TestDir() + "/x.seedlm";
  const auto tensors = SampleTensors();
  auto w = ContainerWriter::Create(path);
  ASSERT_TRUE(w.ok());
  ContainerWriter& wr = **w;
  const TestTensor& good = tensors[3];
  ASSERT_TRUE(wr.AddTensor(good.entry, good.payload).ok());
  auto expect_invalid = [&](TensorEntry e, std::vector<uint8_t> payload,
                            const char* why) {
    const absl::Status s = wr.AddTensor(e, payload);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << why << ": " << s;
  };
  expect_invalid(good.entry, good.payload, "duplicate name");
  TensorEntry e = good.entry;
  e.name = "other";
  std::vector<uint8_t> shorter(good.payload.begin(), good.payload.end() - 1);
  expect_invalid(e, shorter, "payload too short");
  std::vector<uint8_t> zero_seed = good.payload;
  zero_seed[4] = zero_seed[5] = 0;  // block 1's 16-bit seed (32-bit blocks)
  expect_invalid(e, zero_seed, "seed 0");
  TensorEntry bad = e;
  bad.codec.C = 65;
  expect_invalid(bad, good.payload, "C out of range");
  bad = e;
  bad.exponent_bias = 128;
  expect_invalid(bad, good.payload, "bias out of int8");
  bad = e;
  bad.name = std::string(kMaxTensorNameBytes + 1, 'n');
  expect_invalid(bad, good.payload, "name too long");
  bad = e;
  bad.name = "";
  expect_invalid(bad, good.payload, "empty name");
  bad = e;
  bad.shape = std::vector<int64_t>(kMaxTensorRank + 1, 1);
  expect_invalid(bad, {}, "rank 9");
  bad = e;
  bad.shape = {-1, 20};
  expect_invalid(bad, {}, "negative dim");
  bad = e;
  bad.shape = {int64_t{1} << 40, int64_t{1} << 40};
  expect_invalid(bad, {}, "element count overflow");
  bad = e;
  bad.storage = Storage::kF32;
  bad.shape = {int64_t{1} << 62};
  expect_invalid(bad, {}, "byte count overflow");
  EXPECT_EQ(wr.SetMetadata("", "v").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerWriter::Create(path + "2", {{"", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(wr.Finish().ok());
  auto r = ContainerReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->tensors().size(), 1u);
  EXPECT_TRUE((*r)->VerifyAll().ok());
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

TEST(ContainerTest, StreamingSeedCheckAcrossPieces) {
  const std::string path = TestDir() + "/x.seedlm";
  TensorEntry e = SampleTensors()[4].entry;  // 36-bit blocks: seeds straddle
  std::vector<uint8_t> payload = RandomBlocksPayload(e, 7);
  // Block 5's seed occupies bits 180..195 = bytes 22 (high half), 23, 24
  // (low half). Seed 1 has all its set bits in byte 22: the check must
  // remember earlier pieces to accept it.
  WriteBits(payload.data(), 5 * 36, 16, 1);
  size_t fed = 0;
  absl::Status s = StreamBytewise(path, e, payload, &fed);
  EXPECT_TRUE(s.ok()) << s;
  WriteBits(payload.data(), 5 * 36, 16, 0);
  s = StreamBytewise(path, e, payload, &fed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("block 5 has seed 0"));
  EXPECT_EQ(fed, 25u);  // failed on the seed's last byte, 24
}

TEST(ContainerTest, GetBlockMatchesUnpackedPayload) {
  const std::string path = TestDir() + "/x.seedlm";
  const auto tensors = SampleTensors();
  ASSERT_TRUE(WriteContainer(path, tensors, {}).ok());
  auto r = ContainerReader::Open(path);
  ASSERT_TRUE(r.ok());
  for (size_t i = 3; i < tensors.size(); ++i) {
    const TensorEntry& e = tensors[i].entry;
    std::vector<Block> blocks;
    RandomBlocksPayload(e, 1000 + static_cast<uint32_t>(i), &blocks);
    for (int64_t row = 0; row < e.rows(); ++row) {
      for (int64_t b = 0; b < e.blocks_per_row(); ++b) {
        auto got = (*r)->GetBlock(i, row, b);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_TRUE(SameBlock(*got, blocks[row * e.blocks_per_row() + b]))
            << e.name << " row " << row << " block " << b;
      }
    }
    EXPECT_EQ((*r)->GetBlock(i, e.rows(), 0).status().code(),
              absl::StatusCode::kOutOfRange);
    EXPECT_EQ((*r)->GetBlock(i, 0, e.blocks_per_row()).status().code(),
              absl::StatusCode::kOutOfRange);
    EXPECT_EQ((*r)->GetBlock(i, -1, 0).status().code(),
              absl::StatusCode::kOutOfRange);
  }
  EXPECT_EQ((*r)->GetBlock(0, 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);  // f32 tensor
  EXPECT_EQ((*r)->GetBlock(99, 0, 0).status().code(),
            absl::StatusCode::kOutOfRange);
  std::vector<float> wrong(3);
  EXPECT_EQ((*r)->DecodeToFloat32(3, absl::MakeSpan(wrong)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ContainerTest, ConcurrentFirstPayloadAccess) {
  const std::string path = TestDir() + "/x.seedlm";
  const auto tensors = SampleTensors();
  ASSERT_TRUE(WriteContainer(path, tensors, {}).ok());
  auto r = ContainerReader::Open(path);
  ASSERT_TRUE(r.ok());
  std::vector<int> ok(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < tensors.size(); ++i) {
        auto p = (*r)->Payload(i);
        ok[t] += p.ok() && p->size() == tensors[i].payload.size();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(ok[t], static_cast<int>(tensors.size()));
}

TEST(ContainerTest, EmptyAndZeroSizedTensors) {
  const std::string dir = TestDir();
  auto empty = WriteContainer(dir + "/e.seedlm", {}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), kContainerHeaderSize);
  auto r = ContainerReader::OpenFromBuffer(*empty);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->tensors().empty());
  EXPECT_EQ((*r)->FindTensor("x").status().code(), absl::StatusCode::kNotFound);

  std::vector<TestTensor> t = {SampleTensors()[0], SampleTensors()[3]};
  t[0].entry.shape = {0};
  t[0].payload.clear();
  t[1].entry.shape = {int64_t{1} << 60, 0};  // huge rows, no columns
  t[1].payload.clear();
  auto bytes = WriteContainer(dir + "/z.seedlm", t, {});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  r = ContainerReader::OpenFromBuffer(*bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->VerifyAll().ok());
  EXPECT_TRUE((*r)->DecodeToFloat32(1, {}).ok());
  EXPECT_EQ(*(*r)->FindTensor(t[1].entry.name), 1u);
}

TEST(ContainerTest, GoldenFilesAreStable) {
  // The committed files pin the v1 byte layout (and seed the fuzzer). To
  // regenerate after an intended format change: SEEDLM_REGENERATE_TESTDATA=1.
  const std::vector<TestTensor> all = SampleTensors();
  struct Golden {
    const char* name;
    std::vector<TestTensor> tensors;
    std::map<std::string, std::string> metadata;
  };
  const std::vector<Golden> goldens = {
      {"sample_v1.bin", all, SampleMetadata()},
      {"empty_v1.bin", {}, {}},
      {"one_3bit_tensor_v1.bin", {all[4]}, {{"source.format", "test"}}},
  };
  for (const Golden& g : goldens) {
    SCOPED_TRACE(g.name);
    const std::string golden =
        absl::StrCat(SEEDLM_FORMAT_TESTDATA, "/fuzz/", g.name);
    auto bytes = WriteContainer(TestDir() + "/g.seedlm", g.tensors, g.metadata);
    ASSERT_TRUE(bytes.ok());
    if (std::getenv("SEEDLM_REGENERATE_TESTDATA") != nullptr) {
      ASSERT_TRUE(WriteFileAtomically(golden, *bytes).ok());
    }
    auto want = ReadFileToString(golden, 1 << 20);
    ASSERT_TRUE(want.ok()) << want.status();
    EXPECT_TRUE(*want == *bytes) << "the v1 byte layout changed";
  }
}

}  // namespace
}  // namespace seedlm
