// Smoke test of `seedlm-bench perplexity` (path in $SEEDLM_BENCH): one preset,
// one RTN baseline and a short WikiText prefix on the real stories260K model.
// Checks the table's invariants (FP32 against itself has no divergence; a
// quantized model diverges; the bits match the formats), so a broken row
// loader or baseline hook fails here.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/subprocess.h"

namespace seedlm {
namespace {

// Runs `command` through the tests' subprocess helper (with a deadline),
// returns its stdout; *status gets the exit code (-1: killed or not run).
std::string RunCommand(const std::string& command, int* status) {
  auto r = testing::RunSubprocess({"/bin/sh", "-c", command});
  *status = r.ok() ? r->exit_code : -1;
  return r.ok() ? r->out : std::string(r.status().message());
}

TEST(PerplexityTableSmokeTest, RowsHaveTheirInvariants) {
  SEEDLM_NEED_SHARED_FILE(SharedDataPath("data/stories260K/stories260K.bin"));
  const char* bench = std::getenv("SEEDLM_BENCH");
  ASSERT_NE(bench, nullptr);
  int status = 0;
  const std::string out =
      RunCommand(std::string(bench) +
                     " perplexity --presets 4bit --modes search --baselines "
                     "rtn-int4-asym-g64 --wiki-chars 3000 --threads 2 --json",
                 &status);
  ASSERT_EQ(status, 0) << out;
  const auto rows = nlohmann::json::parse(out);
  ASSERT_EQ(rows.size(), 3u);
  const auto& fp = rows[0];
  EXPECT_EQ(fp["weights"], "FP32");
  EXPECT_EQ(fp["tinystories"]["tokens"], 1804);
  EXPECT_NEAR(fp["tinystories"]["perplexity"].get<double>(), 3.548, 0.0015);
  for (const char* text : {"tinystories", "wikitext"}) {
    EXPECT_NEAR(fp[text]["kl_mean"].get<double>(), 0, 1e-12);
    EXPECT_EQ(fp[text]["top1_agree"], 1.0);
    for (int i = 1; i < 3; ++i) {
      const auto& r = rows[i];
      EXPECT_EQ(r["error"], "") << r;
      EXPECT_EQ(r[text]["tokens"], fp[text]["tokens"]);
      EXPECT_GT(r[text]["kl_mean"].get<double>(), 0.005) << r;
      EXPECT_LT(r[text]["top1_agree"].get<double>(), 1.0) << r;
      EXPECT_GT(r[text]["perplexity"].get<double>(),
                fp[text]["perplexity"].get<double>() * 0.9);
    }
  }
  // 4bit: 32 bits per block of 8, rows of 172 padded to 176.
  EXPECT_NEAR(rows[1]["bits_per_weight"].get<double>(), 4.02, 0.01);
  EXPECT_NEAR(rows[1]["rel_error"].get<double>(), 0.12, 0.01);
  // int4 asymmetric g64 with fp16 scale + zero: 4.5 bits (+ short groups).
  EXPECT_NEAR(rows[2]["bits_per_weight"].get<double>(), 4.55, 0.06);
  EXPECT_NEAR(rows[2]["rel_error"].get<double>(), 0.09, 0.01);
}

}  // namespace
}  // namespace seedlm
