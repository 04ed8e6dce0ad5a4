// Reader for GGUF files (llama.cpp / ggml), versions 2 and 3, little-endian.
//
// Layout: "GGUF", u32 version, u64 tensor_count, u64 kv_count, kv_count
// key/value pairs (key: u64 length + bytes; u32 value type 0..12; value),
// tensor_count tensor infos (name, u32 n_dims <= 4, u64 dims[n_dims] with the
// fastest-varying first, u32 ggml type, u64 offset), padding to the
// alignment, then the data; offsets are relative to the aligned data start.
//
// Only the tensors are used; of the metadata only "general.alignment"
// (default 32, must be a power of two) is read, everything else is skipped
// with bounds checks (counts capped by the bytes left, arrays nested at most
// 8 deep). Tensor names must be non-empty without NUL bytes. Keys and tensor
// names must be valid UTF-8, as the format requires
// (DATA_LOSS naming the offset otherwise: they end up in JSON); keys are at
// most kMaxGgufKeyBytes (the format's limit, DATA_LOSS beyond), names at most
// kMaxModelTensorNameBytes and the tensor count at most kMaxModelTensors
// (RESOURCE_EXHAUSTED beyond, model_source.h). Skipped string values are not
// checked. Shapes are reported outermost-first, i.e. GGUF's dims reversed.
// Tensors appear in tensor-info order. Supported tensor types: F32 (0),
// F16 (1), BF16 (30); any other type (quantized, integer) is UNIMPLEMENTED
// naming the tensor. Structural problems (bad magic, truncation, misaligned
// or out-of-range or overlapping data, duplicate names, shape overflow) are
// DATA_LOSS; versions other than 2 and 3 are UNIMPLEMENTED.
#ifndef SEEDLM_CORE_MODEL_GGUF_READER_H_
#define SEEDLM_CORE_MODEL_GGUF_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/model/model_source.h"

namespace seedlm {

// Longest metadata key, in bytes (the GGUF specification's limit, 2^16 - 1).
inline constexpr uint64_t kMaxGgufKeyBytes = 65535;

// The tensors of a GGUF file held in memory: infos in tensor-info order, and
// for each its absolute byte offset in the file and byte size.
struct GgufTensors {
  std::vector<TensorInfo> infos;
  std::vector<uint64_t> offsets;
  std::vector<uint64_t> sizes;
};

// Parses and validates a whole GGUF file (`path` only names it in errors).
absl::StatusOr<GgufTensors> ParseGguf(absl::Span<const uint8_t> file,
                                      const std::string& path);

// Opens a GGUF file (source_format "gguf", no architecture config).
absl::StatusOr<std::unique_ptr<ModelSource>> OpenGguf(
    const std::string& path, const OpenModelOptions& opts);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_GGUF_READER_H_
