#include "server/coordinator/upload_receiver.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/model/model_test_util.h"
#include "core/util/crc32.h"
#include "gtest/gtest.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}
uint32_t Crc(const std::string& s) { return Crc32(s.data(), s.size()); }

TEST(UploadReceiverTest, ReceivesFilesInChunks) {
  ScratchDir dir;
  const std::string a(5000, 'a'), b = "bee", empty;
  std::vector<UploadFileSpec> files = {{"m/a.bin", a.size(), Sha256Hex(a)},
                                       {"e", 0, Sha256Hex(empty)},
                                       {"b.json", b.size(), Sha256Hex(b)}};
  auto r = UploadReceiver::Start(dir.File("up"), files, 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(
      (*r)->Write(0, 0, Bytes(a.substr(0, 1000)), Crc(a.substr(0, 1000))).ok());
  ASSERT_TRUE(
      (*r)->Write(0, 1000, Bytes(a.substr(1000)), Crc(a.substr(1000))).ok());
  ASSERT_TRUE((*r)->Write(2, 0, Bytes(b), Crc(b)).ok());
  auto digest = (*r)->Finish();
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, DirectoryDigest(files));
  std::ifstream in(dir.File("up/m/a.bin"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), a);
  EXPECT_TRUE(std::filesystem::exists(dir.File("up/e")));
  auto input = ModelInputSha256(dir.File("up"));
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(*input, *digest);
}

TEST(UploadReceiverTest, RefusesBadManifestsAndChunks) {
  ScratchDir dir;
  const std::string a = "hello world";
  const std::string sha = Sha256Hex(a);
  auto start = [&](std::vector<UploadFileSpec> f, const std::string& name) {
    return UploadReceiver::Start(dir.File(name), std::move(f), 100);
  };
  EXPECT_EQ(start({}, "u0").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start({{"../x", 1, sha}}, "u1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start({{"x", 1, "zz"}}, "u2").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start({{"x", 1, sha}, {"x", 1, sha}}, "u3").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start({{"x", 1, sha}, {"x/y", 1, sha}}, "u4").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(start({{"x", 101, sha}}, "u5").status().code(),
            absl::StatusCode::kResourceExhausted);

  auto r = start({{"x", a.size(), sha}}, "u6");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Write(0, 0, Bytes(a), Crc(a) ^ 1).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ((*r)->Write(0, 3, Bytes(a), Crc(a)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->Write(1, 0, Bytes(a), Crc(a)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->Write(0, 0, Bytes(a + "!"), Crc(a + "!")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->Finish().status().code(), absl::StatusCode::kDataLoss);

  // Bytes that do not match the manifest's sha256.
  auto t = start({{"x", a.size(), Sha256Hex("other text!")}}, "u7");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Write(0, 0, Bytes(a), Crc(a)).code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace seedlm::coordinator
