#include "core/util/sha256.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShotAndFile) {
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  Sha256 h;
  h.Update(absl::string_view(data).substr(0, 12345));
  h.Update(absl::string_view(data).substr(12345));
  std::string whole = Sha256Hex(data);
  EXPECT_EQ(h.HexDigest(), whole);
  std::string path = ::testing::TempDir() + "/sha256_test.bin";
  std::ofstream(path, std::ios::binary) << data;
  auto file = Sha256File(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, whole);
  auto head = Sha256File(path, 100);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, Sha256Hex(data.substr(0, 100)));
  EXPECT_TRUE(IsSha256Hex(whole));
  EXPECT_FALSE(IsSha256Hex("ABC"));
  EXPECT_FALSE(Sha256File(::testing::TempDir() + "/nope").ok());
}

}  // namespace
}  // namespace seedlm
