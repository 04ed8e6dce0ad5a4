// The checkpoint directory is the tool's own: it is marked, never confused
// with a user's file, and hostile manifests and entries are errors, not
// crashes.
#include "core/compress/checkpoint.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/model/model_test_util.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

namespace fs = std::filesystem;
using testing_util::ScratchDir;

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

// Writes tensor `index` with `payload` into `ckpt`.
void WriteTensor(Checkpoint& ckpt, size_t index, const std::string& payload) {
  ASSERT_TRUE(ckpt.BeginTensor(index).ok());
  ASSERT_TRUE(ckpt.Append(absl::MakeConstSpan(
                              reinterpret_cast<const uint8_t*>(payload.data()),
                              payload.size()))
                  .ok());
  CheckpointEntry e;
  e.input_crc = 7;
  e.sq_error = 0.5;
  e.sq_norm = 2;
  e.exponent_bias = -3;
  ASSERT_TRUE(ckpt.CommitTensor(index, e).ok());
}

TEST(CheckpointTest, ManifestCarriesTheMarkerAndEntriesRoundTrip) {
  ScratchDir dir;
  const std::string out = dir.File("m.seedlm");
  auto ckpt = Checkpoint::Open(out, "fp", false);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  WriteTensor(**ckpt, 3, "payload");
  auto manifest = ParseJson(
      *ReadFileToString(out + ".ckpt/manifest.json", 1 << 20), "manifest");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ((*manifest)["format"], kCheckpointFormat);
  EXPECT_EQ((*manifest)["fingerprint"], "fp");
  CheckpointEntry e;
  ASSERT_TRUE((*ckpt)->Lookup(3, 7, &e));
  EXPECT_EQ(e.payload_bytes, 7u);
  EXPECT_EQ(e.exponent_bias, -3);
  EXPECT_EQ(e.sq_error, 0.5);
  EXPECT_FALSE((*ckpt)->Lookup(3, 8, &e));  // other input bytes

  auto resumed = Checkpoint::Open(out, "fp", true);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_TRUE((*resumed)->Lookup(3, 7, &e));
  // Without --resume our own checkpoint starts over.
  auto fresh = Checkpoint::Open(out, "fp2", false);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE((*fresh)->Lookup(3, 7, &e));
  EXPECT_EQ(Entries(out + ".ckpt"), (std::set<std::string>{"manifest.json"}));
  ASSERT_TRUE((*fresh)->Remove().ok());
  EXPECT_FALSE(fs::exists(out + ".ckpt"));
}

// `seedlm compress M model` used to delete a user's "model.ckpt".
TEST(CheckpointTest, UsersFileOrDirectoryIsRefusedAndKept) {
  ScratchDir dir;
  const std::string user_dir = dir.File("a.ckpt");
  ASSERT_TRUE(fs::create_directory(user_dir));
  dir.Write("a.ckpt/notes.txt", "mine");
  dir.Write("b.ckpt", "my file");
  ASSERT_TRUE(fs::create_directory(dir.File("c.ckpt")));
  dir.Write("c.ckpt/manifest.json", "{\"something\": \"else\"}");
  ASSERT_EQ(::symlink("a.ckpt", dir.File("d.ckpt").c_str()), 0);
  for (const char* out : {"a", "b", "c", "d"}) {
    for (bool resume : {false, true}) {
      const absl::Status s =
          Checkpoint::Open(dir.File(out), "fp", resume).status();
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      EXPECT_NE(s.message().find("is not a SeedLM checkpoint"),
                std::string::npos)
          << s;
    }
  }
  EXPECT_EQ(testing_util::ReadAll(dir.File("a.ckpt/notes.txt")), "mine");
  EXPECT_EQ(testing_util::ReadAll(dir.File("b.ckpt")), "my file");
  EXPECT_EQ(Entries(dir.File("c.ckpt")),
            (std::set<std::string>{"manifest.json"}));
  EXPECT_TRUE(fs::is_symlink(dir.File("d.ckpt")));
}

// A manifest whose fields have the wrong JSON type used to throw out of
// nlohmann (an uncaught exception: the process aborted).
TEST(CheckpointTest, WrongTypeManifestIsAnError) {
  ScratchDir dir;
  ASSERT_TRUE(fs::create_directory(dir.File("old.ckpt")));
  dir.Write("old.ckpt/manifest.json",
            R"({"version": "1", "fingerprint": "fp"})");
  EXPECT_EQ(Checkpoint::Open(dir.File("old"), "fp", true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs::create_directory(dir.File("new.ckpt")));
  dir.Write("new.ckpt/manifest.json",
            R"({"format": "seedlm-checkpoint", "version": 2,
                "fingerprint": 17})");
  const absl::Status s = Checkpoint::Open(dir.File("new"), "fp", true).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("manifest.fingerprint: expected a string"),
            std::string::npos)
      << s;
  // Without --resume it is ours (marked), so it starts over.
  EXPECT_TRUE(Checkpoint::Open(dir.File("new"), "fp", false).ok());
}

// A version-1 checkpoint (before the marker) is still ours.
TEST(CheckpointTest, LegacyManifestIsRecognised) {
  ScratchDir dir;
  ASSERT_TRUE(fs::create_directory(dir.File("v1.ckpt")));
  dir.Write("v1.ckpt/manifest.json", R"({"version": 1, "fingerprint": "fp"})");
  dir.Write("v1.ckpt/tensor-0.payload", "x");
  EXPECT_TRUE(Checkpoint::Open(dir.File("v1"), "fp", true).ok());
  EXPECT_EQ(Checkpoint::Open(dir.File("v1"), "other", true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Checkpoint::Open(dir.File("v1"), "fp", false).ok());
  EXPECT_EQ(Entries(dir.File("v1.ckpt")),
            (std::set<std::string>{"manifest.json"}));
}

// Entries with wrong types used to throw; now they are recomputed.
TEST(CheckpointTest, WrongTypeEntryIsNotReused) {
  ScratchDir dir;
  const std::string out = dir.File("m");
  auto ckpt = Checkpoint::Open(out, "fp", false);
  ASSERT_TRUE(ckpt.ok());
  WriteTensor(**ckpt, 0, "abc");
  std::string entry = *ReadFileToString(out + ".ckpt/tensor-0.json", 1 << 16);
  for (const char* bad :
       {R"({"input_crc": "7"})", "[1, 2]", "{", R"({"input_crc": 7,
        "payload_bytes": -1, "payload_crc": 0, "sq_error": 0, "sq_norm": 0,
        "seconds": 0, "exponent_bias": 0})"}) {
    ASSERT_TRUE(WriteFileAtomically(out + ".ckpt/tensor-0.json", bad).ok());
    CheckpointEntry e;
    EXPECT_FALSE((*ckpt)->Lookup(0, 7, &e)) << bad;
  }
  ASSERT_TRUE(WriteFileAtomically(out + ".ckpt/tensor-0.json", entry).ok());
  CheckpointEntry e;
  EXPECT_TRUE((*ckpt)->Lookup(0, 7, &e));
}

// Remove() deletes what the tool wrote, nothing else; a user's file inside
// keeps the directory.
TEST(CheckpointTest, RemoveDeletesOnlyItsOwnFiles) {
  ScratchDir dir;
  const std::string out = dir.File("m");
  auto ckpt = Checkpoint::Open(out, "fp", false);
  ASSERT_TRUE(ckpt.ok());
  WriteTensor(**ckpt, 0, "abc");
  WriteTensor(**ckpt, 12, "defg");
  dir.Write("m.ckpt/tensor-1.payload.tmp.123.4", "stale temp");
  dir.Write("m.ckpt/notes.txt", "mine");
  dir.Write("m.ckpt/tensor-x.json", "mine too");
  ASSERT_TRUE((*ckpt)->Remove().ok());
  EXPECT_EQ(Entries(out + ".ckpt"),
            (std::set<std::string>{"notes.txt", "tensor-x.json"}));
}

}  // namespace
}  // namespace seedlm
