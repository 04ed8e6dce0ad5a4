// libFuzzer target for the safetensors reader (and the same entry point is
// run over core/model/testdata/fuzz_safetensors/ by
// safetensors_fuzz_regression_test). Seeds: fuzz_seeds_main.cc.
//
// Each input is parsed as a whole file (ParseSafetensorsHeader); when that
// succeeds it is also opened through OpenModel from a scratch file and every
// tensor is read. Invariants (abort when broken):
//   * parsing fails only with DATA_LOSS, RESOURCE_EXHAUSTED or UNIMPLEMENTED
//     (never an exception, a crash or an unbounded allocation);
//   * a parsed header lists unique, non-empty, UTF-8 names whose byte sizes
//     match shape and dtype, in file order, covering the data exactly, with
//     UTF-8 metadata;
//   * OpenModel of a file that parsed succeeds and lists the same tensors,
//     each readable as float32.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model/model_fuzz_util.h"
#include "core/model/safetensors.h"

namespace seedlm {
namespace {

using fuzz_util::Check;

void CheckHeader(const SafetensorsHeader& h, size_t size) {
  uint64_t pos = size;
  for (auto it = h.tensors.rbegin(); it != h.tensors.rend(); ++it) {
    uint64_t bytes = 0;
    Check(
        model_internal::ShapeByteSize(it->info.shape, it->info.dtype, &bytes) &&
            bytes == it->size,
        "entry size matches its shape", absl::OkStatus());
    Check(it->offset + it->size == pos, "entries cover the data in order",
          absl::OkStatus());
    Check(!it->info.name.empty() &&
              model_internal::IsValidUtf8(it->info.name) &&
              it->info.name.find('\0') == std::string::npos,
          "entry name is non-empty UTF-8 without NUL", absl::OkStatus());
    pos = it->offset;
  }
  Check(pos >= 8 && pos <= size, "data starts after the header",
        absl::OkStatus());
  for (const auto& [k, v] : h.metadata) {
    Check(model_internal::IsValidUtf8(k) && model_internal::IsValidUtf8(v),
          "metadata is UTF-8", absl::OkStatus());
  }
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seedlm;  // NOLINT: a fuzz entry point
  const absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(bytes, "fuzz");
  fuzz_util::CheckCode(
      h.status(),
      {absl::StatusCode::kDataLoss, absl::StatusCode::kResourceExhausted,
       absl::StatusCode::kUnimplemented},
      "ParseSafetensorsHeader code");
  if (!h.ok()) return 0;
  CheckHeader(*h, size);
  absl::StatusOr<std::unique_ptr<ModelSource>> m =
      OpenModel(fuzz_util::WriteScratch("model.safetensors", bytes));
  fuzz_util::Check(m.ok(), "OpenModel of a parsed file", m.status());
  fuzz_util::Check((*m)->tensors().size() == h->tensors.size(),
                   "OpenModel lists the parsed tensors", absl::OkStatus());
  fuzz_util::ExerciseSource(**m, size);
  return 0;
}
