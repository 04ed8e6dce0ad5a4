// Test and fuzzing helpers for the .seedlm container: deterministic sample
// containers, and recomputing checksums after deliberate tampering so that
// tests and the fuzzer can reach the reader's structural checks behind the
// CRCs. Test-only (no gtest dependency); never use on real files.
#ifndef SEEDLM_CORE_FORMAT_CONTAINER_TESTING_H_
#define SEEDLM_CORE_FORMAT_CONTAINER_TESTING_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/block_format.h"
#include "core/format/container.h"

namespace seedlm {
namespace container_testing {

// A tensor with its payload, for building test containers.
struct TestTensor {
  TensorEntry entry;
  std::vector<uint8_t> payload;
};

// Random valid blocks (seed != 0, fields in range) for the seedlm entry `e`,
// packed with PackBlock; a pure function of (e, seed). The unpacked blocks go
// to *blocks when it is not null.
std::vector<uint8_t> RandomBlocksPayload(const TensorEntry& e, uint32_t seed,
                                         std::vector<Block>* blocks = nullptr);

// Random valid rows for the trellis entry `e` (trellis_format.h): each row's
// scale a finite float >= 0 (every fifth row +0.0), random stream bits, zero
// bits after the last stored weight of a row. A pure function of (e, seed).
std::vector<uint8_t> RandomTrellisPayload(const TensorEntry& e, uint32_t seed);

// Raw little-endian elements of a pure-function-of-seed pattern for the raw
// entry `e` (finite values).
std::vector<uint8_t> RandomRawPayload(const TensorEntry& e, uint32_t seed);

// A small deterministic model: f32, f16, bf16 and three seedlm tensors (4bit
// paper, 3bit with cols not a multiple of C and a rank-3 shape, 4bit-i8 with
// a nonzero exponent bias and mode `fit`).
std::vector<TestTensor> SampleTensors();
std::map<std::string, std::string> SampleMetadata();
// A small deterministic model with trellis tensors (a format version 2 file):
// f32, a 4bit seedlm tensor, 4bit-t [3, 300] (two rings, the last of 44),
// 3bit-t [2, 2, 172], 2bit-t [1, 5] (one ring padded to 8 weights) and an
// unrotated L 12, R 4, T 64 codec [4, 130].
std::vector<TestTensor> TrellisSampleTensors();

// Writes `tensors` and `metadata` to `path` with ContainerWriter::AddTensor
// and returns the file's bytes.
absl::StatusOr<std::string> WriteContainer(
    const std::string& path, const std::vector<TestTensor>& tensors,
    const std::map<std::string, std::string>& metadata);

// Best effort, on arbitrary bytes (never reads out of bounds): rewrites the
// CRC of every payload that the directory describes in bounds (walking the
// entries until one fails to decode), then the directory/metadata CRC (over
// [directory_offset, end of file)) and the header CRC. Does nothing to a
// buffer shorter than the header.
void RepairChecksums(std::string* bytes);

}  // namespace container_testing
}  // namespace seedlm

#endif  // SEEDLM_CORE_FORMAT_CONTAINER_TESTING_H_
