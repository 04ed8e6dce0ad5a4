#include "core/util/file_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {

absl::Status ErrnoToStatus(int err, absl::string_view what,
                           const std::string& path) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EFBIG:
      return absl::ResourceExhaustedError(msg);
    case EISDIR:
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnknownError(msg);
  }
}

namespace {

// What a non-regular file is, for messages.
const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Blocks SIGXFSZ on this thread for its lifetime; on destruction discards a
// SIGXFSZ raised meanwhile (a write past RLIMIT_FSIZE, which then failed with
// EFBIG) and restores the mask. A SIGXFSZ the caller had blocked already is
// left alone.
class ScopedSigxfszBlock {
 public:
  ScopedSigxfszBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~ScopedSigxfszBlock() {
    if (!sigismember(&old_, SIGXFSZ)) {
      sigset_t pending;
      sigemptyset(&pending);
      if (sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ)) {
        const struct timespec zero = {0, 0};
        sigtimedwait(&set_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigxfszBlock(const ScopedSigxfszBlock&) = delete;
  ScopedSigxfszBlock& operator=(const ScopedSigxfszBlock&) = delete;

 private:
  sigset_t set_;
  sigset_t old_;
};

// Writes all of [data, data + n) at `offset` (< 0: at the file position).
// Errors name `path` (the output, not a temp name).
absl::Status WriteAll(int fd, const void* data, size_t n,
                      const std::string& path, int64_t offset) {
  ScopedSigxfszBlock block;
  const char* c = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w =
        offset < 0 ? ::write(fd, c, n) : ::pwrite(fd, c, n, offset);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ErrnoToStatus(w < 0 ? errno : EIO, "cannot write", path);
    c += w;
    n -= static_cast<size_t>(w);
    if (offset >= 0) offset += w;
  }
  return absl::OkStatus();
}

// The directory `path` is in ("." for a bare name).
std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return path.substr(0, slash == 0 ? 1 : slash);
}

// A temp name for `path` that this process has not used yet.
std::string NextTempName(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(path, ".tmp.", ::getpid(), ".", counter++);
}

// Opens a named temp file beside `path` (the fallback without O_TMPFILE).
absl::StatusOr<int> CreateNamedTemp(const std::string& path, std::string* tmp) {
  for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
    *tmp = NextTempName(path);
    const int fd =
        ::open(tmp->c_str(),
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) return fd;
    if (errno != EEXIST) return ErrnoToStatus(errno, "cannot create", path);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("cannot create ", path, ": no free temp name after ",
                   kMaxTempNameAttempts, " tries"));
}

// fsyncs the directory holding `path` (makes a rename durable). A directory
// that cannot be opened for reading, or a filesystem that cannot sync
// directories (EINVAL), is skipped.
absl::Status SyncDirOf(const std::string& path) {
  const std::string dir = DirName(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return absl::OkStatus();
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (rc != 0 && err != EINVAL) {
    return ErrnoToStatus(err, "cannot fsync the directory of", path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> OpenForRead(const std::string& path, uint64_t* size) {
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a regular file (", FileTypeName(st.st_mode), ")"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "cannot open", path);
  }
  if (size != nullptr) *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

absl::StatusOr<size_t> ReadFileHead(const std::string& path, void* buf,
                                    size_t n) {
  ASSIGN_OR_RETURN(const int fd, OpenForRead(path));
  char* out = static_cast<char*>(buf);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "cannot read", path);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return got;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             uint64_t max_bytes) {
  uint64_t size = 0;
  ASSIGN_OR_RETURN(const int fd, OpenForRead(path, &size));
  if (size > max_bytes) {
    ::close(fd);
    return absl::ResourceExhaustedError(absl::StrCat(
        path, " is ", size, " bytes, more than the limit of ", max_bytes));
  }
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    const ssize_t r = ::read(fd, &out[got], size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int err = r < 0 ? errno : EIO;
      ::close(fd);
      return ErrnoToStatus(err, "cannot read", path);
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return out;
}

absl::Status CheckOutputPath(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(errno, "cannot stat output", path);
  }
  if (S_ISREG(st.st_mode)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "output ", path, " exists and is not a regular file (",
      FileTypeName(st.st_mode), "); remove it or choose another path"));
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(
    const std::string& path) {
  uint64_t size = 0;
  ASSIGN_OR_RETURN(const int fd, OpenForRead(path, &size));
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "cannot map", path);
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return std::unique_ptr<MappedFile>(new MappedFile(path, data, size));
}

void MappedFile::DropPages(uint64_t offset, uint64_t n) const {
  if (data_ == nullptr || offset >= size_) return;
  n = std::min(n, size_ - offset);
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = (offset + page - 1) / page * page;
  const uint64_t end = (offset + n) / page * page;
  if (end <= begin) return;
  ::madvise(const_cast<uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

absl::StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(
    const std::string& path) {
  RETURN_IF_ERROR(CheckOutputPath(path));
  const std::string dir = DirName(path);
  // Commit() names an O_TMPFILE file through /proc/self/fd.
  static const bool have_proc = ::access("/proc/self/fd", X_OK) == 0;
  int fd = -1;
  if (have_proc) {
    fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      return ErrnoToStatus(errno, "cannot create", path);
    }
  }
  std::string tmp;
  if (fd < 0) {
    ASSIGN_OR_RETURN(fd, CreateNamedTemp(path, &tmp));
  }
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriter(path, std::move(tmp), fd));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

absl::Status AtomicFileWriter::Append(const void* data, size_t n) {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  RETURN_IF_ERROR(WriteAll(fd_, data, n, path_, -1));
  size_ += n;
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::WriteAt(uint64_t offset, const void* data,
                                       size_t n) {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  if (offset + n > size_) {
    return absl::OutOfRangeError("WriteAt past the end of the file");
  }
  return WriteAll(fd_, data, n, path_, static_cast<int64_t>(offset));
}

// Gives the unnamed O_TMPFILE file a unique temp name beside path_.
absl::Status AtomicFileWriter::LinkTempName() {
  const std::string self = absl::StrCat("/proc/self/fd/", fd_);
  for (int attempt = 0; attempt < kMaxTempNameAttempts; ++attempt) {
    const std::string name = NextTempName(path_);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(),
                 AT_SYMLINK_FOLLOW) == 0) {
      tmp_ = name;
      return absl::OkStatus();
    }
    if (errno != EEXIST) return ErrnoToStatus(errno, "cannot link", path_);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("cannot link ", path_, ": no free temp name after ",
                   kMaxTempNameAttempts, " tries"));
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  absl::Status s;
  if (::fsync(fd_) != 0) {
    s = ErrnoToStatus(errno, "cannot fsync", path_);
  } else if (tmp_.empty()) {
    s = LinkTempName();
  }
  const int rc = ::close(fd_);
  const int err = errno;
  fd_ = -1;
  RETURN_IF_ERROR(s);  // the destructor removes a temp name
  if (rc != 0) return ErrnoToStatus(err, "cannot close", path_);
  // Refuse, again, to rename over anything but a regular file: something may
  // have appeared at path_ while we wrote.
  RETURN_IF_ERROR(CheckOutputPath(path_));
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ErrnoToStatus(errno, "cannot rename to", path_);
  }
  committed_ = true;
  return SyncDirOf(path_);
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  ASSIGN_OR_RETURN(auto w, AtomicFileWriter::Create(path));
  RETURN_IF_ERROR(w->Append(contents));
  return w->Commit();
}

}  // namespace seedlm
