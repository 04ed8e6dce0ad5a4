#include "server/coordinator/job_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/util/crc32.h"
#include "gtest/gtest.h"
#include "server/coordinator/job_store_test_util.h"

namespace seedlm::coordinator {
namespace {

namespace fs = std::filesystem;

TEST_F(JobStoreTest, JobRoundTripUpdateAndErrors) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->dir(), dir_);
  struct stat st;
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  JobRecord job = MakeJob("job-1");
  ASSERT_TRUE(store->CreateJob(job).ok());
  absl::StatusOr<JobRecord> got = store->GetJob("job-1");
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectJobEq(*got, job);
  EXPECT_EQ(store->CreateJob(job).code(), absl::StatusCode::kAlreadyExists);

  job.phase = JobPhase::kSucceeded;
  job.error = "none";
  job.result_path = store->ResultPath("job-1");
  job.result_size = (uint64_t{1} << 63) + 5;  // the top bit survives
  job.result_sha256 = std::string(64, 'f');
  job.update_time = 200;
  ASSERT_TRUE(store->UpdateJob(job).ok());
  got = store->GetJob("job-1");
  ASSERT_TRUE(got.ok());
  ExpectJobEq(*got, job);
  EXPECT_TRUE(IsTerminal(got->phase));
  EXPECT_FALSE(IsTerminal(JobPhase::kAssembling));

  EXPECT_EQ(store->GetJob("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateJob(MakeJob("nope")).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->DeleteJob("nope").code(), absl::StatusCode::kNotFound);
  JobRecord bad = MakeJob("job-2");
  bad.phase = static_cast<JobPhase>(9);
  EXPECT_EQ(store->CreateJob(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(JobStoreTest, UnitRoundTripInUnitOrder) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  UnitRecord bias;
  bias.job_id = "j";
  bias.unit = 0;
  bias.kind = 0;
  bias.bias = -3;
  bias.worker = "w";
  const std::vector<uint8_t> p2 = Bytes(1000, 2), p1 = Bytes(17, 1);
  const UnitRecord u2 = MakeUnit("j", 2, p2), u1 = MakeUnit("j", 1, p1);
  ASSERT_TRUE(store->RecordUnit(u2, p2).ok());
  ASSERT_TRUE(store->RecordUnit(bias, {}).ok());
  ASSERT_TRUE(store->RecordUnit(u1, p1).ok());

  absl::StatusOr<std::vector<UnitRecord>> units = store->ListUnits("j");
  ASSERT_TRUE(units.ok()) << units.status();
  ASSERT_EQ(units->size(), 3u);
  ExpectUnitEq((*units)[0], bias);
  ExpectUnitEq((*units)[1], u1);
  ExpectUnitEq((*units)[2], u2);
  EXPECT_EQ(*store->ReadUnitPayload(u2), p2);
  EXPECT_EQ(*store->ReadUnitPayload(u1), p1);
  EXPECT_TRUE(store->ReadUnitPayload(bias)->empty());
  EXPECT_FALSE(fs::exists(store->UnitPayloadPath("j", 0)));
  EXPECT_EQ(ReadAll(store->UnitPayloadPath("j", 2)),
            std::string(p2.begin(), p2.end()));
  EXPECT_TRUE(store->ListUnits("other")->empty());
}

TEST_F(JobStoreTest, UploadRoundTrip) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  UploadRecord up{"up-1", "bob", false, 0, "", 50};
  ASSERT_TRUE(store->CreateUpload(up).ok());
  EXPECT_TRUE(fs::is_directory(store->UploadDir("up-1")));
  EXPECT_EQ(store->CreateUpload(up).code(), absl::StatusCode::kAlreadyExists);
  up.complete = true;
  up.size_bytes = 123456789012;
  up.sha256 = std::string(64, '0');
  ASSERT_TRUE(store->UpdateUpload(up).ok());
  absl::StatusOr<UploadRecord> got = store->GetUpload("up-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->owner, "bob");
  EXPECT_TRUE(got->complete);
  EXPECT_EQ(got->size_bytes, up.size_bytes);
  EXPECT_EQ(got->sha256, up.sha256);
  EXPECT_EQ(got->create_time, 50);
  ASSERT_TRUE(store->CreateUpload({"up-0", "bob", false, 0, "", 40}).ok());
  absl::StatusOr<std::vector<UploadRecord>> all = store->ListUploads();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "up-0");
  EXPECT_EQ((*all)[1].id, "up-1");

  std::ofstream(store->UploadDir("up-1") + "/chunk") << "data";
  ASSERT_TRUE(store->DeleteUpload("up-1").ok());
  EXPECT_FALSE(fs::exists(store->UploadDir("up-1")));
  EXPECT_EQ(store->GetUpload("up-1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->DeleteUpload("up-1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateUpload(up).code(), absl::StatusCode::kNotFound);
}

TEST_F(JobStoreTest, SecondRecordUnitIsRefusedAndLeavesTheFile) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  const std::vector<uint8_t> first = Bytes(64, 1), second = Bytes(64, 2);
  ASSERT_TRUE(store->RecordUnit(MakeUnit("j", 3, first), first).ok());
  EXPECT_EQ(store->RecordUnit(MakeUnit("j", 3, second), second).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll(store->UnitPayloadPath("j", 3)),
            std::string(first.begin(), first.end()));
  EXPECT_EQ(store->ListUnits("j")->at(0).payload_crc32,
            Crc32(first.data(), first.size()));
}

TEST_F(JobStoreTest, SizeOrCrcMismatchIsRejected) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  const std::vector<uint8_t> p = Bytes(100, 4);
  UnitRecord size = MakeUnit("j", 1, p);
  size.payload_bytes = 99;
  EXPECT_EQ(store->RecordUnit(size, p).code(),
            absl::StatusCode::kInvalidArgument);
  UnitRecord crc = MakeUnit("j", 1, p);
  crc.payload_crc32 ^= 1;
  EXPECT_EQ(store->RecordUnit(crc, p).code(),
            absl::StatusCode::kInvalidArgument);
  UnitRecord kind = MakeUnit("j", 1, p);
  kind.kind = 2;
  EXPECT_EQ(store->RecordUnit(kind, p).code(),
            absl::StatusCode::kInvalidArgument);
  UnitRecord bias = MakeUnit("j", 1, p);
  bias.kind = 0;  // a bias unit with a payload
  EXPECT_EQ(store->RecordUnit(bias, p).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->ListUnits("j")->empty());
  EXPECT_FALSE(fs::exists(store->UnitPayloadPath("j", 1)));
  EXPECT_EQ(store->RecordUnit(MakeUnit("ghost", 1, p), p).code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(store->UnitPayloadPath("ghost", 1)));
}

TEST_F(JobStoreTest, ReadUnitPayloadDetectsDamage) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  const std::vector<uint8_t> p = Bytes(100, 4);
  const UnitRecord u = MakeUnit("j", 0, p);
  ASSERT_TRUE(store->RecordUnit(u, p).ok());
  const std::string path = store->UnitPayloadPath("j", 0);
  std::string flipped(p.begin(), p.end());
  flipped[50] ^= 0x10;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
  EXPECT_EQ(store->ReadUnitPayload(u).status().code(),
            absl::StatusCode::kDataLoss);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "short";
  EXPECT_EQ(store->ReadUnitPayload(u).status().code(),
            absl::StatusCode::kDataLoss);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << std::string(p.begin(), p.end()) << "x";
  EXPECT_EQ(store->ReadUnitPayload(u).status().code(),
            absl::StatusCode::kDataLoss);
  fs::remove(path);
  EXPECT_EQ(store->ReadUnitPayload(u).status().code(),
            absl::StatusCode::kDataLoss);
  // The caller's remedy: forget the unit, then record it again.
  ASSERT_TRUE(store->DeleteUnit("j", 0).ok());
  EXPECT_EQ(store->DeleteUnit("j", 0).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ListUnits("j")->empty());
  ASSERT_TRUE(store->RecordUnit(u, p).ok());
  EXPECT_EQ(*store->ReadUnitPayload(u), p);
  ASSERT_TRUE(store->DeleteUnit("j", 0).ok());
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(JobStoreTest, DeleteJobRemovesRowsAndFiles) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("gone")).ok());
  ASSERT_TRUE(store->CreateJob(MakeJob("stays")).ok());
  const std::vector<uint8_t> p = Bytes(10, 1);
  for (const char* id : {"gone", "stays"}) {
    for (int64_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(store->RecordUnit(MakeUnit(id, i, p), p).ok());
    }
    std::ofstream(store->ResultPath(id)) << "result";
  }
  ASSERT_TRUE(store->DeleteJob("gone").ok());
  EXPECT_EQ(store->GetJob("gone").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ListUnits("gone")->empty());
  EXPECT_FALSE(fs::exists(dir_ + "/units/gone"));
  EXPECT_FALSE(fs::exists(store->ResultPath("gone")));
  EXPECT_EQ(store->DeleteJob("gone").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->RecordUnit(MakeUnit("gone", 9, p), p).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->ListUnits("stays")->size(), 3u);
  EXPECT_TRUE(fs::exists(store->UnitPayloadPath("stays", 2)));
  EXPECT_TRUE(fs::exists(store->ResultPath("stays")));
  // A new job may reuse the id and starts with no units.
  ASSERT_TRUE(store->CreateJob(MakeJob("gone")).ok());
  EXPECT_TRUE(store->ListUnits("gone")->empty());
}

TEST_F(JobStoreTest, FindByRequestIdIsPerOwner) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  JobRecord a = MakeJob("a");
  a.request_id = "r1";
  JobRecord b = MakeJob("b");
  b.owner = "bob";
  b.request_id = "r1";
  JobRecord none1 = MakeJob("n1"), none2 = MakeJob("n2");  // no request id
  for (const JobRecord* j : {&a, &b, &none1, &none2}) {
    ASSERT_TRUE(store->CreateJob(*j).ok()) << j->id;
  }
  JobRecord dup = MakeJob("c");
  dup.request_id = "r1";
  EXPECT_EQ(store->CreateJob(dup).code(), absl::StatusCode::kAlreadyExists);

  auto found = store->FindByRequestId("alice", "r1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "a");
  found = store->FindByRequestId("bob", "r1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, "b");
  EXPECT_FALSE(store->FindByRequestId("carol", "r1")->has_value());
  EXPECT_FALSE(store->FindByRequestId("alice", "r2")->has_value());
  EXPECT_FALSE(store->FindByRequestId("alice", "")->has_value());
}

TEST_F(JobStoreTest, ListJobsNewestFirst) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("b", 10)).ok());
  ASSERT_TRUE(store->CreateJob(MakeJob("a", 20)).ok());
  ASSERT_TRUE(store->CreateJob(MakeJob("c", 10)).ok());
  ASSERT_TRUE(store->CreateJob(MakeJob("d", 5)).ok());
  absl::StatusOr<std::vector<JobRecord>> jobs = store->ListJobs();
  ASSERT_TRUE(jobs.ok());
  std::vector<std::string> ids;
  for (const JobRecord& j : *jobs) ids.push_back(j.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "c", "b", "d"}));
}

TEST_F(JobStoreTest, HostileIdsAreRejected) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const std::vector<uint8_t> p = Bytes(4, 0);
  for (const std::string& id :
       {std::string("../x"), std::string(""), std::string(65, 'a'),
        std::string("a/b"), std::string("a b"), std::string("x\0y", 3),
        std::string(".")}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(store->CreateJob(MakeJob(id)).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->GetJob(id).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->DeleteJob(id).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->RecordUnit(MakeUnit(id, 0, p), p).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store->CreateUpload({id, "o", false, 0, "", 0}).code(),
              absl::StatusCode::kInvalidArgument);
    JobRecord with_upload = MakeJob("ok");
    with_upload.upload_id = id.empty() ? "a/b" : id;
    EXPECT_EQ(store->CreateJob(with_upload).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(store->ListJobs()->empty());
  EXPECT_TRUE(fs::is_empty(dir_ + "/uploads"));
  const std::string longest(64, 'Z');
  EXPECT_TRUE(store->CreateJob(MakeJob(longest)).ok());
  EXPECT_TRUE(store->CreateJob(MakeJob("A-z_09")).ok());
  EXPECT_TRUE(ValidateId(longest, "id").ok());
}

}  // namespace
}  // namespace seedlm::coordinator
