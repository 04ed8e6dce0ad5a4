#include "core/compress/compression_plan.h"

#include <string>

#include "core/compress/plan_test_util.h"
#include "core/format/metadata_keys.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::OddCodec;
using testing_util::ScratchDir;
using testing_util::WriteOddModel;

CompressOptions OddOptions() { return CompressOptions::ForCodec(OddCodec()); }

// The units of every compressed tensor cover its rows in order, obey the
// payload alignment rule, have the target size (but the last), and their
// payloads tile the tensor's payload exactly.
void ExpectUnitsTileTensors(const CompressionPlan& plan) {
  int64_t total_blocks = 0;
  size_t next_unit = 0;
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& p = plan.tensors[t];
    SCOPED_TRACE(p.name);
    if (!p.compressed) {
      EXPECT_EQ(p.num_units, 0u);
      continue;
    }
    total_blocks += p.geometry.num_blocks();
    ASSERT_EQ(p.first_unit, next_unit);  // grouped by tensor, in order
    next_unit += p.num_units;
    size_t u = p.first_unit;
    if (!p.exponent_bias.has_value()) {
      ASSERT_EQ(plan.units[u].kind, UnitKind::kChooseBias);
      EXPECT_EQ(plan.units[u].row_begin, 0);
      EXPECT_EQ(plan.units[u].row_end, p.geometry.rows);
      ++u;
    }
    const int64_t step =
        AlignedRowCount(p.geometry.blocks_per_row(), plan.unit_blocks);
    int64_t row = 0;
    uint64_t offset = 0;
    for (; u < p.first_unit + p.num_units; ++u) {
      const WorkUnit& w = plan.units[u];
      ASSERT_EQ(w.kind, UnitKind::kCompressRows);
      EXPECT_EQ(w.tensor, t);
      EXPECT_EQ(w.row_begin, row);
      EXPECT_TRUE(CheckRowRange(p.geometry.rows, w.row_begin, w.row_end).ok());
      EXPECT_EQ(w.row_begin % kPayloadRowAlignment, 0);
      if (w.row_end != p.geometry.rows) {
        EXPECT_EQ(w.row_end - w.row_begin, step);
      }
      EXPECT_EQ(w.payload_offset, offset);
      // Every unit but the last ends on a whole byte of the tensor's bits.
      const uint64_t bits = static_cast<uint64_t>(w.row_end) *
                            p.geometry.blocks_per_row() *
                            p.geometry.bits_per_block;
      if (w.row_end != p.geometry.rows) {
        EXPECT_EQ(bits % 8, 0u);
        EXPECT_EQ(offset + w.payload_bytes, bits / 8);
      }
      row = w.row_end;
      offset += w.payload_bytes;
    }
    EXPECT_EQ(row, p.geometry.rows);
    EXPECT_EQ(offset, p.geometry.payload_bytes());
  }
  EXPECT_EQ(next_unit, plan.units.size());
  EXPECT_EQ(plan.total_blocks, total_blocks);
}

TEST(PlanCompressionTest, GeometryOfOddShapes) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  auto plan = PlanCompression(*source, OddOptions(), 10);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->tensors.size(), 5u);
  const PlannedTensor& wq = plan->tensors[0];
  EXPECT_TRUE(wq.compressed);
  EXPECT_EQ(wq.geometry.rows, 19);
  EXPECT_EQ(wq.geometry.cols, 13);
  EXPECT_EQ(wq.geometry.blocks_per_row(), 2);  // 13 = 8 + 5 padded
  EXPECT_EQ(wq.geometry.bits_per_block, 23);
  EXPECT_EQ(wq.geometry.payload_bytes(), (19 * 2 * 23 + 7) / 8u);
  EXPECT_FALSE(plan->tensors[1].compressed);   // the 1-D norm
  const PlannedTensor& wk = plan->tensors[2];  // 3-D: 2 x 3 rows of 5
  EXPECT_TRUE(wk.compressed);
  EXPECT_EQ(wk.geometry.rows, 6);
  EXPECT_EQ(wk.geometry.cols, 5);
  EXPECT_EQ(plan->tensors[3].geometry.rows, 1);  // 1 x 1
  EXPECT_EQ(plan->tensors[3].geometry.num_blocks(), 1);
  EXPECT_EQ(plan->tensors[4].dtype, DType::kBF16);
  // wq: 10 blocks at 2 per row = 5 rows, rounded up to 8: [0,8) [8,16) [16,19)
  ASSERT_EQ(wq.num_units, 3u);
  EXPECT_EQ(plan->units[wq.first_unit + 2].row_begin, 16);
  EXPECT_EQ(plan->units[wq.first_unit + 2].row_end, 19);
  ExpectUnitsTileTensors(*plan);
}

TEST(PlanCompressionTest, UnitsTileEveryTensorForAnyTarget) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  for (const char* preset : {"", "4bit", "4bit-p4", "3bit"}) {
    CompressOptions o = *preset
                            ? CompressOptions::ForCodec(*PresetByName(preset))
                            : OddOptions();
    for (int64_t unit_blocks : {1, 2, 3, 17, 40, 1 << 20}) {
      SCOPED_TRACE(testing::Message() << preset << " " << unit_blocks);
      auto plan = PlanCompression(*source, o, unit_blocks);
      ASSERT_TRUE(plan.ok()) << plan.status();
      ExpectUnitsTileTensors(*plan);
    }
  }
}

TEST(PlanCompressionTest, AutomaticBiasGetsABiasUnitFirst) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = OddOptions();
  ASSERT_TRUE(o.exponent_bias.has_value());  // E = 2: fixed 0 by default
  auto fixed = *PlanCompression(*source, o);
  for (const WorkUnit& u : fixed.units) {
    EXPECT_EQ(u.kind, UnitKind::kCompressRows);
  }
  EXPECT_EQ(fixed.tensors[0].exponent_bias, 0);
  o.exponent_bias.reset();
  auto automatic = *PlanCompression(*source, o);
  EXPECT_EQ(automatic.units.size(), fixed.units.size() + 4);  // 4 tensors
  EXPECT_FALSE(automatic.tensors[0].exponent_bias.has_value());
  EXPECT_EQ(automatic.units[0].kind, UnitKind::kChooseBias);
  EXPECT_EQ(automatic.units[0].tensor, 0u);
  ExpectUnitsTileTensors(automatic);
  const SearchOptions s = automatic.SearchFor(-9);  // the chosen bias
  EXPECT_EQ(s.codec, o.codec);
  EXPECT_EQ(s.mode, o.mode);
  EXPECT_EQ(s.exponent_bias, -9);
}

TEST(PlanCompressionTest, FingerprintAndMetadata) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = CompressOptions::ForCodec(*PresetByName("4bit-p4"));
  auto a = *PlanCompression(*source, o);
  EXPECT_NE(a.fingerprint.find("\"bias\":\"auto\""), std::string::npos)
      << a.fingerprint;
  // The unit size is not part of the output, so not of the fingerprint.
  EXPECT_EQ(PlanCompression(*source, o, 3)->fingerprint, a.fingerprint);
  o.exponent_bias = -7;
  auto b = *PlanCompression(*source, o);
  EXPECT_NE(b.fingerprint.find("\"bias\":-7"), std::string::npos);
  o.algorithm = SearchAlgorithm::kReference;  // same bytes, same fingerprint
  EXPECT_EQ(PlanCompression(*source, o)->fingerprint, b.fingerprint);
  o.mode = ExponentMode::kFit;
  EXPECT_NE(PlanCompression(*source, o)->fingerprint, b.fingerprint);
  EXPECT_EQ(a.metadata.at(kMetaPreset), "4bit-p4");
  EXPECT_EQ(a.metadata.at(kMetaExponentMode), "search");
  EXPECT_EQ(a.metadata.at(kMetaSourceFormat), "safetensors");
  EXPECT_EQ(PlanCompression(*source, OddOptions())->metadata.count(kMetaPreset),
            0u);  // not a preset
}

TEST(PlanCompressionTest, RejectsBadOptionsAndUnitSize) {
  ScratchDir dir;
  auto source = *OpenModel(WriteOddModel(dir));
  CompressOptions o = OddOptions();
  o.exponent_bias = 128;
  EXPECT_EQ(PlanCompression(*source, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanCompression(*source, OddOptions(), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = OddOptions();
  o.include = {"("};
  EXPECT_EQ(PlanCompression(*source, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PlanCompressionTest, SourceMustMatchThePlan) {
  ScratchDir dir;
  auto odd = *OpenModel(WriteOddModel(dir));
  const auto plan = *PlanCompression(*odd, OddOptions());
  EXPECT_TRUE(CheckSourceMatchesPlan(plan, *odd).ok());
  const std::string other = dir.File("other.safetensors");
  const std::vector<float> w(16, 0.5f);
  ASSERT_TRUE(
      WriteSafetensors(
          other,
          {{TensorInfo{"layers.0.attention.wq.weight", {2, 8}, DType::kF32},
            absl::Span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(w.data()), 64)}},
          {})
          .ok());
  EXPECT_EQ(CheckSourceMatchesPlan(plan, **OpenModel(other)).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace seedlm
