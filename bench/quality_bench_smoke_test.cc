// Smoke test of the `seedlm-bench quality` binary (path in $SEEDLM_BENCH, set
// by CMake): runs it on a small Gaussian sample, parses the JSON and checks
// the errors against bands around spec §7's figures, so that a broken search,
// decode or baseline fails here.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/subprocess.h"

namespace {

// Runs `command` through the tests' subprocess helper (with a deadline),
// returns its stdout; *status gets the exit code (-1: killed or not run).
std::string RunCommand(const std::string& command, int* status) {
  auto r = seedlm::testing::RunSubprocess({"/bin/sh", "-c", command});
  *status = r.ok() ? r->exit_code : -1;
  return r.ok() ? r->out : std::string(r.status().message());
}

const nlohmann::json* FindRow(const nlohmann::json& rows,
                              const std::string& method,
                              const std::string& data) {
  for (const nlohmann::json& r : rows) {
    if (r.at("method") == method && r.at("data") == data) return &r;
  }
  return nullptr;
}

TEST(QualityBenchSmokeTest, GaussianErrorsAreInTheSpecBands) {
  const char* bench = std::getenv("SEEDLM_BENCH");
  ASSERT_NE(bench, nullptr) << "SEEDLM_BENCH is not set (run under ctest)";
  int status = 0;
  const std::string out = RunCommand(
      std::string(bench) +
          " quality --blocks 64 --presets 4bit --modes search --data "
          "gaussian --sigmas 0.02 --cols 1024 --threads 2 --json",
      &status);
  ASSERT_EQ(status, 0) << "status " << status << ", output:\n" << out;
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "not JSON:\n" << out;
  const nlohmann::json& rows = j.at("rows");

  const nlohmann::json* seedlm = FindRow(rows, "seedlm", "gaussian-0.02");
  ASSERT_NE(seedlm, nullptr) << out;
  EXPECT_EQ(seedlm->at("preset"), "4bit");
  EXPECT_EQ(seedlm->at("mode"), "search");
  EXPECT_DOUBLE_EQ(seedlm->at("bits_per_weight").get<double>(), 4.0);
  EXPECT_GE(seedlm->at("blocks").get<int64_t>(), 64);
  const double e = seedlm->at("rel_error").get<double>();
  EXPECT_GE(e, 0.10);
  EXPECT_LE(e, 0.14);

  const nlohmann::json* g32 =
      FindRow(rows, "rtn-int4-absmax-g32", "gaussian-0.02");
  ASSERT_NE(g32, nullptr) << out;
  EXPECT_DOUBLE_EQ(g32->at("bits_per_weight").get<double>(), 4.5);
  const double r = g32->at("rel_error").get<double>();
  EXPECT_GE(r, 0.08);
  EXPECT_LE(r, 0.11);
  // No model rows with --data gaussian.
  EXPECT_EQ(FindRow(rows, "seedlm", "model"), nullptr);
}

}  // namespace
