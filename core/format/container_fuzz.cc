// libFuzzer target for ContainerReader (and the same entry point is run over
// core/format/testdata/fuzz/ by container_fuzz_regression_test).
//
// Each input is tried twice: as given (exercises the checksum and framing
// checks) and with its checksums repaired (reaches the structural checks
// behind the CRCs). Besides "no crash, no sanitizer report, no unbounded
// allocation", it checks invariants and aborts when one breaks:
//   * Open fails only with INVALID_ARGUMENT, UNIMPLEMENTED or DATA_LOSS;
//   * VerifyAll fails only with DATA_LOSS;
//   * VerifyTensor fails only with DATA_LOSS, and all pass iff VerifyAll does;
//   * once VerifyAll passes, every Payload, every small DecodeToFloat32 and
//     the first and last GetBlock succeed, and GetBlock agrees with
//     UnpackBlock of the payload;
//   * DecodeRangeToFloat32 of a bounded slice at the start and at the end of
//     every tensor (any size) fails only with DATA_LOSS, succeeds once
//     verified, agrees bit for bit with the whole decode where that ran,
//     and refuses a range past the end with OUT_OF_RANGE.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/codec/block_format.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/format/container.h"
#include "core/format/container_testing.h"
#include "core/util/fuzz_check.h"

namespace seedlm {
namespace {

using fuzz_util::Check;

// Decode at most this many elements per tensor, so that a shape cannot make
// the harness allocate without bound (the reader itself never does).
constexpr int64_t kMaxDecodeElements = int64_t{1} << 16;
// Elements of each slice decoded by DecodeRangeToFloat32.
constexpr int64_t kSliceElements = 100;

void CheckBlock(const ContainerReader& r, size_t i, int64_t row,
                int64_t block) {
  const TensorEntry& e = r.tensors()[i];
  absl::StatusOr<Block> b = r.GetBlock(i, row, block);
  Check(b.ok(), "GetBlock of a verified tensor", b.status());
  const Block ref =
      UnpackBlock(e.codec.layout(), r.UnverifiedPayload(i).data(),
                  static_cast<uint64_t>(row * e.blocks_per_row() + block));
  bool same = ref.seed == b->seed && ref.e == b->e;
  for (int p = 0; p < kMaxP; ++p) same = same && ref.q[p] == b->q[p];
  Check(same, "GetBlock disagrees with UnpackBlock", absl::OkStatus());
}

// Slices at both ends of tensor i; `whole` is its full decode when that ran
// and succeeded (else empty).
void CheckSlices(const ContainerReader& r, size_t i, bool verified,
                 const std::vector<float>& whole) {
  const int64_t n = r.tensors()[i].num_elements();
  const int64_t len = std::min(n, kSliceElements);
  for (const int64_t begin : {int64_t{0}, n - len}) {
    std::vector<float> part(static_cast<size_t>(len));
    const absl::Status s =
        r.DecodeRangeToFloat32(i, begin, absl::MakeSpan(part));
    Check(s.ok() || s.code() == absl::StatusCode::kDataLoss, "slice code", s);
    Check(!verified || s.ok(), "slice of a verified file", s);
    if (s.ok() && !whole.empty()) {
      Check(std::memcmp(part.data(), whole.data() + begin,
                        part.size() * sizeof(float)) == 0,
            "slice disagrees with the whole decode", s);
    }
  }
  float one = 0;
  const absl::Status past =
      r.DecodeRangeToFloat32(i, n, absl::MakeSpan(&one, 1));
  Check(past.code() == absl::StatusCode::kOutOfRange ||
            past.code() == absl::StatusCode::kDataLoss,
        "slice past the end", past);
}

void ExerciseTensor(const ContainerReader& r, size_t i, bool verified) {
  const TensorEntry& e = r.tensors()[i];
  absl::StatusOr<size_t> found = r.FindTensor(e.name);
  Check(found.ok() && *found == i, "FindTensor of a listed name",
        found.status());
  absl::StatusOr<absl::Span<const uint8_t>> payload = r.Payload(i);
  Check(payload.ok() || payload.status().code() == absl::StatusCode::kDataLoss,
        "Payload code", payload.status());
  Check(!verified || payload.ok(), "Payload of a verified file",
        payload.status());
  std::vector<float> whole;
  if (e.num_elements() <= kMaxDecodeElements) {
    whole.resize(static_cast<size_t>(e.num_elements()));
    absl::Status s = r.DecodeToFloat32(i, absl::MakeSpan(whole));
    Check(s.ok() || s.code() == absl::StatusCode::kDataLoss, "decode code", s);
    Check(!verified || s.ok(), "decode of a verified file", s);
    if (!s.ok()) whole.clear();
  }
  CheckSlices(r, i, verified, whole);
  if (e.storage == Storage::kSeedLM && e.num_blocks() > 0 && verified) {
    CheckBlock(r, i, 0, 0);
    CheckBlock(r, i, e.rows() - 1, e.blocks_per_row() - 1);
  }
  absl::StatusOr<Block> past = r.GetBlock(i, e.rows(), 0);
  Check(!past.ok(), "GetBlock past the last row", past.status());
  if (e.storage != Storage::kSeedLM && payload.ok()) {
    const absl::StatusOr<Block> none = r.GetBlock(i, 0, 0);
    Check(none.status().code() == absl::StatusCode::kInvalidArgument,
          "GetBlock of a tensor without blocks", none.status());
  }
  if (e.storage == Storage::kTrellis) {
    Check(r.version() >= 2, "trellis tensor in a version-1 file",
          absl::OkStatus());
    if (payload.ok()) {
      const absl::Status scales =
          CheckTrellisScales(MakeGeometry(e.codec, e.rows(), e.cols()),
                             *payload, PayloadOrigin::kStored);
      Check(scales.ok() == r.VerifyTensor(i).ok(),
            "VerifyTensor disagrees with CheckTrellisScales", scales);
    }
  }
  if (e.storage == Storage::kSeedLM && e.num_blocks() > 0) {
    absl::StatusOr<Block> first = r.GetBlock(i, 0, 0);  // verified or not
    Check(first.ok() || first.status().code() == absl::StatusCode::kDataLoss,
          "GetBlock code", first.status());
  }
}

void Exercise(std::string bytes) {
  absl::StatusOr<std::unique_ptr<ContainerReader>> r =
      ContainerReader::OpenFromBuffer(std::move(bytes));
  if (!r.ok()) {
    const absl::StatusCode c = r.status().code();
    Check(c == absl::StatusCode::kInvalidArgument ||
              c == absl::StatusCode::kUnimplemented ||
              c == absl::StatusCode::kDataLoss,
          "Open code", r.status());
    return;
  }
  const absl::Status v = (*r)->VerifyAll();
  Check(v.ok() || v.code() == absl::StatusCode::kDataLoss, "VerifyAll code", v);
  bool all_tensors_ok = true;
  for (size_t i = 0; i < (*r)->tensors().size(); ++i) {
    const absl::Status t = (*r)->VerifyTensor(i);
    Check(t.ok() || t.code() == absl::StatusCode::kDataLoss,
          "VerifyTensor code", t);
    all_tensors_ok = all_tensors_ok && t.ok();
  }
  Check(all_tensors_ok == v.ok(), "VerifyTensor disagrees with VerifyAll", v);
  for (size_t i = 0; i < (*r)->tensors().size(); ++i) {
    ExerciseTensor(**r, i, v.ok());
  }
  const absl::StatusOr<size_t> absent = (*r)->FindTensor(std::string(1, '\0'));
  Check(absent.status().code() == absl::StatusCode::kNotFound,
        "FindTensor of an impossible name", absent.status());
  absl::StatusOr<absl::Span<const uint8_t>> past =
      (*r)->Payload((*r)->tensors().size());
  Check(past.status().code() == absl::StatusCode::kOutOfRange,
        "Payload past the end", past.status());
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  seedlm::Exercise(bytes);
  seedlm::container_testing::RepairChecksums(&bytes);
  seedlm::Exercise(std::move(bytes));
  return 0;
}
