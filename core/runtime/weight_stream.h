// The weights of a range of layers in transit: what a server reads from the
// model file and streams to an executor (server/executor/), and what the
// executor assembles and checks before building its LlamaModel part
// (LlamaModel::FromTensors). Tensors travel in their stored form: packed
// SeedLM blocks stay packed, f32 / f16 / bf16 tensors go as stored (from a
// checkpoint too), each with its size and CRC-32 (core/util/crc32.h).
//
// Thread-safety: WeightSource is immutable after Open (any thread);
// WeightAssembler is thread-compatible.

#ifndef SEEDLM_CORE_RUNTIME_WEIGHT_STREAM_H_
#define SEEDLM_CORE_RUNTIME_WEIGHT_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/format/container.h"
#include "core/model/model_source.h"
#include "core/runtime/llama_config.h"
#include "core/runtime/llama_model.h"

namespace seedlm {

// The names of the tensors layers [begin, end) use (norms and the seven
// matrices of each layer, layer by layer), as LlamaModel loads them.
// REQUIRES: 0 <= begin <= end <= config.n_layers.
std::vector<std::string> LayerTensorNames(const LlamaConfig& config, int begin,
                                          int end);

// One stored tensor: its entry (name, shape, storage; codec and bias for
// packed; size = payload bytes; crc = CRC-32 of the payload) and payload.
struct StoredWeight {
  TensorEntry entry;
  absl::Span<const uint8_t> payload;  // valid while the source lives
};

class WeightSource {
 public:
  // Opens a model file the way LlamaModel::Load does (a .seedlm container
  // by its magic, else a checkpoint through OpenModel). Errors: theirs;
  // UNIMPLEMENTED for an architecture LlamaModel does not run.
  static absl::StatusOr<std::unique_ptr<WeightSource>> Open(
      const std::string& path);
  virtual ~WeightSource() = default;

  // source_format and arch_config_json are what an executor needs.
  virtual const ModelMetadata& metadata() const = 0;
  const LlamaConfig& config() const { return config_; }

  // The stored form of tensor `name`. NOT_FOUND for an unknown name;
  // DATA_LOSS when a container payload fails its CRC; UNIMPLEMENTED for a
  // checkpoint dtype that has no container storage.
  virtual absl::StatusOr<StoredWeight> Get(const std::string& name) const = 0;

  // The bytes an executor holds for each layer (packed and bf16 matrices
  // as stored, other raw tensors widened to float32): for planning.
  absl::StatusOr<std::vector<uint64_t>> LayerBytes() const;

 protected:
  // Tensor `name`'s entry as Get gives it, without reading or checking the
  // payload (crc may be 0). NOT_FOUND for an unknown name; UNIMPLEMENTED as
  // Get.
  virtual absl::StatusOr<TensorEntry> Describe(
      const std::string& name) const = 0;

  LlamaConfig config_;
};

// Collects streamed tensors: each announced by its entry (BeginTensor),
// then its payload in order (AddChunk), checked against the entry's size
// and CRC as it completes.
class WeightAssembler {
 public:
  // At most `max_tensors` tensors and `max_bytes` payload bytes in all.
  WeightAssembler(size_t max_tensors, uint64_t max_bytes);

  // Starts the next tensor. INVALID_ARGUMENT for an invalid entry, a size
  // that is not ExpectedPayloadBytes(entry), a repeated name, the previous
  // tensor incomplete, or a bound exceeded.
  absl::Status BeginTensor(const TensorEntry& entry);
  // Appends payload bytes at `offset` of the current tensor. INVALID_ARGUMENT
  // for no current tensor, an offset other than the bytes received so far,
  // or bytes past the tensor's size; DATA_LOSS naming the tensor when it
  // completes with a CRC other than the entry's (it is dropped).
  absl::Status AddChunk(uint64_t offset, absl::Span<const uint8_t> data);
  // The complete tensors, handed over (the assembler is then empty).
  // FAILED_PRECONDITION when a tensor is incomplete.
  absl::StatusOr<std::vector<OwnedTensor>> Finish();

  uint64_t bytes_received() const { return bytes_; }
  size_t tensors_complete() const { return done_.size(); }

 private:
  size_t max_tensors_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  bool open_ = false;  // a tensor is being received
  uint32_t crc_ = 0;   // CRC-32 of current_'s payload so far
  OwnedTensor current_;
  std::vector<OwnedTensor> done_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_WEIGHT_STREAM_H_
