// The resumable state of an interrupted `seedlm compress`: a directory beside
// the output ("OUT.ckpt/", e.g. "model.seedlm.ckpt/") holding, for every
// finished tensor, its packed payload ("tensor-<i>.payload") and its report
// ("tensor-<i>.json"), plus a manifest ("manifest.json") that marks the
// directory as a SeedLM checkpoint ({"format": "seedlm-checkpoint",
// "version": 2, ...}) and fingerprints the input model and the options.
// `--resume` reuses every finished tensor whose input bytes are unchanged
// (CRC-32 checked) and compresses the rest; the final file is byte-identical
// to an uninterrupted run's.
//
// Ownership: the tool only writes into, reuses or deletes a directory whose
// manifest carries the marker (or a version-1 manifest, which it wrote before
// the marker existed). Anything else at OUT.ckpt — a user's file, directory
// or symlink, a directory without a readable manifest — is refused with
// FAILED_PRECONDITION naming it, and left untouched. Removing a checkpoint
// deletes only the files the tool writes there, by their names, then the
// directory if it is empty (a user's file put inside keeps it).
//
// Every file is written atomically, so a kill at any moment leaves either the
// previous or the new state. Manifest and entries are parsed with the bounded
// JSON layer (json_util.h). Not thread-safe.
#ifndef SEEDLM_CORE_COMPRESS_CHECKPOINT_H_
#define SEEDLM_CORE_COMPRESS_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/util/file_util.h"

namespace seedlm {

// The manifest's "format" value that marks a directory as a checkpoint.
inline constexpr char kCheckpointFormat[] = "seedlm-checkpoint";
// Largest manifest.json read (it holds the fingerprint, which lists the
// model's tensors); a larger one, like one nested deeper than
// kMaxCheckpointJsonDepth, is not recognised as a checkpoint
// (FAILED_PRECONDITION, nothing touched).
inline constexpr uint64_t kMaxCheckpointManifestBytes = uint64_t{16} << 20;
// Largest tensor-<i>.json read; a larger one is not reused (recomputed).
inline constexpr uint64_t kMaxCheckpointEntryBytes = uint64_t{64} << 10;
// Deepest JSON nesting accepted in the manifest and the entries (they are
// flat objects).
inline constexpr int kMaxCheckpointJsonDepth = 8;

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
  // The checkpoint directory for `out_path`: "<out_path>.ckpt".
  static std::string DirFor(const std::string& out_path);

  // Opens the checkpoint of `out_path` for a run whose input and options
  // have the fingerprint `fingerprint` (any text; compared exactly).
  // A missing directory: a new checkpoint is created.
  // Something at DirFor(out_path) that is not a checkpoint (see above):
  // FAILED_PRECONDITION, nothing touched.
  // resume == false: the old checkpoint's entries are deleted and a new
  // manifest written.
  // resume == true: the checkpoint is reused; DATA_LOSS if its manifest is
  // corrupt (a field missing or of the wrong type), FAILED_PRECONDITION if it
  // was made for another input, other options or another checkpoint version.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(
      const std::string& out_path, const std::string& fingerprint, bool resume);

  // The finished entry of tensor `index` if it exists, is well-formed, its
  // input CRC equals `input_crc` and its payload file is intact (size and
  // CRC); else false.
  bool Lookup(size_t index, uint32_t input_crc, CheckpointEntry* entry) const;

  // Streams the payload of tensor `index`: Begin, Append..., then Commit
  // with its entry (payload size/CRC are filled in). Commit makes it durable.
  absl::Status BeginTensor(size_t index);
  absl::Status Append(absl::Span<const uint8_t> bytes);
  absl::Status CommitTensor(size_t index, CheckpointEntry entry);

  // The path of tensor `index`'s finished payload.
  std::string PayloadPath(size_t index) const;

  // Deletes the checkpoint (after the output was written): the files the
  // tool wrote, then the directory unless something else is in it.
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
