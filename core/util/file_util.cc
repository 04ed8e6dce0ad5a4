#include "core/util/file_util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
      return absl::ResourceExhaustedError(msg);
    case EISDIR:
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::UnknownError(msg);
  }
}

namespace {

absl::StatusOr<int> OpenForRead(const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("not a regular file: ", path));
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

absl::Status WriteAll(int fd, const void* data, size_t n, const std::string& p,
                      int64_t offset) {
  const char* c = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w =
        offset < 0 ? ::write(fd, c, n) : ::pwrite(fd, c, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "cannot write", p);
    }
    c += w;
    n -= static_cast<size_t>(w);
    if (offset >= 0) offset += w;
  }
  return absl::OkStatus();
}

}  // namespace

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
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "cannot create", tmp);
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriter(path, std::move(tmp), fd));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

absl::Status AtomicFileWriter::Append(const void* data, size_t n) {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  RETURN_IF_ERROR(WriteAll(fd_, data, n, tmp_, -1));
  size_ += n;
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::WriteAt(uint64_t offset, const void* data,
                                       size_t n) {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  if (offset + n > size_) {
    return absl::OutOfRangeError("WriteAt past the end of the file");
  }
  return WriteAll(fd_, data, n, tmp_, static_cast<int64_t>(offset));
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError("writer is closed");
  if (::fsync(fd_) != 0) return ErrnoToStatus(errno, "cannot fsync", tmp_);
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoToStatus(errno, "cannot close", tmp_);
  }
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ErrnoToStatus(errno, "cannot rename to", path_);
  }
  committed_ = true;
  // Make the rename durable.
  std::string dir = path_;
  const size_t slash = dir.find_last_of('/');
  dir =
      slash == std::string::npos ? "." : dir.substr(0, slash == 0 ? 1 : slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  ASSIGN_OR_RETURN(auto w, AtomicFileWriter::Create(path));
  RETURN_IF_ERROR(w->Append(contents));
  return w->Commit();
}

}  // namespace seedlm
