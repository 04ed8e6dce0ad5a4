#include "server/coordinator/unit_verifier.h"

#include <set>

#include "core/compress/plan_test_util.h"
#include "core/compress/unit_compressor.h"
#include "core/search/searcher_factory.h"
#include "gtest/gtest.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;

TEST(VerifyBlockIndicesTest, DistinctSortedDeterministic) {
  auto a = VerifyBlockIndices(1000, 8, 42);
  EXPECT_EQ(a, VerifyBlockIndices(1000, 8, 42));
  EXPECT_NE(a, VerifyBlockIndices(1000, 8, 43));
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a.front(), 0);
  EXPECT_EQ(a.back(), 999);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 8u);
  EXPECT_EQ(VerifyBlockIndices(5, 8, 1).size(), 5u);
  EXPECT_TRUE(VerifyBlockIndices(5, 0, 1).empty());
  EXPECT_NE(VerifySalt("j1", 3), VerifySalt("j1", 4));
}

TEST(VerifyUnitBlocksTest, AcceptsTheSearchAndCatchesAnyChangedBlock) {
  ScratchDir dir;
  auto source = OpenModel(testing_util::WriteOddModel(dir));
  ASSERT_TRUE(source.ok());
  CompressOptions opt = CompressOptions::ForCodec(*PresetByName("4bit"));
  auto plan = PlanCompression(**source, opt, 8);
  ASSERT_TRUE(plan.ok());
  int checked = 0;
  for (size_t u = 0; u < plan->units.size(); ++u) {
    const WorkUnit& wu = plan->units[u];
    if (wu.kind != UnitKind::kCompressRows) continue;
    auto result = CompressUnit(*plan, u, 0, **source, SearchAlgorithm::kFast,
                               nullptr, {});
    ASSERT_TRUE(result.ok());
    auto searcher = CreateSearcher(plan->SearchFor(0), SearchAlgorithm::kFast);
    auto read = SourceRowReader(**source, wu.tensor);
    const int64_t blocks = (wu.row_end - wu.row_begin) *
                           plan->tensors[wu.tensor].geometry.blocks_per_row();
    // Every block checked: the honest payload passes...
    EXPECT_TRUE(VerifyUnitBlocks(*plan, u, **searcher, *read, result->payload,
                                 1 << 20, 1)
                    .ok());
    // ...and one flipped bit in any block's seed is caught.
    for (int64_t b = 0; b < blocks; b += 3) {
      std::vector<uint8_t> bad = result->payload;
      const uint64_t bit = static_cast<uint64_t>(b) * 32;  // seed bit 0
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_EQ(
          VerifyUnitBlocks(*plan, u, **searcher, *read, bad, 1 << 20, 1).code(),
          absl::StatusCode::kDataLoss);
      ++checked;
    }
    EXPECT_EQ(VerifyUnitBlocks(*plan, u, **searcher, *read,
                               absl::MakeSpan(result->payload).subspan(1), 8, 1)
                  .code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_GT(checked, 5);
}

// Trellis plans: whole rows are re-encoded; the honest payload passes, a
// flipped bit in a unit's first or last row (scale or stream) is caught, a
// block searcher is refused.
TEST(VerifyUnitBlocksTest, TrellisRowsAreReencoded) {
  ScratchDir dir;
  auto source = OpenModel(testing_util::WriteOddModel(dir));
  ASSERT_TRUE(source.ok());
  CompressOptions opt = CompressOptions::ForCodec(*PresetByName("4bit-t"));
  auto plan = PlanCompression(**source, opt, 8);
  ASSERT_TRUE(plan.ok());
  auto searcher = CreateSearcher(plan->SearchFor(0), SearchAlgorithm::kFast);
  auto block = CreateSearcher(SearchOptions{}, SearchAlgorithm::kFast);
  int checked = 0;
  for (size_t u = 0; u < plan->units.size(); ++u) {
    const WorkUnit& wu = plan->units[u];
    auto result = CompressUnit(*plan, u, 0, **source, SearchAlgorithm::kFast,
                               nullptr, {});
    ASSERT_TRUE(result.ok()) << result.status();
    auto read = SourceRowReader(**source, wu.tensor);
    EXPECT_TRUE(VerifyUnitBlocks(*plan, u, **searcher, *read, result->payload,
                                 1 << 20, 1)
                    .ok());
    const uint64_t rb = plan->tensors[wu.tensor].geometry.trellis_row_bytes();
    const uint64_t last = static_cast<uint64_t>(wu.row_end - wu.row_begin) - 1;
    for (uint64_t r : {uint64_t{0}, last}) {
      for (uint64_t byte : {uint64_t{1}, rb - 1}) {
        std::vector<uint8_t> bad = result->payload;
        bad[r * rb + byte] ^= 0x10;
        EXPECT_EQ(VerifyUnitBlocks(*plan, u, **searcher, *read, bad, 1 << 20, 1)
                      .code(),
                  absl::StatusCode::kDataLoss);
        ++checked;
      }
    }
    EXPECT_EQ(VerifyUnitBlocks(*plan, u, **block, *read, result->payload, 8, 1)
                  .code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
}  // namespace seedlm::coordinator
