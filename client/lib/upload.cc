// CompressionClient::UploadModel and PlanUpload: which files a model upload
// sends (as the readers would open them) and the client-streaming upload.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/lib/compression_client.h"
#include "client/lib/retry.h"
#include "core/model/llama2c_reader.h"
#include "core/model/model_source.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

namespace seedlm::client {
namespace {

namespace fs = std::filesystem;

constexpr char kModelDir[] = "model";
constexpr char kTokenizerDir[] = "tokenizer";

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), as protobuf requires of string fields.
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(n)) return false;
    for (int k = 1; k <= n; ++k) {
      const unsigned char t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// A regular file (symlinks followed): its size and identity.
struct FileId {
  uint64_t size = 0;
  dev_t dev = 0;
  ino_t ino = 0;
};

absl::StatusOr<FileId> StatRegular(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a regular file"));
  }
  return FileId{static_cast<uint64_t>(st.st_size), st.st_dev, st.st_ino};
}

absl::Status AddFile(const std::string& local, const std::string& relative,
                     UploadPlan* plan) {
  ASSIGN_OR_RETURN(const FileId id, StatRegular(local));
  plan->files.push_back({local, relative, id.size});
  return absl::OkStatus();
}

// Every regular file under `dir` (symlinks to files followed, symlinked
// directories and dot entries skipped) as "<prefix>/<path in dir>".
absl::Status AddDirectory(const std::string& dir, const std::string& prefix,
                          UploadPlan* plan) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (absl::StartsWith(p.filename().string(), ".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;  // dirs, FIFOs, dangling
    if (plan->files.size() >= kMaxUploadFiles) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir, " holds more than ", kMaxUploadFiles,
                       " files, more than one upload may carry"));
    }
    const std::string rel = p.lexically_relative(dir).generic_string();
    RETURN_IF_ERROR(AddFile(p.string(), absl::StrCat(prefix, "/", rel), plan));
  }
  if (ec) {
    return absl::UnknownError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string BaseName(const std::string& path) {
  return fs::path(path).lexically_normal().filename().string();
}

// The given tokenizer: the upload's copy when it is already one of the
// files (same file after links), else a file of its own.
absl::Status AddTokenizer(const std::string& tokenizer, UploadPlan* plan) {
  if (tokenizer.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const FileId tok, StatRegular(tokenizer));
  for (const UploadFileSpec& f : plan->files) {
    ASSIGN_OR_RETURN(const FileId id, StatRegular(f.local_path));
    if (id.dev == tok.dev && id.ino == tok.ino) {
      plan->tokenizer_path = f.relative_path;
      return absl::OkStatus();
    }
  }
  plan->tokenizer_path = absl::StrCat(kTokenizerDir, "/", BaseName(tokenizer));
  plan->files.push_back({tokenizer, plan->tokenizer_path, tok.size});
  return absl::OkStatus();
}

absl::Status CheckPlan(const UploadPlan& plan) {
  if (plan.files.size() > kMaxUploadFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("an upload carries at most ", kMaxUploadFiles,
                     " files, not ", plan.files.size()));
  }
  for (const UploadFileSpec& f : plan.files) {
    if (f.relative_path.size() > kMaxUploadPathBytes ||
        !IsValidUtf8(f.relative_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot upload ", f.local_path, ": its path in the upload must be ",
          "valid UTF-8 of at most ", kMaxUploadPathBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UploadPlan> PlanUpload(const std::string& model_path,
                                      const std::string& tokenizer_path) {
  ASSIGN_OR_RETURN(const ModelFormat format, DetectModelFormat(model_path));
  UploadPlan plan;
  if (format == ModelFormat::kHfDirectory) {
    plan.upload_model_path = kModelDir;
    RETURN_IF_ERROR(AddDirectory(model_path, kModelDir, &plan));
  } else {
    plan.upload_model_path = absl::StrCat(kModelDir, "/", BaseName(model_path));
    RETURN_IF_ERROR(AddFile(model_path, plan.upload_model_path, &plan));
    if (format == ModelFormat::kLlama2c && tokenizer_path.empty()) {
      ASSIGN_OR_RETURN(const std::string tok,
                       FindDefaultLlama2cTokenizer(model_path));
      if (!tok.empty()) {
        plan.tokenizer_path = absl::StrCat(kModelDir, "/", BaseName(tok));
        RETURN_IF_ERROR(AddFile(tok, plan.tokenizer_path, &plan));
      }
    }
  }
  RETURN_IF_ERROR(AddTokenizer(tokenizer_path, &plan));
  std::sort(plan.files.begin(), plan.files.end(),
            [](const UploadFileSpec& a, const UploadFileSpec& b) {
              return a.relative_path < b.relative_path;
            });
  for (const UploadFileSpec& f : plan.files) plan.total_bytes += f.size_bytes;
  RETURN_IF_ERROR(CheckPlan(plan));
  return plan;
}

namespace {

// Closes a descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// Sends file `index` (of `size` bytes) as chunks. FAILED_PRECONDITION when
// the file is shorter than its manifest entry; false in `*stream_ok` when
// the stream broke (the caller reads the status from Finish).
absl::Status SendFile(const UploadFileSpec& f, uint32_t index, uint64_t size,
                      grpc::ClientWriter<v1::UploadModelRequest>& writer,
                      bool* stream_ok, uint64_t* sent, uint64_t total,
                      const ProgressCallback& progress) {
  ASSIGN_OR_RETURN(const int fd, OpenForRead(f.local_path));
  FdCloser closer{fd};
  std::string buf(kMaxChunkBytes, '\0');
  uint64_t offset = 0;
  while (offset < size) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(kMaxChunkBytes, size - offset));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, buf.data() + got, want - got,
                                static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoToStatus(errno, "cannot read", f.local_path);
      if (n == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat(f.local_path, " shrank while being uploaded (", size,
                         " bytes expected)"));
      }
      got += static_cast<size_t>(n);
    }
    v1::UploadModelRequest req;
    v1::UploadChunk* chunk = req.mutable_chunk();
    chunk->set_file_index(index);
    chunk->set_offset_bytes(offset);
    chunk->set_data(buf.data(), want);
    chunk->set_crc32(Crc32(buf.data(), want));
    if (!writer.Write(req)) {
      *stream_ok = false;
      return absl::OkStatus();
    }
    offset += want;
    *sent += want;
    if (progress) progress(*sent, total);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UploadResult> CompressionClient::UploadModel(
    const std::string& model_path, const std::string& tokenizer_path,
    const ProgressCallback& progress) const {
  ASSIGN_OR_RETURN(const UploadPlan plan,
                   PlanUpload(model_path, tokenizer_path));
  // The manifest: sizes as they are now, sha256 of exactly that many bytes.
  v1::UploadModelRequest manifest_req;
  v1::UploadManifest* manifest = manifest_req.mutable_manifest();
  std::vector<uint64_t> sizes;
  uint64_t total = 0;
  for (const UploadFileSpec& f : plan.files) {
    uint64_t size = 0;
    ASSIGN_OR_RETURN(const int fd, OpenForRead(f.local_path, &size));
    ::close(fd);
    ASSIGN_OR_RETURN(std::string sha, Sha256File(f.local_path, size));
    v1::UploadFile* file = manifest->add_files();
    file->set_relative_path(f.relative_path);
    file->set_size_bytes(size);
    file->set_sha256(std::move(sha));
    sizes.push_back(size);
    total += size;
  }
  grpc::ClientContext ctx;
  Prepare(ctx, absl::Now() + options_.transfer_timeout);
  v1::UploadModelResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::UploadModelRequest>> writer =
      stub_->UploadModel(&ctx, &response);
  bool stream_ok = writer->Write(manifest_req);
  uint64_t sent = 0;
  if (progress) progress(0, total);
  for (size_t i = 0; stream_ok && i < plan.files.size(); ++i) {
    const absl::Status s =
        SendFile(plan.files[i], static_cast<uint32_t>(i), sizes[i], *writer,
                 &stream_ok, &sent, total, progress);
    if (!s.ok()) {
      ctx.TryCancel();  // the server must not keep a partial upload
      (void)writer->Finish();
      return s;
    }
  }
  if (stream_ok) writer->WritesDone();
  RETURN_IF_ERROR(internal::Annotate(rpc::FromGrpcStatus(writer->Finish()),
                                     "coordinator", options_.address,
                                     "UploadModel"));
  if (!stream_ok) {  // the server ended the stream early yet said OK
    return absl::UnknownError(
        "UploadModel: the coordinator closed the upload "
        "stream before it was complete");
  }
  UploadResult result;
  result.upload_id = response.upload_id();
  result.upload_model_path = plan.upload_model_path;
  result.tokenizer_path = plan.tokenizer_path;
  result.size_bytes = response.size_bytes();
  return result;
}

}  // namespace seedlm::client
