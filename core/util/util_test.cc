#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "core/util/crc32.h"
#include "core/util/dtype.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(Crc32Test, CheckValue) {
  EXPECT_EQ(Crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(Crc32("6789", 4, Crc32("12345", 5)), 0xCBF43926u);
}

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "." + std::to_string(::getpid());
}

TEST(FileUtilTest, AtomicWriteAndCaps) {
  const std::string path = TempPath("atomic");
  {
    auto w = AtomicFileWriter::Create(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("hello world").ok());
    ASSERT_TRUE((*w)->WriteAt(0, "J", 1).ok());
    EXPECT_EQ((*w)->WriteAt(10, "xy", 2).code(), absl::StatusCode::kOutOfRange);
    EXPECT_EQ(ReadFileToString(path, 100).status().code(),
              absl::StatusCode::kNotFound);  // invisible until Commit
    ASSERT_TRUE((*w)->Commit().ok());
  }
  EXPECT_EQ(*ReadFileToString(path, 100), "Jello world");
  EXPECT_EQ(ReadFileToString(path, 5).status().code(),
            absl::StatusCode::kResourceExhausted);
  {
    auto w = AtomicFileWriter::Create(path);
    ASSERT_TRUE((*w)->Append("partial").ok());
  }  // dropped without Commit: the old file stays
  EXPECT_EQ(*ReadFileToString(path, 100), "Jello world");
  auto m = MappedFile::Open(path);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->size(), 11u);
  EXPECT_EQ(std::memcmp((*m)->data(), "Jello", 5), 0);
  EXPECT_EQ(MappedFile::Open(path + ".missing").status().code(),
            absl::StatusCode::kNotFound);
  ::unlink(path.c_str());
}

TEST(DTypeTest, HalfRoundTripsExhaustively) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (f != f) continue;  // NaN
    ASSERT_EQ(FloatToHalf(f), h) << h;
  }
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(FloatToHalf(1e6f), 0x7C00);                   // overflow to inf
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048), 0x3C00);     // tie to even
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // tie to even (0)
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(DTypeTest, BFloat16) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = BFloat16ToFloat(static_cast<uint16_t>(b));
    if (f != f) continue;
    ASSERT_EQ(FloatToBFloat16(f), b);
  }
  EXPECT_EQ(FloatToBFloat16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);  // tie even
  const uint8_t raw[4] = {0x80, 0x3F, 0x00, 0xC0};
  float out[2];
  ASSERT_TRUE(ConvertToFloat32(DType::kBF16, raw, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_FALSE(ConvertToFloat32(DType::kF32, raw, absl::MakeSpan(out)).ok());
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::Status UseMacros(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  RETURN_IF_ERROR(h > 10 ? absl::OutOfRangeError("big") : absl::OkStatus());
  *out = h;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, Propagate) {
  int v = 0;
  EXPECT_TRUE(UseMacros(8, &v).ok());
  EXPECT_EQ(v, 4);
  EXPECT_EQ(UseMacros(7, &v).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UseMacros(40, &v).code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace seedlm
