#include "core/compress/container_assembly.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/compress/plan_test_util.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::OddCodec;
using testing_util::ScratchDir;
using testing_util::WriteOddModel;

enum class Order { kShuffled, kReversed };

// What a coordinator does with remote workers, in one process: bias units
// first (in reverse), then every row unit in `order`, kept in memory.
struct Distributed {
  CompressionPlan plan;
  std::vector<int> biases;
  std::map<size_t, UnitResult> units;
};

Distributed CompressUnits(const ModelSource& source, const CompressOptions& o,
                          int64_t unit_blocks, Order order) {
  Distributed d;
  d.plan = *PlanCompression(source, o, unit_blocks);
  d.biases.assign(d.plan.tensors.size(), 0);
  std::vector<size_t> bias_units, row_units;
  for (size_t u = 0; u < d.plan.units.size(); ++u) {
    (d.plan.units[u].kind == UnitKind::kChooseBias ? bias_units : row_units)
        .push_back(u);
  }
  for (size_t t = 0; t < d.plan.tensors.size(); ++t) {
    d.biases[t] = d.plan.tensors[t].exponent_bias.value_or(0);
  }
  std::reverse(bias_units.begin(), bias_units.end());
  for (size_t u : bias_units) {
    auto b = ChooseUnitBias(d.plan, u, source, o.algorithm, nullptr, {});
    EXPECT_TRUE(b.ok()) << b.status();
    d.biases[d.plan.units[u].tensor] = b.value_or(0);
  }
  if (order == Order::kReversed) {
    std::reverse(row_units.begin(), row_units.end());
  } else {
    std::shuffle(row_units.begin(), row_units.end(), std::mt19937(11));
  }
  for (size_t u : row_units) {
    const int bias = d.biases[d.plan.units[u].tensor];
    auto r = CompressUnit(d.plan, u, bias, source, o.algorithm, nullptr, {});
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) d.units[u] = std::move(*r);
  }
  return d;
}

// Assembles `d` into `out`, serving payloads in 3-byte pieces; records the
// order in which units were asked for.
absl::Status Assemble(const ModelSource& source, const Distributed& d,
                      const std::string& out, std::vector<size_t>* asked) {
  return AssembleContainer(
      d.plan, source, d.biases,
      [&](size_t unit, const PayloadSink& sink) {
        asked->push_back(unit);
        const std::vector<uint8_t>& p = d.units.at(unit).payload;
        for (size_t i = 0; i < p.size(); i += 3) {
          const size_t n = std::min<size_t>(3, p.size() - i);
          absl::Status s = sink(absl::MakeConstSpan(p.data() + i, n));
          if (!s.ok()) return s;
        }
        return absl::OkStatus();
      },
      out);
}

std::vector<ErrorSums> TensorSums(const Distributed& d) {
  std::vector<ErrorSums> by_unit(d.plan.units.size());
  for (const auto& [u, r] : d.units) by_unit[u] = r.sums;
  return *CombineUnitErrors(d.plan, by_unit);
}

struct UnitRun {
  int64_t unit_blocks;
  Order order;
};
const UnitRun kAllRuns[] = {{3, Order::kShuffled},
                            {3, Order::kReversed},
                            {kDefaultUnitBlocks, Order::kShuffled},
                            {kDefaultUnitBlocks, Order::kReversed}};

// A distributed run writes the local run's bytes `want`; with the default
// units its table's sums are the local ones exactly.
void ExpectRunEqualsLocal(const ModelSource& source, const CompressOptions& o,
                          const ScratchDir& dir, const UnitRun& run,
                          const std::string& want,
                          const CompressReport& local) {
  SCOPED_TRACE(testing::Message() << run.unit_blocks << " blocks per unit, "
                                  << static_cast<int>(run.order));
  const Distributed d = CompressUnits(source, o, run.unit_blocks, run.order);
  const std::string out = dir.File("distributed.seedlm");
  std::vector<size_t> asked;
  ASSERT_TRUE(Assemble(source, d, out, &asked).ok());
  EXPECT_TRUE(std::is_sorted(asked.begin(), asked.end()));
  EXPECT_EQ(asked.size(), d.units.size());
  EXPECT_EQ(*ReadFileToString(out, 1 << 24), want);
  const std::vector<TensorReport> table =
      PlanReport(d.plan, d.biases, TensorSums(d));
  ASSERT_EQ(table.size(), local.tensors.size());
  for (size_t t = 0; t < table.size(); ++t) {
    const TensorReport& a = table[t];
    const TensorReport& b = local.tensors[t];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.storage, b.storage);
    EXPECT_EQ(a.payload_bytes, b.payload_bytes);
    EXPECT_EQ(a.exponent_bias, b.exponent_bias);
    EXPECT_NEAR(a.sq_error, b.sq_error, 1e-12 * b.sq_error) << a.name;
    if (run.unit_blocks == kDefaultUnitBlocks) {
      EXPECT_EQ(a.sq_error, b.sq_error) << a.name;
      EXPECT_EQ(a.sq_norm, b.sq_norm) << a.name;
    }
  }
}

void ExpectDistributedEqualsLocal(const ModelSource& source,
                                  const CompressOptions& o,
                                  const ScratchDir& dir,
                                  absl::Span<const UnitRun> runs) {
  const std::string local = dir.File("local.seedlm");
  auto report = CompressModel(source, local, o, nullptr, {});
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string want = *ReadFileToString(local, 1 << 24);
  for (const UnitRun& run : runs) {
    ExpectRunEqualsLocal(source, o, dir, run, want, *report);
  }
}

TEST(AssembleContainerTest, AnyUnitOrderGivesTheLocalBytesFixedBias) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias = -6;
  ExpectDistributedEqualsLocal(*source, o, dir, kAllRuns);
}

TEST(AssembleContainerTest, AnyUnitOrderGivesTheLocalBytesAutomaticBias) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  ExpectDistributedEqualsLocal(*source, o, dir, kAllRuns);
}

// A matrix of the real model with the default preset (automatic bias).
TEST(AssembleContainerTest, AnyUnitOrderGivesTheLocalBytesStories260K) {
  const std::string model = SharedDataPath("data/stories260K/stories260K.bin");
  SEEDLM_NEED_SHARED_FILE(model);
  ScratchDir dir;
  auto source = *OpenModel(model);
  CompressOptions o = CompressOptions::ForCodec(*PresetByName(kDefaultPreset));
  o.include = {"layers\\.0\\.feed_forward\\.w2\\."};
  // 8-row units of w2 (64 x 172: 22 blocks per row, the last padded).
  const UnitRun runs[] = {{64, Order::kReversed}};
  ExpectDistributedEqualsLocal(*source, o, dir, runs);
}

TEST(AssembleContainerTest, RejectsBadInputsAndLeavesNoFile) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias = -6;
  Distributed d = CompressUnits(*source, o, 10, Order::kReversed);
  const std::string out = dir.File("bad.seedlm");
  std::vector<size_t> asked;
  auto expect_fails = [&](const Distributed& bad, absl::StatusCode code) {
    EXPECT_EQ(Assemble(*source, bad, out, &asked).code(), code);
    EXPECT_FALSE(std::filesystem::exists(out));
  };
  Distributed bad = d;
  bad.biases.pop_back();
  expect_fails(bad, absl::StatusCode::kInvalidArgument);
  bad = d;
  bad.biases[0] = -5;  // the plan fixes -6
  expect_fails(bad, absl::StatusCode::kInvalidArgument);
  bad = d;
  bad.units.begin()->second.payload.pop_back();
  expect_fails(bad, absl::StatusCode::kDataLoss);
  bad = d;
  bad.units.rbegin()->second.payload.push_back(0);
  expect_fails(bad, absl::StatusCode::kDataLoss);
  EXPECT_EQ(AssembleContainer(
                d.plan, *source, d.biases,
                [](size_t, const PayloadSink&) {
                  return absl::UnavailableError("worker gone");
                },
                out)
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_TRUE(Assemble(*source, d, out, &asked).ok());
}

TEST(CombineUnitErrorsTest, SumsRowUnitsInOrder) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  const CompressionPlan plan = *PlanCompression(*source, o, 10);
  std::vector<ErrorSums> by_unit(plan.units.size());
  for (size_t u = 0; u < by_unit.size(); ++u) {
    by_unit[u].sq_error = plan.units[u].kind == UnitKind::kChooseBias ? 1e9 : u;
    by_unit[u].sq_norm = 1.0;
  }
  const std::vector<ErrorSums> sums = *CombineUnitErrors(plan, by_unit);
  const PlannedTensor& wq = plan.tensors[0];  // bias unit + 3 row units
  ASSERT_EQ(wq.num_units, 4u);
  const double f = static_cast<double>(wq.first_unit);
  EXPECT_EQ(sums[0].sq_error, (f + 1) + (f + 2) + (f + 3));
  EXPECT_EQ(sums[0].sq_norm, 3.0);
  EXPECT_EQ(sums[1].sq_norm, 0.0);  // stored
  by_unit.pop_back();
  EXPECT_EQ(CombineUnitErrors(plan, by_unit).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
