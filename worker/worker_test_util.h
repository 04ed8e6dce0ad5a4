// Test-only: the UnitTask of a plan's unit, as a coordinator would lease it,
// and the expected outcome computed in-process with the plan's own unit
// functions (CompressUnit / ChooseUnitBias).
#ifndef SEEDLM_WORKER_WORKER_TEST_UTIL_H_
#define SEEDLM_WORKER_WORKER_TEST_UTIL_H_

#include <string>

#include "core/compress/compression_plan.h"
#include "core/compress/handshake.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/util/crc32.h"
#include "gtest/gtest.h"
#include "worker/unit_runner.h"

namespace seedlm::worker::testing_util {

// Unit `i` of `plan` over `source`, with exponent bias `bias` (row units),
// its rows sent (`model_path` empty) or referenced as `model_path`.
inline UnitTask TaskForPlanUnit(const CompressionPlan& plan, size_t i, int bias,
                                const ModelSource& source,
                                const std::string& job_id = "job",
                                const std::string& model_path = "") {
  const WorkUnit& u = plan.units[i];
  const PlannedTensor& t = plan.tensors[u.tensor];
  UnitTask task;
  task.job_id = job_id;
  task.unit_index = static_cast<int64_t>(i);
  task.kind = u.kind;
  task.search = plan.SearchFor(u.kind == UnitKind::kChooseBias ? 0 : bias);
  task.handshake = *CodecHandshakeFor(plan.codec);
  task.rows = t.geometry.rows;
  task.cols = t.geometry.cols;
  task.row_begin = u.row_begin;
  task.row_end = u.row_end;
  task.payload_bytes = u.payload_bytes;
  auto bytes = UnitStoredRows(source, u.tensor, u.kind, u.row_begin, u.row_end);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  const uint32_t crc = Crc32(bytes->data(), bytes->size());
  if (model_path.empty()) {
    task.stored = StoredRows{t.dtype, std::move(*bytes), crc};
  } else {
    task.reference = RowsReference{model_path, t.name, crc};
  }
  return task;
}

// What unit `i` must produce: the plan's own result.
inline UnitOutcome ExpectedOutcome(const CompressionPlan& plan, size_t i,
                                   int bias, const ModelSource& source) {
  UnitOutcome out;
  if (plan.units[i].kind == UnitKind::kChooseBias) {
    out.kind = UnitOutcome::Kind::kBias;
    out.exponent_bias =
        *ChooseUnitBias(plan, i, source, SearchAlgorithm::kFast, nullptr, {});
    return out;
  }
  UnitResult r =
      *CompressUnit(plan, i, bias, source, SearchAlgorithm::kFast, nullptr, {});
  out.kind = UnitOutcome::Kind::kRows;
  out.payload = std::move(r.payload);
  out.sums = r.sums;
  return out;
}

}  // namespace seedlm::worker::testing_util

#endif  // SEEDLM_WORKER_WORKER_TEST_UTIL_H_
