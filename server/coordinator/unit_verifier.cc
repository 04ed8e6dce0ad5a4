#include "server/coordinator/unit_verifier.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/block_format.h"
#include "core/search/searcher_factory.h"
#include "core/util/status_macros.h"

namespace seedlm::coordinator {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The trellis form of VerifyUnitBlocks: the rows holding the chosen rings
// are re-encoded whole (a ring's bits depend on its row's scale and
// rotation) and compared byte for byte.
absl::Status VerifyTrellisRows(const CompressionPlan& plan, const WorkUnit& u,
                               const BlockSearcher& searcher,
                               const RowReader& read,
                               absl::Span<const uint8_t> payload, int count,
                               uint64_t salt) {
  const PlannedTensor& t = plan.tensors[u.tensor];
  const TrellisSearcher* trellis = searcher.AsTrellis();
  if (trellis == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(t.name, ": a trellis plan needs a TrellisSearcher"));
  }
  const int64_t rpr = t.geometry.blocks_per_row();
  const int64_t cols = t.geometry.cols;
  const uint64_t row_bytes = t.geometry.trellis_row_bytes();
  std::set<int64_t> rows;
  for (int64_t j :
       VerifyBlockIndices((u.row_end - u.row_begin) * rpr, count, salt)) {
    rows.insert(u.row_begin + j / rpr);
  }
  std::vector<float> row(static_cast<size_t>(cols));
  std::vector<uint8_t> mine(row_bytes);
  double err = 0.0;
  for (int64_t r : rows) {
    RETURN_IF_ERROR(read(r, r + 1, absl::MakeSpan(row)));
    RETURN_IF_ERROR(trellis->EncodeRows(row, 1, cols, absl::MakeSpan(mine),
                                        absl::MakeSpan(&err, 1), nullptr, {},
                                        r));
    const uint8_t* theirs =
        payload.data() + static_cast<uint64_t>(r - u.row_begin) * row_bytes;
    if (!std::equal(mine.begin(), mine.end(), theirs)) {
      return absl::DataLossError(absl::StrCat(
          "row ", r, " of ", t.name, " differs from the worker's (trellis)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> VerifyBlockIndices(int64_t num_blocks, int count,
                                        uint64_t salt) {
  std::vector<int64_t> out;
  if (count <= 0 || num_blocks <= 0) return out;
  if (count >= num_blocks) {
    for (int64_t i = 0; i < num_blocks; ++i) out.push_back(i);
    return out;
  }
  std::set<int64_t> chosen;
  if (count >= 2) {
    chosen.insert(0);
    chosen.insert(num_blocks - 1);
  }
  uint64_t state = salt;
  while (static_cast<int>(chosen.size()) < count) {
    chosen.insert(static_cast<int64_t>(SplitMix64(state) %
                                       static_cast<uint64_t>(num_blocks)));
  }
  out.assign(chosen.begin(), chosen.end());
  return out;
}

uint64_t VerifySalt(const std::string& job_id, int64_t unit) {
  std::string key = absl::StrCat(job_id, "/", unit);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

absl::Status VerifyUnitBlocks(const CompressionPlan& plan, size_t unit,
                              const BlockSearcher& searcher,
                              const RowReader& read,
                              absl::Span<const uint8_t> payload, int count,
                              uint64_t salt) {
  if (unit >= plan.units.size() ||
      plan.units[unit].kind != UnitKind::kCompressRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("unit ", unit, " is not a row unit of the plan"));
  }
  const WorkUnit& u = plan.units[unit];
  const PlannedTensor& t = plan.tensors[u.tensor];
  if (payload.size() != u.payload_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(t.name, ": unit payload of ", payload.size(),
                     " bytes, expected ", u.payload_bytes));
  }
  if (t.geometry.is_trellis()) {
    return VerifyTrellisRows(plan, u, searcher, read, payload, count, salt);
  }
  const int64_t bpr = t.geometry.blocks_per_row();
  const int64_t cols = t.geometry.cols;
  const int C = plan.codec.C;
  const int64_t unit_blocks = (u.row_end - u.row_begin) * bpr;
  const BlockLayout layout = plan.codec.layout();
  std::vector<float> row(static_cast<size_t>(cols));
  int64_t loaded_row = -1;
  std::vector<double> w(static_cast<size_t>(C));
  BlockResult result;
  for (int64_t j : VerifyBlockIndices(unit_blocks, count, salt)) {
    const int64_t r = u.row_begin + j / bpr;
    const int64_t b = j % bpr;
    if (r != loaded_row) {
      RETURN_IF_ERROR(read(r, r + 1, absl::MakeSpan(row)));
      loaded_row = r;
    }
    for (int k = 0; k < C; ++k) {
      const int64_t c = b * C + k;
      w[static_cast<size_t>(k)] = c < cols ? static_cast<double>(row[c]) : 0.0;
    }
    RETURN_IF_ERROR(
        searcher.Search(w, absl::MakeSpan(&result, 1), nullptr, {}));
    const Block got =
        UnpackBlock(layout, payload.data(), static_cast<uint64_t>(j));
    if (got != result.block) {
      return absl::DataLossError(
          absl::StrCat("block ", b, " of row ", r, " of ", t.name,
                       " differs from the worker's (seed ", got.seed,
                       " where the search gives ", result.block.seed, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace seedlm::coordinator
