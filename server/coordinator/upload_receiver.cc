#include "server/coordinator/upload_receiver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "server/coordinator/job_spec.h"

namespace seedlm::coordinator {

namespace fs = std::filesystem;

UploadReceiver::UploadReceiver(std::string dir,
                               std::vector<UploadFileSpec> files)
    : dir_(std::move(dir)), files_(std::move(files)), done_(files_.size()) {}

UploadReceiver::~UploadReceiver() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<UploadReceiver>> UploadReceiver::Start(
    const std::string& dir, std::vector<UploadFileSpec> files,
    uint64_t max_total_bytes) {
  if (files.empty() || files.size() > kMaxUploadFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest: ", files.size(), " files; 1..", kMaxUploadFiles,
                     " allowed"));
  }
  std::set<std::string> seen;
  uint64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const UploadFileSpec& f = files[i];
    const std::string field = absl::StrCat("manifest.files[", i, "]");
    RETURN_IF_ERROR(
        CheckRelativePath(f.relative_path, field + ".relative_path", false));
    if (!seen.insert(f.relative_path).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": duplicate path ", f.relative_path));
    }
    if (!IsSha256Hex(f.sha256)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".sha256: expected 64 lowercase hex digits"));
    }
    if (f.size > max_total_bytes || total + f.size > max_total_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("upload larger than this coordinator's limit of ",
                       max_total_bytes, " bytes"));
    }
    total += f.size;
  }
  // A path cannot be both a file and a directory of another file.
  for (const std::string& p : seen) {
    if (seen.lower_bound(p + "/") != seen.end() &&
        seen.lower_bound(p + "/")->compare(0, p.size() + 1, p + "/") == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: ", p, " is both a file and a directory"));
    }
  }
  std::error_code ec;
  if (!fs::create_directories(dir, ec) || ec) {
    return absl::InternalError(absl::StrCat("cannot create upload directory ",
                                            dir, ": ",
                                            ec ? ec.message() : "it exists"));
  }
  auto r = std::unique_ptr<UploadReceiver>(
      new UploadReceiver(dir, std::move(files)));
  RETURN_IF_ERROR(r->OpenNext());
  return r;
}

absl::Status UploadReceiver::OpenNext() {
  // Skip (and create) empty files, which get no chunks.
  while (current_ < files_.size()) {
    const std::string path =
        absl::StrCat(dir_, "/", files_[current_].relative_path);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("cannot create directory for ",
                                              path, ": ", ec.message()));
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) return ErrnoToStatus(errno, "create", path);
    hash_ = std::make_unique<Sha256>();
    written_ = 0;
    if (files_[current_].size > 0) return absl::OkStatus();
    RETURN_IF_ERROR(CloseCurrent());
  }
  return absl::OkStatus();
}

absl::Status UploadReceiver::CloseCurrent() {
  const UploadFileSpec& f = files_[current_];
  const std::string digest = hash_->HexDigest();
  const std::string path = absl::StrCat(dir_, "/", f.relative_path);
  if (::fsync(fd_) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    return ErrnoToStatus(err, "fsync", path);
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoToStatus(errno, "close", path);
  }
  fd_ = -1;
  if (digest != f.sha256) {
    return absl::DataLossError(absl::StrCat(
        "upload of ", f.relative_path, " is corrupt: its sha256 is ", digest,
        ", the manifest says ", f.sha256));
  }
  done_[current_] = true;
  ++current_;
  return absl::OkStatus();
}

absl::Status UploadReceiver::Write(uint32_t file_index, uint64_t offset,
                                   absl::Span<const uint8_t> data,
                                   uint32_t crc32) {
  if (file_index != current_ || current_ >= files_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk for file ", file_index,
                     " out of order (expected file ", current_, ")"));
  }
  const UploadFileSpec& f = files_[current_];
  if (offset != written_) {
    return absl::InvalidArgumentError(absl::StrCat("chunk of ", f.relative_path,
                                                   " at offset ", offset,
                                                   ", expected ", written_));
  }
  if (data.empty() || data.size() > kMaxUploadChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk of ", data.size(), " bytes; 1..", kMaxUploadChunkBytes));
  }
  if (data.size() > f.size - written_) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk goes past the end of ", f.relative_path, " (",
                     f.size, " bytes in the manifest)"));
  }
  if (Crc32(data.data(), data.size()) != crc32) {
    return absl::DataLossError(absl::StrCat("chunk of ", f.relative_path,
                                            " at offset ", offset,
                                            " failed its CRC-32"));
  }
  const std::string path = absl::StrCat(dir_, "/", f.relative_path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "write", path);
    done += static_cast<size_t>(n);
  }
  hash_->Update(data);
  written_ += data.size();
  received_ += data.size();
  if (written_ == f.size) {
    RETURN_IF_ERROR(CloseCurrent());
    RETURN_IF_ERROR(OpenNext());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> UploadReceiver::Finish() {
  if (current_ < files_.size()) {
    return absl::DataLossError(absl::StrCat(
        "upload ended early: ", files_[current_].relative_path, " has ",
        written_, " of ", files_[current_].size, " bytes"));
  }
  return DirectoryDigest(files_);
}

std::string DirectoryDigest(std::vector<UploadFileSpec> files) {
  std::sort(files.begin(), files.end(),
            [](const UploadFileSpec& a, const UploadFileSpec& b) {
              return a.relative_path < b.relative_path;
            });
  Sha256 h;
  for (const UploadFileSpec& f : files) {
    h.Update(absl::StrCat(f.relative_path, " ", f.sha256, "\n"));
  }
  return h.HexDigest();
}

absl::StatusOr<std::string> ModelInputSha256(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return Sha256File(path);
  std::vector<UploadFileSpec> files;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    UploadFileSpec f;
    f.relative_path = fs::relative(it->path(), path, ec).string();
    ASSIGN_OR_RETURN(f.sha256, Sha256File(it->path().string()));
    files.push_back(std::move(f));
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot list ", path, ": ", ec.message()));
  }
  return DirectoryDigest(std::move(files));
}

}  // namespace seedlm::coordinator
