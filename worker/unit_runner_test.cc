#include "worker/unit_runner.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "core/compress/plan_test_util.h"
#include "core/compress/unit_rows_test_util.h"
#include "gtest/gtest.h"
#include "worker/worker_test_util.h"

namespace seedlm::worker {
namespace {

using seedlm::testing_util::OddCodec;
using seedlm::testing_util::ScratchDir;
using seedlm::testing_util::WriteDTypeModel;
using testing_util::ExpectedOutcome;
using testing_util::TaskForPlanUnit;

CompressOptions AutoBias() {
  CompressOptions o = CompressOptions::ForCodec(OddCodec());
  o.exponent_bias.reset();
  return o;
}

// A model root holding the f32/f16/bf16 model at "m/dtypes.safetensors".
struct Fixture {
  Fixture() {
    std::filesystem::create_directory(dir.File("m"));
    path = WriteDTypeModel(dir, "m/dtypes");
    source = *OpenModel(path);
    plan = *PlanCompression(*source, AutoBias(), /*unit_blocks=*/20);
    root = *ModelRoot::Open(dir.path());
  }
  ScratchDir dir;
  std::string path;
  std::unique_ptr<ModelSource> source;
  CompressionPlan plan;
  std::unique_ptr<ModelRoot> root;
};

// Every unit of the plan, its rows sent or read from the model root, gives
// exactly the plan's own result.
TEST(RunUnitTest, BothRowSourcesMatchThePlan) {
  Fixture f;
  ThreadPool pool(2);
  std::map<size_t, int> bias;
  int rows_units = 0;
  for (size_t i = 0; i < f.plan.units.size(); ++i) {
    const size_t tensor = f.plan.units[i].tensor;
    const int b = bias.count(tensor) ? bias[tensor] : 0;
    const UnitOutcome want = ExpectedOutcome(f.plan, i, b, *f.source);
    for (const std::string ref : {"", "m/dtypes.safetensors"}) {
      const UnitTask task =
          TaskForPlanUnit(f.plan, i, b, *f.source, "job", ref);
      auto got = RunUnit(task, f.root.get(), &pool, {});
      ASSERT_TRUE(got.ok()) << i << ": " << got.status();
      ASSERT_EQ(got->kind, want.kind) << i << " " << got->unavailable;
      EXPECT_EQ(got->exponent_bias, want.exponent_bias) << i;
      EXPECT_EQ(got->payload, want.payload) << i;
      EXPECT_EQ(got->sums.sq_error, want.sums.sq_error) << i;
      EXPECT_EQ(got->sums.sq_norm, want.sums.sq_norm) << i;
      if (want.kind == UnitOutcome::Kind::kRows) {
        EXPECT_EQ(got->payload.size(), task.payload_bytes);
        EXPECT_EQ(got->blocks,
                  (task.row_end - task.row_begin) * ((task.cols + 7) / 8));
        ++rows_units;
      }
    }
    if (want.kind == UnitOutcome::Kind::kBias) {
      EXPECT_LT(want.exponent_bias, -2);
      bias[tensor] = want.exponent_bias;
    }
  }
  EXPECT_EQ(rows_units, 2 * (2 + 7 + 17));
}

// A trellis plan (4bit-t): every unit, its rows sent or read from the model
// root, gives the plan's own result; the units concatenate into the
// matrix's payload; a block codec's handshake is refused.
TEST(RunUnitTest, TrellisUnitsMatchThePlan) {
  Fixture f;
  const CompressOptions o = CompressOptions::ForCodec(*PresetByName("4bit-t"));
  const CompressionPlan plan = *PlanCompression(*f.source, o, 20);
  ThreadPool pool(2);
  int rows_units = 0;
  for (size_t i = 0; i < plan.units.size(); ++i) {
    ASSERT_EQ(plan.units[i].kind, UnitKind::kCompressRows);
    const UnitOutcome want = ExpectedOutcome(plan, i, 0, *f.source);
    for (const std::string ref : {"", "m/dtypes.safetensors"}) {
      const UnitTask task = TaskForPlanUnit(plan, i, 0, *f.source, "job", ref);
      auto got = RunUnit(task, f.root.get(), &pool, {});
      ASSERT_TRUE(got.ok()) << i << ": " << got.status();
      ASSERT_EQ(got->kind, UnitOutcome::Kind::kRows) << got->unavailable;
      EXPECT_EQ(got->payload, want.payload) << i;
      EXPECT_EQ(got->payload.size(), task.payload_bytes);
      EXPECT_EQ(got->sums.sq_error, want.sums.sq_error) << i;
      ++rows_units;
    }
  }
  EXPECT_GT(rows_units, 2 * 3);
  UnitTask wrong = TaskForPlanUnit(plan, 0, 0, *f.source, "job", "");
  wrong.handshake = *CodecHandshakeFor(OddCodec());
  EXPECT_EQ(RunUnit(wrong, f.root.get(), &pool, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RunUnitTest, ChecksHandshakeCrcSizesAndRanges) {
  Fixture f;
  const size_t unit = 1;  // wq rows 0..15
  ASSERT_EQ(f.plan.units[unit].kind, UnitKind::kCompressRows);
  const UnitTask good = TaskForPlanUnit(f.plan, unit, -6, *f.source);
  ASSERT_TRUE(RunUnit(good, nullptr, nullptr, {}).ok());
  auto code = [&](const UnitTask& t) {
    return RunUnit(t, f.root.get(), nullptr, {}).status().code();
  };
  UnitTask t = good;
  t.handshake.seed_table_crc ^= 1;  // another build's seed table
  EXPECT_EQ(code(t), absl::StatusCode::kFailedPrecondition);
  t = good;
  t.handshake = *CodecHandshakeFor(*PresetByName("4bit"));  // another codec
  EXPECT_EQ(code(t), absl::StatusCode::kFailedPrecondition);
  t = good;
  t.stored->bytes[5] ^= 0x40;  // damaged in transit
  EXPECT_EQ(code(t), absl::StatusCode::kDataLoss);
  t = good;
  t.stored->bytes.pop_back();
  t.stored->crc32 = Crc32(t.stored->bytes.data(), t.stored->bytes.size());
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);  // short rows
  t = good;
  t.payload_bytes += 1;
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.row_begin = 4;  // misaligned
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.row_end = 40;  // past the matrix
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.reference = RowsReference{"m/dtypes.safetensors", "x", 0};  // two sources
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.stored.reset();  // none
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.search.exponent_bias = 300;
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  t = good;
  t.cols = int64_t{1} << 40;  // rows x cols over the limit
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  // A bias unit covers the whole matrix and has no payload.
  t = TaskForPlanUnit(f.plan, 0, 0, *f.source);
  ASSERT_EQ(t.kind, UnitKind::kChooseBias);
  t.row_end = 8;
  EXPECT_EQ(code(t), absl::StatusCode::kInvalidArgument);
  // A cancelled unit.
  std::atomic<bool> cancel{true};
  SearchCallbacks cb;
  cb.cancel = &cancel;
  EXPECT_EQ(RunUnit(good, nullptr, nullptr, cb).status().code(),
            absl::StatusCode::kCancelled);
}

// A reference that cannot be used is "rows unavailable", with the reason.
TEST(RunUnitTest, UnusableReferencesAreRowsUnavailable) {
  Fixture f;
  const size_t unit = 1;
  const UnitTask good = TaskForPlanUnit(f.plan, unit, -6, *f.source, "job",
                                        "m/dtypes.safetensors");
  auto reason = [&](const UnitTask& t, ModelRoot* root) {
    auto r = RunUnit(t, root, nullptr, {});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return absl::StatusCode::kInternal;
    EXPECT_EQ(r->kind, UnitOutcome::Kind::kRowsUnavailable);
    return r->unavailable.code();
  };
  ASSERT_EQ(RunUnit(good, f.root.get(), nullptr, {})->kind,
            UnitOutcome::Kind::kRows);
  EXPECT_EQ(reason(good, nullptr), absl::StatusCode::kFailedPrecondition);
  UnitTask t = good;
  // The coordinator's file differs. (Assigned whole: GCC 12 warns that a
  // field changed through the optional may be uninitialized.)
  t.reference =
      RowsReference{good.reference->model_path, good.reference->tensor_name,
                    good.reference->rows_crc32 ^ 1};
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kDataLoss);
  t = good;
  t.reference->tensor_name = "no.such.weight";
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kNotFound);
  t = good;
  t.reference->tensor_name = "layers.0.attention.wk.weight";  // 100 x 9
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kFailedPrecondition);
  t = good;
  t.reference->model_path = "m/missing.safetensors";
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kNotFound);
  t = good;
  t.reference->model_path = f.path;  // absolute
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kPermissionDenied);

  // Outside the root: through "..", and through a symlink inside the root.
  ScratchDir outside;
  std::filesystem::copy_file(f.path, outside.File("x.safetensors"));
  auto inner = *ModelRoot::Open(f.dir.File("m"));
  t = good;
  for (const char* inside : {"../m/dtypes.safetensors", "dtypes.safetensors"}) {
    t.reference->model_path = inside;
    EXPECT_EQ(RunUnit(t, inner.get(), nullptr, {})->kind,
              UnitOutcome::Kind::kRows)
        << inside;
  }
  ASSERT_EQ(::symlink(outside.File("x.safetensors").c_str(),
                      f.dir.File("m/link.safetensors").c_str()),
            0);
  t.reference->model_path = "link.safetensors";
  EXPECT_EQ(reason(t, inner.get()), absl::StatusCode::kPermissionDenied);
  t.reference->model_path =
      "../" + std::filesystem::path(outside.path()).filename().string() +
      "/x.safetensors";
  ASSERT_TRUE(
      std::filesystem::exists(f.dir.path() + "/" + t.reference->model_path));
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kPermissionDenied);
  // A directory model whose files lead outside.
  std::filesystem::create_directory(f.dir.File("hf"));
  ASSERT_EQ(::symlink(outside.File("x.safetensors").c_str(),
                      f.dir.File("hf/model.safetensors").c_str()),
            0);
  t.reference->model_path = "hf";
  EXPECT_EQ(reason(t, f.root.get()), absl::StatusCode::kPermissionDenied);
}

// A model file replaced under the root is reopened, not served stale.
TEST(RunUnitTest, ReopensAChangedModel) {
  Fixture f;
  const size_t unit = 1;
  const UnitTask before = TaskForPlanUnit(f.plan, unit, -6, *f.source, "job",
                                          "m/dtypes.safetensors");
  ASSERT_EQ(RunUnit(before, f.root.get(), nullptr, {})->kind,
            UnitOutcome::Kind::kRows);
  // New weights, same shapes (a fresh file: new inode and mtime).
  ScratchDir other;
  auto changed = *OpenModel(WriteDTypeModel(other, "dtypes", /*seed=*/99));
  std::filesystem::copy_file(other.File("dtypes.safetensors"), f.path + ".new");
  std::filesystem::rename(f.path + ".new", f.path);
  const UnitTask after = TaskForPlanUnit(f.plan, unit, -6, *changed, "job",
                                         "m/dtypes.safetensors");
  ASSERT_NE(after.reference->rows_crc32, before.reference->rows_crc32);
  auto got = RunUnit(after, f.root.get(), nullptr, {});
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->kind, UnitOutcome::Kind::kRows) << got->unavailable;
  EXPECT_EQ(got->payload, ExpectedOutcome(f.plan, unit, -6, *changed).payload);
  // The old rows are now unavailable (their CRC no longer matches).
  EXPECT_EQ(RunUnit(before, f.root.get(), nullptr, {})->kind,
            UnitOutcome::Kind::kRowsUnavailable);
}

}  // namespace
}  // namespace seedlm::worker
