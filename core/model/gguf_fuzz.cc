// libFuzzer target for the GGUF reader (and the same entry point is run over
// core/model/testdata/fuzz_gguf/ by gguf_fuzz_regression_test). Seeds:
// fuzz_seeds_main.cc.
//
// Each input is parsed as a whole file (ParseGguf); when that succeeds it is
// also opened through OpenModel from a scratch file and every tensor is
// read. Invariants (abort when broken):
//   * parsing fails only with DATA_LOSS, RESOURCE_EXHAUSTED or UNIMPLEMENTED;
//   * parsed tensors have unique UTF-8 names (they end up in
//     JSON: a non-UTF-8 name made `seedlm compress` abort), byte sizes that
//     match shape and dtype, and lie inside the file without overlapping;
//   * OpenModel of a file that parsed lists the same tensors, each readable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/model/gguf_reader.h"
#include "core/model/model_fuzz_util.h"

namespace seedlm {
namespace {

using fuzz_util::Check;

void CheckTensors(const GgufTensors& g, size_t size) {
  Check(g.infos.size() == g.offsets.size() && g.infos.size() == g.sizes.size(),
        "parallel vectors", absl::OkStatus());
  std::set<std::string> names;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (size_t i = 0; i < g.infos.size(); ++i) {
    Check(!g.infos[i].name.empty() &&
              g.infos[i].name.find('\0') == std::string::npos &&
              model_internal::IsValidUtf8(g.infos[i].name) &&
              names.insert(g.infos[i].name).second,
          "unique non-empty UTF-8 names without NUL", absl::OkStatus());
    uint64_t bytes = 0;
    Check(model_internal::ShapeByteSize(g.infos[i].shape, g.infos[i].dtype,
                                        &bytes) &&
              bytes == g.sizes[i],
          "size matches the shape", absl::OkStatus());
    Check(g.offsets[i] <= size && g.sizes[i] <= size - g.offsets[i],
          "tensor inside the file", absl::OkStatus());
    ranges.push_back({g.offsets[i], g.sizes[i]});
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t k = 1; k < ranges.size(); ++k) {
    Check(ranges[k - 1].first + ranges[k - 1].second <= ranges[k].first,
          "tensors do not overlap", absl::OkStatus());
  }
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seedlm;  // NOLINT: a fuzz entry point
  const absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<GgufTensors> g = ParseGguf(bytes, "fuzz");
  fuzz_util::CheckCode(
      g.status(),
      {absl::StatusCode::kDataLoss, absl::StatusCode::kResourceExhausted,
       absl::StatusCode::kUnimplemented},
      "ParseGguf code");
  if (!g.ok()) return 0;
  CheckTensors(*g, size);
  absl::StatusOr<std::unique_ptr<ModelSource>> m =
      OpenModel(fuzz_util::WriteScratch("model.gguf", bytes));
  fuzz_util::Check(m.ok(), "OpenModel of a parsed file", m.status());
  fuzz_util::Check((*m)->tensors().size() == g->infos.size(),
                   "OpenModel lists the parsed tensors", absl::OkStatus());
  fuzz_util::ExerciseSource(**m, size);
  return 0;
}
