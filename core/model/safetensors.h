// The safetensors format (https://github.com/huggingface/safetensors):
// reading (header parsing and validation, a ModelSource over one file) and
// writing (deterministic, atomic).
//
// Layout: u64 little-endian N, then N bytes of JSON header
//   {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//    ..., "__metadata__": {"<key>": "<string>", ...}}
// (padded with trailing spaces, and with nothing else: a NUL or any other
// byte after the JSON is corrupt), then the data buffer; offsets are relative
// to the first byte after the header. As the format requires, the tensors
// must cover the buffer exactly: no holes, no overlaps.
//
// The header is read through core/util/json_util.h (bounded, exception-free,
// every member type-checked). Reader errors: DATA_LOSS for any structural
// problem (header length beyond the file, bad JSON or invalid UTF-8, an empty
// tensor name or one holding a NUL (an escaped \u0000), a member
// of the wrong JSON type, shape or offsets that are not non-negative
// integers, offsets out of range / overlapping / leaving holes, size !=
// product(shape) * dtype size, a shape whose byte size overflows or exceeds
// the file); RESOURCE_EXHAUSTED for a header over kMaxSafetensorsHeaderBytes,
// nested deeper than kMaxSafetensorsHeaderDepth, of more than
// kMaxJsonItems (core/util/json_util.h) JSON items, with more than
// kMaxModelTensors tensors, a name over kMaxModelTensorNameBytes or a shape of
// more than kMaxModelTensorRank dimensions (model_source.h); UNIMPLEMENTED for
// dtypes other than F32, F16, BF16 (the whole file is rejected, naming the
// tensor and dtype).
#ifndef SEEDLM_CORE_MODEL_SAFETENSORS_H_
#define SEEDLM_CORE_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/model/model_source.h"
#include "core/util/file_util.h"

namespace seedlm {

// Largest header the reader accepts (the reference implementation's limit);
// a longer one is RESOURCE_EXHAUSTED.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
// Deepest JSON nesting accepted in a header (a valid one nests 3 deep: the
// header object, a tensor entry, its shape); deeper is RESOURCE_EXHAUSTED.
inline constexpr int kMaxSafetensorsHeaderDepth = 8;

struct SafetensorsEntry {
  TensorInfo info;
  uint64_t offset = 0;  // absolute byte offset in the file
  uint64_t size = 0;    // bytes
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;        // sorted by offset (file order)
  std::map<std::string, std::string> metadata;  // "__metadata__"
};

// Parses and validates the header of a safetensors file held in memory.
// `file` is the whole file; `path` is only used in error messages.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(
    absl::Span<const uint8_t> file, const std::string& path);

// Opens one .safetensors file as a model (source_format "safetensors", no
// architecture config). Tensors are in file (offset) order.
absl::StatusOr<std::unique_ptr<ModelSource>> OpenSafetensorsFile(
    const std::string& path, const OpenModelOptions& opts);

// Dtype names used in safetensors headers: "F32", "F16", "BF16".
const char* SafetensorsDTypeName(DType t);

// Writes `tensors` (each: its info and exactly NumElements * DTypeSize bytes)
// to `path` atomically (temp file + rename). Data are laid out in the given
// order; the JSON header has sorted keys, no whitespace, "__metadata__" only
// when `metadata` is non-empty, and is padded with spaces to a multiple of 8
// bytes. The same inputs always give the same bytes.
// INVALID_ARGUMENT for empty, duplicate or "__metadata__" names, negative or
// overflowing shapes, or a byte span of the wrong size; I/O errors as in
// file_util.h.
absl::Status WriteSafetensors(
    const std::string& path,
    const std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>>&
        tensors,
    const std::map<std::string, std::string>& metadata);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_SAFETENSORS_H_
