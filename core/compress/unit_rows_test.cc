#include "core/compress/unit_rows.h"

#include <map>
#include <vector>

#include "core/compress/plan_test_util.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows_test_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::OddCodec;
using testing_util::ScratchDir;
using testing_util::WriteDTypeModel;

CompressOptions AutoBiasOptions() {
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  return o;
}

TEST(UnitRowIndicesTest, RangeOrSample) {
  EXPECT_EQ(UnitRowIndices(UnitKind::kCompressRows, 19, 16, 19),
            (std::vector<int64_t>{16, 17, 18}));
  EXPECT_TRUE(UnitRowIndices(UnitKind::kCompressRows, 19, 8, 8).empty());
  EXPECT_EQ(UnitRowIndices(UnitKind::kChooseBias, 130, 0, 130),
            BiasSampleRowIndices(130));
  EXPECT_EQ(UnitRowIndices(UnitKind::kChooseBias, 130, 0, 130).size(), 64u);
}

// Every unit of a plan over f32, f16 and bf16 tensors, run from the stored
// bytes of its rows alone, gives exactly what the plan's own unit functions
// give from the model.
TEST(StoredRowsReaderTest, EveryUnitMatchesThePlan) {
  ScratchDir dir;
  auto source = *OpenModel(WriteDTypeModel(dir));
  const CompressionPlan plan =
      *PlanCompression(*source, AutoBiasOptions(), /*unit_blocks=*/20);
  std::map<size_t, int> bias;  // tensor -> chosen bias
  std::map<DType, int> rows_units;
  ASSERT_EQ(plan.units.size(), 3u + 2 + 7 + 17);
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const WorkUnit& u = plan.units[i];
    const PlannedTensor& t = plan.tensors[u.tensor];
    const int64_t rows = t.geometry.rows, cols = t.geometry.cols;
    auto data =
        UnitStoredRows(*source, u.tensor, u.kind, u.row_begin, u.row_end);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(data->size(),
              UnitRowIndices(u.kind, rows, u.row_begin, u.row_end).size() *
                  cols * DTypeSize(t.dtype));
    auto read = StoredRowsReader(t.dtype, *data, u.kind, rows, cols,
                                 u.row_begin, u.row_end);
    ASSERT_TRUE(read.ok()) << read.status();
    if (u.kind == UnitKind::kChooseBias) {
      const int want = *ChooseUnitBias(plan, i, *source, SearchAlgorithm::kFast,
                                       nullptr, {});
      auto got = ChooseExponentBias(plan.SearchFor(0), SearchAlgorithm::kFast,
                                    rows, cols, *read, nullptr, {});
      ASSERT_TRUE(got.ok()) << t.name << ": " << got.status();
      EXPECT_EQ(*got, want) << t.name;
      EXPECT_LT(want, -2) << t.name;  // |w| << 1: a real choice was made
      bias[u.tensor] = want;
      continue;
    }
    ASSERT_EQ(bias.count(u.tensor), 1u) << "bias unit first";
    const int b = bias[u.tensor];
    const UnitResult want =
        *CompressUnit(plan, i, b, *source, SearchAlgorithm::kFast, nullptr, {});
    auto got = CompressRows(plan.SearchFor(b), SearchAlgorithm::kFast, rows,
                            cols, u.row_begin, u.row_end, *read, nullptr, {});
    ASSERT_TRUE(got.ok()) << t.name << " unit " << i << ": " << got.status();
    EXPECT_EQ(got->payload, want.payload) << t.name << " unit " << i;
    EXPECT_EQ(got->payload.size(), u.payload_bytes);
    EXPECT_EQ(got->sums.sq_error, want.sums.sq_error);
    EXPECT_EQ(got->sums.sq_norm, want.sums.sq_norm);
    EXPECT_GT(got->sums.sq_norm, 0.0);
    ++rows_units[t.dtype];
  }
  EXPECT_EQ(rows_units[DType::kF32], 2);
  EXPECT_EQ(rows_units[DType::kF16], 7);
  EXPECT_EQ(rows_units[DType::kBF16], 17);
}

TEST(StoredRowsReaderTest, WidensExactlyAndRefusesRowsOutsideTheUnit) {
  ScratchDir dir;
  auto source = *OpenModel(WriteDTypeModel(dir));
  const size_t w1 = 3;  // bf16 130 x 17
  const std::vector<float> all = *source->ReadFloat32(w1);
  // A row unit: rows 8..15.
  const std::vector<uint8_t> run =
      *UnitStoredRows(*source, w1, UnitKind::kCompressRows, 8, 16);
  ASSERT_EQ(run.size(), 8u * 17 * 2);
  const RowReader read = *StoredRowsReader(
      DType::kBF16, run, UnitKind::kCompressRows, 130, 17, 8, 16);
  std::vector<float> out(3 * 17);
  ASSERT_TRUE(read(9, 12, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out, std::vector<float>(&all[9 * 17], &all[12 * 17]));
  EXPECT_TRUE(read(8, 8, absl::MakeSpan(out).subspan(0, 0)).ok());
  EXPECT_EQ(read(7, 9, absl::MakeSpan(out).subspan(0, 34)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(read(15, 17, absl::MakeSpan(out).subspan(0, 34)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(read(3, 2, absl::MakeSpan(out).subspan(0, 0)).code(),
            absl::StatusCode::kOutOfRange);

  // The bias sample: 64 of 130 rows (0, 2, 4, 6, 8, 10, ...; 130/64 > 2).
  const std::vector<int64_t> sample = BiasSampleRowIndices(130);
  const std::vector<uint8_t> s =
      *UnitStoredRows(*source, w1, UnitKind::kChooseBias, 0, 130);
  ASSERT_EQ(s.size(), 64u * 17 * 2);
  const RowReader sread = *StoredRowsReader(
      DType::kBF16, s, UnitKind::kChooseBias, 130, 17, 0, 130);
  for (int64_t r : sample) {
    ASSERT_TRUE(sread(r, r + 1, absl::MakeSpan(out).subspan(0, 17)).ok());
    EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 17),
              std::vector<float>(&all[r * 17], &all[(r + 1) * 17]));
  }
  ASSERT_EQ(sample[1], 2);
  EXPECT_EQ(sread(1, 2, absl::MakeSpan(out).subspan(0, 17)).code(),
            absl::StatusCode::kOutOfRange);  // not sampled
  EXPECT_EQ(sread(0, 3, absl::MakeSpan(out).subspan(0, 51)).code(),
            absl::StatusCode::kOutOfRange);  // 1 is missing
  EXPECT_EQ(sread(129, 130, absl::MakeSpan(out).subspan(0, 17)).code(),
            absl::StatusCode::kOutOfRange);

  // A matrix no larger than the sample: every row, so runs are contiguous.
  const size_t wq = 0;  // f32 19 x 13
  const std::vector<uint8_t> q =
      *UnitStoredRows(*source, wq, UnitKind::kChooseBias, 0, 19);
  const RowReader qread =
      *StoredRowsReader(DType::kF32, q, UnitKind::kChooseBias, 19, 13, 0, 19);
  std::vector<float> qout(19 * 13);
  ASSERT_TRUE(qread(0, 19, absl::MakeSpan(qout)).ok());
  EXPECT_EQ(qout, *source->ReadFloat32(wq));
}

TEST(StoredRowsReaderTest, RejectsBadSizesAndRanges) {
  ScratchDir dir;
  auto source = *OpenModel(WriteDTypeModel(dir));
  const std::vector<uint8_t> run =
      *UnitStoredRows(*source, 0, UnitKind::kCompressRows, 16, 19);
  ASSERT_EQ(run.size(), 3u * 13 * 4);
  auto code = [&](DType t, absl::Span<const uint8_t> d, UnitKind k,
                  int64_t rows, int64_t cols, int64_t b, int64_t e) {
    return StoredRowsReader(t, d, k, rows, cols, b, e).status().code();
  };
  const UnitKind kRows = UnitKind::kCompressRows;
  EXPECT_EQ(code(DType::kF32, run, kRows, 19, 13, 16, 19),
            absl::StatusCode::kOk);
  EXPECT_EQ(code(DType::kF16, run, kRows, 19, 13, 16, 19),
            absl::StatusCode::kInvalidArgument);  // half the bytes expected
  EXPECT_EQ(
      code(DType::kF32, absl::MakeSpan(run).subspan(1), kRows, 19, 13, 16, 19),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(DType::kF32, run, kRows, 19, 13, 17, 20),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(code(DType::kF32, run, kRows, 19, 13, 16, 16),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(code(DType::kF32, run, kRows, 19, -13, 16, 19),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(DType::kF32, run, UnitKind::kChooseBias, 19, 13, 0, 19),
            absl::StatusCode::kInvalidArgument);  // the sample is 19 rows
  // Sizes whose product overflows are refused, not wrapped.
  EXPECT_EQ(code(DType::kF32, run, kRows, int64_t{1} << 62, int64_t{1} << 40, 0,
                 int64_t{1} << 40),
            absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(UnitStoredRows(*source, 0, kRows, 16, 20).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(UnitStoredRows(*source, 0, kRows, -8, 8).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(UnitStoredRows(*source, 9, kRows, 0, 8).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
