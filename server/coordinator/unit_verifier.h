// Trust but verify: the seed search is a pure function of each block, so the
// coordinator re-searches a few blocks of every unit a worker completes and
// compares them with the worker's packed bytes. The blocks are chosen
// deterministically from a salt (the job id and unit index), so a check is
// reproducible and a worker cannot know in advance which blocks are looked
// at without knowing the salt's use. RPC-free.
#ifndef SEEDLM_SERVER_COORDINATOR_UNIT_VERIFIER_H_
#define SEEDLM_SERVER_COORDINATOR_UNIT_VERIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/compress/compression_plan.h"
#include "core/compress/tensor_compressor.h"
#include "core/search/searcher.h"

namespace seedlm::coordinator {

// min(count, num_blocks) distinct block indices in [0, num_blocks),
// ascending, drawn by a SplitMix64 sequence seeded with `salt`; none for
// count <= 0. The first and last block are always among them when count >= 2.
std::vector<int64_t> VerifyBlockIndices(int64_t num_blocks, int count,
                                        uint64_t salt);

// A stable 64-bit salt for (job_id, unit) (FNV-1a of "job_id/unit").
uint64_t VerifySalt(const std::string& job_id, int64_t unit);

// Re-searches blocks VerifyBlockIndices(unit blocks, count, salt) of
// kCompressRows unit `unit` of `plan` with `searcher` (the plan's codec and
// mode with the tensor's bias) over the rows `read` gives (absolute row
// numbers of the tensor's matrix) and compares each with the block at the
// same index of `payload` (the unit's payload). OK iff all match;
// DATA_LOSS "block B of row R of <tensor> differs from the worker's" for
// the first that does not; INVALID_ARGUMENT if `unit` is not a
// kCompressRows unit of the plan or the payload has the wrong size; errors
// of `read` and of the search. Trellis plans (a "block" is a ring): the rows
// holding the chosen rings (at most `count`) are re-encoded whole with
// searcher.AsTrellis() and compared byte for byte; DATA_LOSS "row R of
// <tensor> differs from the worker's (trellis)"; INVALID_ARGUMENT if the
// searcher is not a TrellisSearcher.
absl::Status VerifyUnitBlocks(const CompressionPlan& plan, size_t unit,
                              const BlockSearcher& searcher,
                              const RowReader& read,
                              absl::Span<const uint8_t> payload, int count,
                              uint64_t salt);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_UNIT_VERIFIER_H_
