// Smoke test of `seedlm-bench coordinator` (binaries in $SEEDLM_BENCH,
// $SEEDLM_COORDINATOR and $SEEDLM_CLI, set by CMake): a real coordinator fed
// by two fake workers on a tiny model, with and without verification. The
// job's result must be byte for byte what `seedlm compress` writes for the
// same model (so wrong precomputed answers fail here even with
// --verify-blocks 0), and the counters must add up to the model's units and
// bytes. A few seconds.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/subprocess.h"

namespace {

using seedlm::testing::RunSubprocess;
using seedlm::testing::SubprocessResult;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

SubprocessResult RunArgv(const std::vector<std::string>& argv) {
  auto r = RunSubprocess(argv);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : SubprocessResult{};
}

std::string Sha256(const std::string& path) {
  const SubprocessResult r = RunArgv({"/usr/bin/sha256sum", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.substr(0, r.out.find(' '));
}

class CoordinatorBenchSmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bench_ = Env("SEEDLM_BENCH");
    coordinator_ = Env("SEEDLM_COORDINATOR");
    cli_ = Env("SEEDLM_CLI");
    ASSERT_FALSE(bench_.empty() || coordinator_.empty() || cli_.empty())
        << "SEEDLM_BENCH, SEEDLM_COORDINATOR, SEEDLM_CLI: run under ctest";
    dir_ = ::testing::TempDir() + "/coordinator_bench_smoke." +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The bench on 2 tensors of 64 x 256 (32 blocks per row; 8-row units of
  // 256 blocks: 16 units) with `extra` flags.
  SubprocessResult Bench(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {bench_,
                                     "coordinator",
                                     "--coordinator-bin",
                                     coordinator_,
                                     "--preset",
                                     "4bit",
                                     "--tensors",
                                     "2",
                                     "--rows",
                                     "64",
                                     "--cols",
                                     "256",
                                     "--period-rows",
                                     "32",
                                     "--unit-blocks",
                                     "256",
                                     "--threads",
                                     "2",
                                     "--work-dir",
                                     dir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunArgv(argv);
  }

  std::string bench_, coordinator_, cli_, dir_;
};

TEST_F(CoordinatorBenchSmokeTest, ResultIsTheLocalCompressAndCountersAddUp) {
  const SubprocessResult r =
      Bench({"--workers", "2", "--verify-blocks", "8,0", "--keep", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out;
  EXPECT_EQ(j.at("units"), 16);
  EXPECT_EQ(j.at("blocks"), 2 * 64 * 32);
  // Rows repeat every 32 rows and both tensors are equal: 4 distinct units.
  EXPECT_EQ(j.at("prepared_searches"), 4);
  ASSERT_EQ(j.at("runs").size(), 2u);

  const std::string model = dir_ + "/model/model.safetensors";
  const std::string local = dir_ + "/local.seedlm";
  const SubprocessResult c =
      RunArgv({cli_, "compress", model, local, "--preset", "4bit"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string want = Sha256(local);
  ASSERT_EQ(want.size(), 64u);

  for (const nlohmann::json& run : j.at("runs")) {
    SCOPED_TRACE(run.dump());
    EXPECT_EQ(run.at("workers"), 2);
    EXPECT_EQ(run.at("units"), 16);
    EXPECT_EQ(run.at("result_sha256"), want);
    EXPECT_EQ(run.at("result_bytes"), std::filesystem::file_size(local));
    // bf16 rows sent (2 bytes a weight), 4-byte blocks received.
    EXPECT_EQ(run.at("rows_bytes"), 2 * 64 * 256 * 2);
    EXPECT_EQ(run.at("payload_bytes"), 2 * 64 * 32 * 4);
    EXPECT_GT(run.at("units_per_second").get<double>(), 0);
    EXPECT_GT(run.at("phase_seconds").get<double>(), 0);
    EXPECT_GE(run.at("cpu_seconds").get<double>(), 0);
    EXPECT_GT(run.at("peak_rss_mib").get<double>(), 1);
  }
  EXPECT_EQ(j.at("runs")[0].at("verify_blocks"), 8);
  EXPECT_EQ(j.at("runs")[1].at("verify_blocks"), 0);
}

TEST_F(CoordinatorBenchSmokeTest, BadFlagsAndAMissingCoordinatorFail) {
  EXPECT_EQ(Bench({"--workers", "0"}).exit_code, 2);
  EXPECT_EQ(Bench({"--verify-blocks", "x"}).exit_code, 2);
  EXPECT_EQ(Bench({"--no-such-flag"}).exit_code, 2);
  const SubprocessResult r = RunArgv({bench_,
                                      "coordinator",
                                      "--coordinator-bin",
                                      dir_ + "/no-such-binary",
                                      "--preset",
                                      "4bit",
                                      "--tensors",
                                      "1",
                                      "--rows",
                                      "8",
                                      "--cols",
                                      "64",
                                      "--period-rows",
                                      "8",
                                      "--work-dir",
                                      dir_,
                                      "--workers",
                                      "1",
                                      "--verify-blocks",
                                      "0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no-such-binary"), std::string::npos) << r.err;
}

}  // namespace
