#include "core/compress/unit_compressor.h"

#include <random>
#include <vector>

#include "core/compress/plan_test_util.h"
#include "core/search/searcher_factory.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::OddCodec;
using testing_util::ScratchDir;
using testing_util::WriteOddModel;

TEST(CheckRowRangeTest, AlignmentAndRange) {
  EXPECT_TRUE(CheckRowRange(19, 0, 8).ok());
  EXPECT_TRUE(CheckRowRange(19, 8, 19).ok());  // ends at the last row
  EXPECT_TRUE(CheckRowRange(19, 16, 19).ok());
  EXPECT_TRUE(CheckRowRange(3, 0, 3).ok());
  EXPECT_TRUE(CheckRowRange(24, 8, 24).ok());
  for (auto [b, e] : {std::pair{4, 8}, {0, 5}, {8, 12}, {1, 19}}) {
    EXPECT_EQ(CheckRowRange(19, b, e).code(),
              absl::StatusCode::kInvalidArgument)
        << b << ".." << e;
  }
  for (auto [b, e] : {std::pair{0, 20}, {-8, 0}, {8, 8}, {16, 8}, {24, 32}}) {
    EXPECT_EQ(CheckRowRange(19, b, e).code(), absl::StatusCode::kOutOfRange)
        << b << ".." << e;
  }
}

// A 19 x 13 matrix of N(0, 0.02) weights.
std::vector<float> OddMatrix() {
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 0.02);
  std::vector<float> w(19 * 13);
  for (float& x : w) x = static_cast<float>(g(rng));
  return w;
}

// Aligned runs of rows, compressed on their own, concatenate into the whole
// matrix's payload (23-bit blocks: rows end mid-byte); the reader is asked
// only for rows inside the run.
TEST(CompressRowsTest, RunsConcatenateIntoTheMatrixPayload) {
  const std::vector<float> w = OddMatrix();
  SearchOptions so;
  so.codec = OddCodec();
  so.exponent_bias = -6;
  auto searcher = *CreateSearcher(so, SearchAlgorithm::kFast);
  const CompressedMatrix whole =
      *CompressMatrix(*searcher, w, 19, 13, nullptr, {});
  for (const std::vector<int64_t>& cuts :
       {std::vector<int64_t>{0, 8, 16, 19}, {0, 16, 19}, {0, 8, 19}}) {
    std::vector<uint8_t> cat;
    double se = 0, sn = 0;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const int64_t b = cuts[i], e = cuts[i + 1];
      auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
        EXPECT_GE(r0, b);
        EXPECT_LE(r1, e);
        std::copy(&w[r0 * 13], &w[r1 * 13], out.begin());
        return absl::OkStatus();
      };
      auto unit = CompressRows(so, SearchAlgorithm::kFast, 19, 13, b, e, read,
                               nullptr, {});
      ASSERT_TRUE(unit.ok()) << unit.status();
      const PayloadRange r = RowRangePayload(whole.geometry, b, e);
      EXPECT_EQ(r.offset, cat.size());
      EXPECT_EQ(unit->payload.size(), r.bytes);
      cat.insert(cat.end(), unit->payload.begin(), unit->payload.end());
      se += unit->sums.sq_error;
      sn += unit->sums.sq_norm;
    }
    EXPECT_EQ(cat, whole.payload);
    EXPECT_NEAR(se, whole.sq_error, 1e-12 * whole.sq_error);
    EXPECT_NEAR(sn, whole.sq_norm, 1e-12 * whole.sq_norm);
  }
}

TEST(CompressRowsTest, RejectsBadRangesBeforeReading) {
  SearchOptions so;
  so.codec = OddCodec();
  auto never = [](int64_t, int64_t, absl::Span<float>) {
    ADD_FAILURE() << "read called";
    return absl::OkStatus();
  };
  auto code = [&](int64_t b, int64_t e) {
    return CompressRows(so, SearchAlgorithm::kFast, 19, 13, b, e, never,
                        nullptr, {})
        .status()
        .code();
  };
  EXPECT_EQ(code(4, 12), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(0, 10), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(16, 24), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(code(8, 8), absl::StatusCode::kOutOfRange);
  so.exponent_bias = 200;
  EXPECT_EQ(code(0, 8), absl::StatusCode::kInvalidArgument);
}

// The odd codec with a bias that fits N(0, 0.02) weights.
CompressOptions OddFixedOptions() {
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias = -6;
  return o;
}

TEST(CompressUnitTest, PlanUnitsFromSourceOrReader) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  const CompressionPlan plan = *PlanCompression(*source, OddFixedOptions(), 10);
  const PlannedTensor& wq = plan.tensors[0];
  ASSERT_EQ(wq.num_units, 3u);
  const size_t last = wq.first_unit + 2;  // rows 16..18
  auto from_source = CompressUnit(plan, last, -6, *source,
                                  SearchAlgorithm::kFast, nullptr, {});
  ASSERT_TRUE(from_source.ok()) << from_source.status();
  EXPECT_EQ(from_source->payload.size(), plan.units[last].payload_bytes);
  // A worker that received only rows 16..18.
  const std::vector<float> all = *source->ReadFloat32(0);
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
    if (r0 < 16 || r1 > 19) return absl::OutOfRangeError("not sent");
    std::copy(&all[r0 * 13], &all[r1 * 13], out.begin());
    return absl::OkStatus();
  };
  auto from_reader = CompressUnit(plan, last, -6, read,
                                  SearchAlgorithm::kReference, nullptr, {});
  ASSERT_TRUE(from_reader.ok()) << from_reader.status();
  EXPECT_EQ(from_reader->payload, from_source->payload);
  EXPECT_EQ(from_reader->sums.sq_error, from_source->sums.sq_error);
  EXPECT_GT(from_reader->sums.rel_error(), 0.0);
}

TEST(CompressUnitTest, RejectsWrongUnitsAndBiases) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressionPlan plan = *PlanCompression(*source, OddFixedOptions(), 10);
  auto code = [&](size_t unit, int bias) {
    return CompressUnit(plan, unit, bias, *source, SearchAlgorithm::kFast,
                        nullptr, {})
        .status()
        .code();
  };
  EXPECT_EQ(code(plan.units.size(), -6), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(code(0, 3), absl::StatusCode::kInvalidArgument);  // plan fixes -6
  EXPECT_EQ(code(0, 128), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ChooseUnitBias(plan, 0, *source, SearchAlgorithm::kFast, nullptr, {})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);  // not a bias unit
  // A misaligned unit (a plan damaged on its way to a worker).
  plan.units[1].row_begin = 4;
  EXPECT_EQ(code(1, -6), absl::StatusCode::kInvalidArgument);
  plan.units[1].row_begin = 8;
  plan.units[1].row_end = 24;
  EXPECT_EQ(code(1, -6), absl::StatusCode::kOutOfRange);
  // Another model under the same plan.
  ScratchDir other_dir;
  const std::string other = other_dir.File("o.safetensors");
  const std::vector<float> w(16, 0.5f);
  ASSERT_TRUE(
      WriteSafetensors(other,
                       {{TensorInfo{"x", {2, 8}, DType::kF32},
                         absl::Span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(w.data()), 64)}},
                       {})
          .ok());
  EXPECT_EQ(CompressUnit(plan, 0, -6, **OpenModel(other),
                         SearchAlgorithm::kFast, nullptr, {})
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ChooseUnitBiasTest, MatchesChooseExponentBiasOnTheSample) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  const CompressionPlan plan = *PlanCompression(*source, o);
  const size_t w1 = 4;  // the 40 x 9 bf16 tensor
  const size_t unit = plan.tensors[w1].first_unit;
  ASSERT_EQ(plan.units[unit].kind, UnitKind::kChooseBias);
  // A worker that received only the sample rows.
  const std::vector<float> all = *source->ReadFloat32(w1);
  // Fewer rows than kBiasSampleRows: the sample is every row.
  std::vector<int64_t> sample(40);
  for (int64_t r = 0; r < 40; ++r) sample[r] = r;
  std::vector<int64_t> asked;
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
    EXPECT_EQ(r1, r0 + 1);
    asked.push_back(r0);
    std::copy(&all[r0 * 9], &all[r1 * 9], out.begin());
    return absl::OkStatus();
  };
  auto bias =
      ChooseUnitBias(plan, unit, read, SearchAlgorithm::kFast, nullptr, {});
  ASSERT_TRUE(bias.ok()) << bias.status();
  EXPECT_EQ(asked, sample);
  EXPECT_EQ(*bias,
            *ChooseExponentBias(plan.SearchFor(0), SearchAlgorithm::kFast, 40,
                                9, read, nullptr, {}));
  EXPECT_EQ(*bias, *ChooseUnitBias(plan, unit, *source, SearchAlgorithm::kFast,
                                   nullptr, {}));
  EXPECT_LT(*bias, -2);  // |w| << 1
  EXPECT_EQ(BiasSampleRowIndices(40), sample);
  EXPECT_EQ(BiasSampleRowIndices(1000, 4),
            (std::vector<int64_t>{0, 250, 500, 750}));
  // More rows than the sample: 64 rows spread evenly (row i * rows / 64).
  const std::vector<int64_t> spread = BiasSampleRowIndices(100);
  ASSERT_EQ(spread.size(), 64u);
  EXPECT_EQ(spread[1], 1);
  EXPECT_EQ(spread[2], 3);
  EXPECT_EQ(spread[63], 98);
}

}  // namespace
}  // namespace seedlm
