// File helpers: whole-file reads with a size cap, read-only memory maps, and
// atomic writes (temp file + fsync + rename).
//
// Errors: NOT_FOUND for a missing file, PERMISSION_DENIED, RESOURCE_EXHAUSTED
// when a file exceeds the caller's cap, INTERNAL/UNKNOWN for other I/O errors;
// every message names the path.
#ifndef SEEDLM_CORE_UTIL_FILE_UTIL_H_
#define SEEDLM_CORE_UTIL_FILE_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seedlm {

// Reads a whole file. Fails with RESOURCE_EXHAUSTED if it is larger than
// max_bytes (so hostile inputs never cause an unbounded allocation).
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             uint64_t max_bytes);

// Returns the status for a failed syscall on `path` (errno mapped to a code).
absl::Status ErrnoToStatus(int err, absl::string_view what,
                           const std::string& path);

// A read-only view of a whole file, memory-mapped. Thread-safe to read.
class MappedFile {
 public:
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(
      const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // Hint that bytes [offset, offset + n) are not needed for now: their pages
  // leave this process's resident set (a later read maps them back from the
  // page cache). Only whole pages inside the range are dropped.
  void DropPages(uint64_t offset, uint64_t n) const;
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
};

// Writes a file atomically: everything goes to "<path>.tmp.<pid>", and only
// Commit() (fsync, rename over `path`, fsync of the directory) makes it
// visible. Destroying an uncommitted writer removes the temp file, so a failed
// or interrupted write never leaves a partial file at `path`.
// Not thread-safe.
class AtomicFileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Create(
      const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends at the current end.
  absl::Status Append(const void* data, size_t n);
  absl::Status Append(absl::string_view s) {
    return Append(s.data(), s.size());
  }
  // Overwrites bytes already written. REQUIRES: offset + n <= size().
  absl::Status WriteAt(uint64_t offset, const void* data, size_t n);
  // Bytes appended so far.
  uint64_t size() const { return size_; }
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::string path_;
  std::string tmp_;
  int fd_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Writes `contents` to `path` atomically.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_FILE_UTIL_H_
