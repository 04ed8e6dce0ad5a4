// CompressionClient::FetchResult: a resumable, verified download of a job's
// result into OUT.part (with the OUT.part.json sidecar naming what it holds),
// renamed onto OUT once complete and checked.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/lib/compression_client.h"
#include "client/lib/retry.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"
#include "proto/rpc/status.h"

namespace seedlm::client {

struct CompressionClient::FetchState {
  std::string job_id;
  std::string out;
  std::string part;     // out + ".part"
  std::string sidecar;  // out + ".part.json"
  int fd = -1;          // the .part, open for writing
  uint64_t offset = 0;  // bytes in the .part
  bool known = false;   // total and sha256 known (sidecar or a chunk)
  uint64_t total = 0;
  std::string sha256;
  bool restart = false;  // the server's result is not the .part's: start over
};

namespace {

// Largest sidecar read back (it holds three short fields).
constexpr uint64_t kMaxSidecarBytes = 64 << 10;

std::string DirOf(const std::string& path) {
  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The sidecar's record, if it is readable and names `job_id`.
bool ReadSidecar(const std::string& path, const std::string& job_id,
                 uint64_t* total, std::string* sha256) {
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxSidecarBytes);
  if (!text.ok()) return false;
  absl::StatusOr<Json> j = ParseJson(*text, path);
  if (!j.ok() || !j->is_object()) return false;
  absl::StatusOr<std::string> id = JsonString(*j, "job_id", path);
  absl::StatusOr<std::string> sha = JsonString(*j, "sha256", path);
  absl::StatusOr<int64_t> size = JsonInt(*j, "size_bytes", 0, INT64_MAX, path);
  if (!id.ok() || *id != job_id || !sha.ok() || !IsSha256Hex(*sha) ||
      !size.ok()) {
    return false;
  }
  *total = static_cast<uint64_t>(*size);
  *sha256 = *sha;
  return true;
}

absl::Status WriteSidecar(const std::string& path, const std::string& job_id,
                          uint64_t total, const std::string& sha256) {
  const Json j = {
      {"job_id", job_id}, {"sha256", sha256}, {"size_bytes", total}};
  return WriteFileAtomically(path, DumpJson(j) + "\n");
}

absl::Status WriteAll(int fd, const std::string& data, uint64_t offset,
                      const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "cannot write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Opens (creating) the .part for writing without following a symlink and
// without blocking on a FIFO; refuses anything but a regular file.
absl::StatusOr<int> OpenPart(const std::string& path) {
  const int fd =
      ::open(path.c_str(),
             O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ELOOP) return CheckOutputPath(path);  // a symlink
    return ErrnoToStatus(errno, "cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("output ", path, " exists and is not a regular file"));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

absl::Status ResetPart(int fd, const std::string& path) {
  if (::ftruncate(fd, 0) != 0)
    return ErrnoToStatus(errno, "cannot truncate", path);
  return absl::OkStatus();
}

// Checks the complete .part (open as `fd`, closed here) against the size
// and sha256 the server gave, then fsyncs it, renames it onto `out`, fsyncs
// the directory and removes the sidecar. DATA_LOSS (the .part and sidecar
// removed) when the bytes are not the server's.
absl::Status CommitDownload(int fd, const std::string& part,
                            const std::string& sidecar, const std::string& out,
                            uint64_t total, const std::string& sha256,
                            const std::string& job_id) {
  struct stat st;
  const bool sized = ::fstat(fd, &st) == 0;
  const int sync_rc = ::fsync(fd);
  const int sync_err = errno;
  ::close(fd);
  if (sync_rc != 0) return ErrnoToStatus(sync_err, "cannot fsync", part);
  absl::StatusOr<std::string> sha = Sha256File(part);
  RETURN_IF_ERROR(sha.status());
  if (!sized || static_cast<uint64_t>(st.st_size) != total || *sha != sha256) {
    ::unlink(part.c_str());
    ::unlink(sidecar.c_str());
    return absl::DataLossError(absl::StrCat(
        "the download of job ", job_id, " (", sized ? st.st_size : -1,
        " bytes, sha256 ", *sha, ") is not what the coordinator said (", total,
        " bytes, sha256 ", sha256, "); removed it"));
  }
  RETURN_IF_ERROR(CheckOutputPath(out));
  if (::rename(part.c_str(), out.c_str()) != 0) {
    return ErrnoToStatus(errno, "cannot rename to", out);
  }
  const int dir =
      ::open(DirOf(out).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    const int rc = ::fsync(dir);
    const int err = errno;
    ::close(dir);
    if (rc != 0)
      return ErrnoToStatus(err, "cannot fsync the directory of", out);
  }
  ::unlink(sidecar.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status CompressionClient::FetchOnce(
    const std::string& job_id, FetchState& st, absl::Time deadline,
    const ProgressCallback& progress) const {
  v1::FetchResultRequest request;
  request.set_job_id(job_id);
  request.set_offset_bytes(st.offset);
  grpc::ClientContext ctx;
  Prepare(ctx, deadline);
  std::unique_ptr<grpc::ClientReader<v1::FetchResultChunk>> reader =
      stub_->FetchResult(&ctx, request);
  v1::FetchResultChunk chunk;
  absl::Status bad;  // a local failure that ends this attempt
  bool first = true;
  while (bad.ok() && reader->Read(&chunk)) {
    if (!IsSha256Hex(chunk.sha256()) || chunk.data().size() > kMaxChunkBytes) {
      bad = absl::DataLossError(
          "FetchResult: the coordinator sent a malformed chunk");
    } else if (!st.known) {
      st.known = true;
      st.total = chunk.total_size_bytes();
      st.sha256 = chunk.sha256();
      bad = WriteSidecar(st.sidecar, job_id, st.total, st.sha256);
    } else if (chunk.sha256() != st.sha256 ||
               chunk.total_size_bytes() != st.total) {
      if (!first) {
        bad = absl::DataLossError(
            "FetchResult: the result's size or sha256 changed mid-stream");
        break;
      }
      st.restart = true;  // another result than the .part's: start over
      break;
    }
    first = false;
    if (!bad.ok()) break;
    if (chunk.offset_bytes() != st.offset ||
        chunk.data().size() > st.total - st.offset) {
      bad = absl::DataLossError(absl::StrCat(
          "FetchResult: the coordinator sent bytes at ", chunk.offset_bytes(),
          "..", chunk.offset_bytes() + chunk.data().size(), " of ", st.total,
          " when ", st.offset, " was next"));
      break;
    }
    bad = WriteAll(st.fd, chunk.data(), st.offset, st.part);
    st.offset += chunk.data().size();
    if (progress && bad.ok()) progress(st.offset, st.total);
  }
  if (!bad.ok() || st.restart) {
    ctx.TryCancel();
    (void)reader->Finish();
    return bad;
  }
  RETURN_IF_ERROR(rpc::FromGrpcStatus(reader->Finish()));
  if (!st.known) {
    return absl::DataLossError(
        "FetchResult: the coordinator ended the download without any chunk");
  }
  if (st.offset != st.total) {
    return absl::UnavailableError(absl::StrCat("the download stream ended at ",
                                               st.offset, " of ", st.total,
                                               " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CompressionClient::FetchResult(
    const std::string& job_id, const std::string& out_path,
    const ProgressCallback& progress) const {
  FetchState st;
  st.job_id = job_id;
  st.out = out_path;
  st.part = out_path + ".part";
  st.sidecar = out_path + ".part.json";
  for (const std::string* p : {&st.out, &st.part, &st.sidecar}) {
    RETURN_IF_ERROR(CheckOutputPath(*p));
  }
  ASSIGN_OR_RETURN(st.fd, OpenPart(st.part));
  struct FdCloser {
    int* fd;
    ~FdCloser() {
      if (*fd >= 0) ::close(*fd);
    }
  } closer{&st.fd};
  st.known = ReadSidecar(st.sidecar, job_id, &st.total, &st.sha256);
  struct stat part_stat;
  if (::fstat(st.fd, &part_stat) != 0) {
    return ErrnoToStatus(errno, "cannot stat", st.part);
  }
  st.offset = static_cast<uint64_t>(part_stat.st_size);
  if (!st.known || st.offset > st.total) {
    st.known = false;
    st.offset = 0;
    RETURN_IF_ERROR(ResetPart(st.fd, st.part));
  }
  const absl::Time deadline = absl::Now() + options_.transfer_timeout;
  internal::Backoff backoff;
  while (!st.known || st.offset < st.total) {
    const uint64_t before = st.offset;
    const absl::Status s = FetchOnce(job_id, st, deadline, progress);
    if (st.restart) {
      st.restart = false;
      st.known = false;
      st.offset = 0;
      RETURN_IF_ERROR(ResetPart(st.fd, st.part));
      continue;
    }
    if (s.ok()) break;
    if (st.offset > before) backoff.Reset();
    if (!internal::IsTransient(s, /*stream=*/true) ||
        !internal::SleepBackoff(backoff, deadline)) {
      if (!st.known) ::unlink(st.part.c_str());  // holds nothing worth keeping
      return internal::Annotate(s, "coordinator", options_.address,
                                "FetchResult");
    }
  }
  const int fd = st.fd;
  st.fd = -1;  // CommitDownload closes it
  return CommitDownload(fd, st.part, st.sidecar, st.out, st.total, st.sha256,
                        job_id);
}

}  // namespace seedlm::client
