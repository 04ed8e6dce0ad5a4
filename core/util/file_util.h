// File helpers: whole-file reads with a size cap, read-only memory maps, and
// atomic writes (an unnamed temp file + fsync + rename).
//
// Inputs: every read of a file named by a user goes through OpenForRead(),
// which never blocks (a FIFO or device node at an input path is refused with
// INVALID_ARGUMENT "<path> is not a regular file (a FIFO)" instead of hanging
// in open()) and accepts only regular files (symlinks to them are followed).
//
// Outputs: AtomicFileWriter never replaces anything but a regular file. An
// output path that exists and is a symlink, FIFO, device, socket or directory
// is refused with INVALID_ARGUMENT, checked when the writer is created and
// again just before the final rename. The data goes to an O_TMPFILE file in
// the output's directory, which has no name until Commit(): a process killed
// while writing leaves nothing behind. Every write, fsync and close is
// checked.
//
// Signals: exceeding RLIMIT_FSIZE (`ulimit -f`) normally kills the process
// with SIGXFSZ. The writes here block SIGXFSZ on the calling thread while
// they run and discard the SIGXFSZ they raised, so the write fails with EFBIG
// (RESOURCE_EXHAUSTED "cannot write OUT: File too large") and the caller
// cleans up. The process's signal dispositions are never changed.
//
// Errors: NOT_FOUND for a missing file, PERMISSION_DENIED, RESOURCE_EXHAUSTED
// when a file exceeds the caller's cap or the disk / file-size limit is hit,
// INVALID_ARGUMENT for a path of the wrong type, UNKNOWN for other I/O
// errors; every message names the path (the output path, never a temp name).
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

// How many unique temp names ("<path>.tmp.<pid>.<n>") AtomicFileWriter tries
// before giving up (RESOURCE_EXHAUSTED): names are only taken by stale files
// of killed processes whose pid was reused.
inline constexpr int kMaxTempNameAttempts = 100;

// Opens `path` read-only without blocking: O_NONBLOCK while opening (so a
// FIFO without a writer or a device cannot hang the caller), then fstat;
// anything but a regular file is refused (INVALID_ARGUMENT "<path> is not a
// regular file (a FIFO)"); then O_NONBLOCK is cleared. Returns the fd (the
// caller closes it) and, if `size` is not null, the file's size.
absl::StatusOr<int> OpenForRead(const std::string& path,
                                uint64_t* size = nullptr);

// Reads up to `n` leading bytes of the regular file `path` into `buf`;
// returns how many (fewer when the file is shorter).
absl::StatusOr<size_t> ReadFileHead(const std::string& path, void* buf,
                                    size_t n);

// Reads a whole file. Fails with RESOURCE_EXHAUSTED if it is larger than
// max_bytes (so hostile inputs never cause an unbounded allocation).
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             uint64_t max_bytes);

// OK when `path` does not exist or is a regular file (not followed through a
// symlink: lstat). Otherwise INVALID_ARGUMENT "output <path> exists and is
// not a regular file (a symbolic link); remove it or choose another path".
// Every output goes through it (AtomicFileWriter); commands call it up front
// to fail before any work.
absl::Status CheckOutputPath(const std::string& path);

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

// Writes a file atomically. Create() refuses an existing non-regular `path`
// (CheckOutputPath) and opens an unnamed O_TMPFILE file in its directory;
// only Commit() gives it a name: fsync, link to a unique temp name
// "<path>.tmp.<pid>.<n>", close, CheckOutputPath again, rename over `path`,
// fsync of the directory. Destroying an uncommitted writer discards the data,
// so a failed, interrupted or killed write never leaves a partial file at
// `path`, and (O_TMPFILE) no temp file either. Where the filesystem lacks
// O_TMPFILE (or /proc is not mounted) the writer falls back to a named temp
// file "<path>.tmp.<pid>.<n>" from the start: it is removed on failure, but a
// SIGKILL while writing leaves it behind. With O_TMPFILE a temp name exists
// only between the link and the rename inside Commit(). Not thread-safe.
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
  // Makes the file visible at `path`. After a failed Commit the writer is
  // closed and `path` is as it was.
  absl::Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  absl::Status LinkTempName();

  std::string path_;
  std::string tmp_;  // the temp name; empty while an O_TMPFILE is unnamed
  int fd_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Writes `contents` to `path` atomically.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_FILE_UTIL_H_
