// Test helpers shared by job_store_test.cc and job_store_recovery_test.cc:
// record builders, field-by-field comparisons and a fixture that gives each
// test a fresh state directory (removed afterwards).
#ifndef SEEDLM_SERVER_COORDINATOR_JOB_STORE_TEST_UTIL_H_
#define SEEDLM_SERVER_COORDINATOR_JOB_STORE_TEST_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/util/crc32.h"
#include "gtest/gtest.h"
#include "server/coordinator/job_store.h"

namespace seedlm::coordinator {

inline std::vector<uint8_t> Bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

inline JobRecord MakeJob(const std::string& id, int64_t create_time = 100) {
  JobRecord j;
  j.id = id;
  j.owner = "alice";
  j.display_name = "llama " + id;
  j.spec = std::string("spec\0with\xff nul", 14);
  j.model_path = "/models/m.bin";
  j.tokenizer_path = "/models/tok.bin";
  j.input_sha256 = std::string(64, 'a');
  j.create_time = create_time;
  j.update_time = create_time;
  return j;
}

inline UnitRecord MakeUnit(const std::string& job, int64_t unit,
                           const std::vector<uint8_t>& payload) {
  UnitRecord u;
  u.job_id = job;
  u.unit = unit;
  u.kind = 1;
  u.sq_error = 0.25 + unit;
  u.sq_norm = 1e9 + unit;
  u.payload_bytes = payload.size();
  u.payload_crc32 = Crc32(payload.data(), payload.size());
  u.worker = "worker-" + std::to_string(unit % 3);
  u.finish_time = 1000 + unit;
  return u;
}

inline void ExpectJobEq(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.request_id, b.request_id);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.spec, b.spec);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.model_path, b.model_path);
  EXPECT_EQ(a.tokenizer_path, b.tokenizer_path);
  EXPECT_EQ(a.upload_id, b.upload_id);
  EXPECT_EQ(a.input_sha256, b.input_sha256);
  EXPECT_EQ(a.result_path, b.result_path);
  EXPECT_EQ(a.result_size, b.result_size);
  EXPECT_EQ(a.result_sha256, b.result_sha256);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.update_time, b.update_time);
}

inline void ExpectUnitEq(const UnitRecord& a, const UnitRecord& b) {
  EXPECT_EQ(a.job_id, b.job_id);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.bias, b.bias);
  EXPECT_EQ(a.sq_error, b.sq_error);
  EXPECT_EQ(a.sq_norm, b.sq_norm);
  EXPECT_EQ(a.payload_bytes, b.payload_bytes);
  EXPECT_EQ(a.payload_crc32, b.payload_crc32);
  EXPECT_EQ(a.worker, b.worker);
  EXPECT_EQ(a.finish_time, b.finish_time);
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/job_store_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<JobStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(dir_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string root_, dir_;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_JOB_STORE_TEST_UTIL_H_
