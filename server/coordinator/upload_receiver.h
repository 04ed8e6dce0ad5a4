// Receiving an uploaded model (UploadModel's client stream), RPC-free: a
// manifest of files (relative path, size, sha256) first, then each file's
// bytes in order, in chunks that each carry a CRC-32. A chunk whose CRC
// fails, a file whose size or sha256 differs from the manifest, a path that
// could escape the upload's directory: each is refused and nothing is kept
// (the caller removes the directory). Also the input digest of a model
// path, recorded with every job.
//
// Thread-compatible: one stream feeds one receiver.
#ifndef SEEDLM_SERVER_COORDINATOR_UPLOAD_RECEIVER_H_
#define SEEDLM_SERVER_COORDINATOR_UPLOAD_RECEIVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/util/sha256.h"

namespace seedlm::coordinator {

inline constexpr size_t kMaxUploadFiles = 4096;
inline constexpr size_t kMaxUploadChunkBytes = 4 << 20;

struct UploadFileSpec {
  std::string relative_path;
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

class UploadReceiver {
 public:
  // Checks the manifest and creates `dir` (which must not exist) with the
  // files' parent directories. INVALID_ARGUMENT for no files or more than
  // kMaxUploadFiles, a bad or duplicate path (job_spec.h
  // CheckRelativePath), a malformed sha256, or sizes summing over
  // `max_total_bytes` (RESOURCE_EXHAUSTED); errors of creating `dir`.
  static absl::StatusOr<std::unique_ptr<UploadReceiver>> Start(
      const std::string& dir, std::vector<UploadFileSpec> files,
      uint64_t max_total_bytes);
  ~UploadReceiver();

  // Appends a chunk. Files arrive in manifest order, each from offset 0
  // with no gaps. INVALID_ARGUMENT for a file index or offset out of order,
  // a chunk over kMaxUploadChunkBytes or past the file's size; DATA_LOSS
  // when crc32 (zlib) of `data` differs from `crc32`; I/O errors.
  absl::Status Write(uint32_t file_index, uint64_t offset,
                     absl::Span<const uint8_t> data, uint32_t crc32);

  // Ends the upload: every file must be complete and match its sha256
  // (DATA_LOSS naming the file otherwise); files are fsynced. Returns the
  // upload's digest (DirectoryDigest of the manifest).
  absl::StatusOr<std::string> Finish();

  uint64_t bytes_received() const { return received_; }

 private:
  UploadReceiver(std::string dir, std::vector<UploadFileSpec> files);
  absl::Status OpenNext();
  absl::Status CloseCurrent();

  const std::string dir_;
  const std::vector<UploadFileSpec> files_;
  size_t current_ = 0;    // file being written
  uint64_t written_ = 0;  // bytes of the current file so far
  int fd_ = -1;
  std::unique_ptr<Sha256> hash_;
  uint64_t received_ = 0;
  std::vector<bool> done_;
};

// The sha256 of the lines "<relative_path> <sha256>\n" of `files` sorted by
// path: the digest of a directory of files.
std::string DirectoryDigest(std::vector<UploadFileSpec> files);

// The input digest of a model path: the file's sha256, or for a directory
// the DirectoryDigest of its regular files (recursively, symlinks to files
// followed). Errors of reading.
absl::StatusOr<std::string> ModelInputSha256(const std::string& path);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_UPLOAD_RECEIVER_H_
