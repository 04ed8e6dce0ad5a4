// Test-only helpers shared by the coordinator's tests: every preset's
// handshake, and a unit computed as a worker would compute it (the local
// search functions of core/compress), so tests can drive a Coordinator
// through whole jobs in one process.
#ifndef SEEDLM_SERVER_COORDINATOR_COORDINATOR_TEST_UTIL_H_
#define SEEDLM_SERVER_COORDINATOR_COORDINATOR_TEST_UTIL_H_

#include <string>
#include <vector>

#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/util/crc32.h"
#include "gtest/gtest.h"
#include "server/coordinator/coordinator.h"

namespace seedlm::testing_util {

using coordinator::UnitAssignment;
using coordinator::UnitOutcome;

inline std::vector<CodecHandshake> AllHandshakes() {
  std::vector<CodecHandshake> out;
  for (const std::string& name : PresetNames()) {
    out.push_back(*CodecHandshakeFor(*PresetByName(name)));
  }
  return out;
}

// Computes an assignment as a worker would.
inline UnitOutcome Compute(const UnitAssignment& a) {
  SearchOptions search;
  search.codec = a.codec;
  search.mode = a.mode;
  search.exponent_bias = a.bias;
  absl::StatusOr<RowReader> read = StoredRowsReader(
      a.dtype, a.rows_data, a.kind, a.rows, a.cols, a.row_begin, a.row_end);
  EXPECT_TRUE(read.ok()) << read.status();
  UnitOutcome out;
  if (a.kind == UnitKind::kChooseBias) {
    absl::StatusOr<int> bias = ChooseExponentBias(
        search, SearchAlgorithm::kFast, a.rows, a.cols, *read, nullptr, {});
    EXPECT_TRUE(bias.ok()) << bias.status();
    out.kind = UnitOutcome::Kind::kBias;
    out.bias = *bias;
    return out;
  }
  absl::StatusOr<UnitResult> r =
      CompressRows(search, SearchAlgorithm::kFast, a.rows, a.cols, a.row_begin,
                   a.row_end, *read, nullptr, {});
  EXPECT_TRUE(r.ok()) << r.status();
  out.kind = UnitOutcome::Kind::kRows;
  out.payload = r->payload;
  out.crc32 = Crc32(out.payload.data(), out.payload.size());
  out.sq_error = r->sums.sq_error;
  out.sq_norm = r->sums.sq_norm;
  return out;
}

}  // namespace seedlm::testing_util

#endif  // SEEDLM_SERVER_COORDINATOR_COORDINATOR_TEST_UTIL_H_
