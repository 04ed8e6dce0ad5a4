// The resumable state of an interrupted `seedlm compress`: a directory beside
// the output ("OUT.seedlm.ckpt/") holding, for every finished tensor, its
// packed payload and its report, plus a manifest that fingerprints the input
// model and the options. `--resume` reuses every finished tensor whose input
// bytes are unchanged (CRC-32 checked) and compresses the rest; the final file
// is byte-identical to an uninterrupted run's.
//
// Every file is written atomically, so a kill at any moment leaves either the
// previous or the new state. Not thread-safe.
#ifndef SEEDLM_CORE_COMPRESS_CHECKPOINT_H_
#define SEEDLM_CORE_COMPRESS_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/util/file_util.h"

namespace seedlm {

// What a finished tensor records.
struct CheckpointEntry {
  uint32_t input_crc = 0;  // CRC-32 of the tensor's stored input bytes
  uint64_t payload_bytes = 0;
  uint32_t payload_crc = 0;  // CRC-32 of the packed payload
  double sq_error = 0;
  double sq_norm = 0;
  double seconds = 0;
  int exponent_bias = 0;  // the bias the tensor was compressed with
};

class Checkpoint {
 public:
  // The checkpoint directory for `out_path`.
  static std::string DirFor(const std::string& out_path);

  // Opens the checkpoint of `out_path` for a run whose input and options
  // have the fingerprint `fingerprint` (any text; compared exactly).
  // resume == false: any old checkpoint is discarded and a new one started.
  // resume == true: an existing checkpoint is reused; FAILED_PRECONDITION if
  // it was made for another input or other options. A missing checkpoint
  // starts a new one.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(
      const std::string& out_path, const std::string& fingerprint, bool resume);

  // The finished entry of tensor `index` if it exists, its input CRC equals
  // `input_crc` and its payload file is intact (size and CRC); else false.
  bool Lookup(size_t index, uint32_t input_crc, CheckpointEntry* entry) const;

  // Streams the payload of tensor `index`: Begin, Append..., then Commit
  // with its entry (payload size/CRC are filled in). Commit makes it durable.
  absl::Status BeginTensor(size_t index);
  absl::Status Append(absl::Span<const uint8_t> bytes);
  absl::Status CommitTensor(size_t index, CheckpointEntry entry);

  // The path of tensor `index`'s finished payload.
  std::string PayloadPath(size_t index) const;

  // Deletes the directory (after the output was written).
  absl::Status Remove();

 private:
  explicit Checkpoint(std::string dir) : dir_(std::move(dir)) {}
  std::string EntryPath(size_t index) const;

  std::string dir_;
  std::unique_ptr<AtomicFileWriter> pending_;
  uint64_t pending_bytes_ = 0;
  uint32_t pending_crc_ = 0;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_CHECKPOINT_H_
