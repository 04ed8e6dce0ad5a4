#include "server/coordinator/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm::coordinator {
namespace {

namespace fs = std::filesystem;

std::string ParentOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status SyncDir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open directory", path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(err, "cannot fsync directory", path);
  return absl::OkStatus();
}

// The names in directory `path`.
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end;
       it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return ErrnoToStatus(ec.value(), "cannot list directory", path);
  return names;
}

// Removes every entry of directory `path` whose name `keep` rejects.
template <typename Keep>
absl::Status RemoveEntries(const std::string& path, Keep keep) {
  ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDir(path));
  for (const std::string& name : names) {
    if (!keep(name)) RETURN_IF_ERROR(RemoveTree(path + "/" + name));
  }
  return absl::OkStatus();
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return SyncDir(ParentOf(path));
  const int err = errno;
  if (err != EEXIST) return ErrnoToStatus(err, "cannot create directory", path);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "cannot stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (path[slash - 1] == '/') continue;  // "a//b"
    RETURN_IF_ERROR(MakeDir(path.substr(0, slash)));
  }
  return MakeDir(path);
}

absl::StatusOr<int> LockStateDir(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state directory ", dir, " is in use by another coordinator (", path,
          " is locked)"));
    }
    return ErrnoToStatus(err, "cannot lock", path);
  }
  return fd;
}

absl::Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return ErrnoToStatus(ec.value(), "cannot remove", path);
  return absl::OkStatus();
}

absl::Status RemoveUnreferenced(const std::string& dir,
                                const StateDirContents& keep) {
  const std::string units = dir + "/units";
  RETURN_IF_ERROR(RemoveEntries(units, [&](const std::string& job) {
    return keep.jobs.count(job) != 0 && IsDir(units + "/" + job);
  }));
  for (const std::string& job : keep.jobs) {
    const std::string job_dir = units + "/" + job;
    if (!IsDir(job_dir)) continue;
    const auto files = keep.unit_files.find(job);
    RETURN_IF_ERROR(RemoveEntries(job_dir, [&](const std::string& name) {
      return files != keep.unit_files.end() && files->second.count(name) != 0;
    }));
  }
  const std::string uploads = dir + "/uploads";
  RETURN_IF_ERROR(RemoveEntries(uploads, [&](const std::string& id) {
    return keep.uploads.count(id) != 0;
  }));
  return RemoveEntries(dir + "/results", [&](const std::string& name) {
    constexpr absl::string_view kExt = ".seedlm";
    return absl::EndsWith(name, kExt) &&
           keep.jobs.count(name.substr(0, name.size() - kExt.size())) != 0;
  });
}

}  // namespace seedlm::coordinator
