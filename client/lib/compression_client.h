// A typed C++ client of the coordinator's CompressionService
// (proto/seedlm/v1/compression.proto): what `seedlm submit`, `jobs`,
// `watch`, `cancel`, `delete` and `fetch` are built on.
//
// Connections: Connect() dials with proto/rpc/credentials.h (TLS when a CA
// file is given, the project's channel limits) and waits, up to its timeout,
// for the channel to be ready (a coordinator that is still starting). Every
// call carries the bearer token (AttachToken) and a deadline.
//
// Failures of the coordinator: a coordinator that restarts answers
// UNAVAILABLE for a while. Idempotent unary calls (SubmitJob with its
// request_id, GetJob, ListJobs, CancelJob, DeleteJob) retry UNAVAILABLE with
// capped exponential backoff (100 ms doubling to 2 s) within their deadline;
// WatchJob and FetchResult reconnect the same way and resume (the watch from
// the job's current state, the download from the bytes already on disk).
//
// Errors are absl::Status values converted with FromGrpcStatus
// (proto/rpc/status.h): the server's code and message (INVALID_ARGUMENT,
// NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION, ...).
// Where the client itself fails: UNAVAILABLE when the coordinator cannot be
// reached in time, DEADLINE_EXCEEDED when a call or a watch runs out of time,
// DATA_LOSS for a download whose size or sha256 is not what the server said,
// local file errors (file_util.h) for inputs and outputs.
//
// Thread-safety: a CompressionClient is immutable after Connect; its methods
// may be called from several threads at once (FetchResult of the same
// out_path from two threads at once is not supported).
#ifndef SEEDLM_CLIENT_LIB_COMPRESSION_CLIENT_H_
#define SEEDLM_CLIENT_LIB_COMPRESSION_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "seedlm/v1/compression.grpc.pb.h"
#include "seedlm/v1/compression.pb.h"

namespace seedlm::client {

namespace v1 = ::seedlm::v1;

// Most bytes of one UploadChunk / FetchResultChunk (compression.proto).
inline constexpr size_t kMaxChunkBytes = size_t{4} << 20;
// Most files of one upload (compression.proto's UploadManifest).
inline constexpr size_t kMaxUploadFiles = 4096;
// Longest relative path of an uploaded file, bytes.
inline constexpr size_t kMaxUploadPathBytes = 1024;

struct ClientOptions {
  // The coordinator, "host:port". Required.
  std::string address;
  // Bearer token sent on every call; "" sends none.
  std::string token;
  // PEM CA bundle to verify the coordinator's TLS certificate; "" dials
  // plaintext.
  std::string tls_ca_path;
  // How long Connect waits for the channel to be ready.
  absl::Duration connect_timeout = absl::Seconds(30);
  // The deadline of each unary call, retries included.
  absl::Duration call_timeout = absl::Seconds(30);
  // The deadline of a whole upload or download (reconnects included).
  absl::Duration transfer_timeout = absl::Hours(12);
};

// One file of an upload: where it is read from and its path in the upload.
struct UploadFileSpec {
  std::string local_path;
  std::string relative_path;
  uint64_t size_bytes = 0;
};

// What an upload of a model sends, decided as the readers (OpenModel) would
// read the model:
//  - a llama2.c `.bin`: the file, plus the tokenizer given, else the one
//    OpenModel would pick beside it (FindDefaultLlama2cTokenizer), if any;
//  - a Hugging Face directory: the whole directory, regular files found
//    recursively (symlinks to files followed, as in Hugging Face caches;
//    symlinks to directories and entries whose name starts with '.', such as
//    .git or .cache, skipped), plus the tokenizer given when it lies outside;
//  - a `.safetensors` or GGUF file: the file, plus the tokenizer given (their
//    readers open no other file).
// Layout in the upload: the model under "model/" (upload_model_path "model"
// for a directory, "model/<name>" for a file), a default llama2.c tokenizer
// beside it, a given tokenizer outside the model's directory under
// "tokenizer/<name>".
struct UploadPlan {
  std::vector<UploadFileSpec> files;  // sorted by relative_path
  std::string upload_model_path;      // ModelRef.upload_model_path
  std::string tokenizer_path;         // ModelRef.tokenizer_path; "" = none
  uint64_t total_bytes = 0;
};

// Decides an upload without sending anything. The errors of
// DetectModelFormat (NOT_FOUND, INVALID_ARGUMENT for no supported model) and
// of FindDefaultLlama2cTokenizer; NOT_FOUND / INVALID_ARGUMENT for a given
// tokenizer that is missing or not a regular file; INVALID_ARGUMENT for more
// than kMaxUploadFiles files or a relative path over kMaxUploadPathBytes or
// not valid UTF-8.
absl::StatusOr<UploadPlan> PlanUpload(const std::string& model_path,
                                      const std::string& tokenizer_path);

struct UploadResult {
  std::string upload_id;          // ModelRef.upload_id
  std::string upload_model_path;  // ModelRef.upload_model_path
  std::string tokenizer_path;     // ModelRef.tokenizer_path ("" = none)
  uint64_t size_bytes = 0;        // bytes the server says it received
};

// (bytes or blocks done, total); called from the calling thread.
using ProgressCallback = std::function<void(uint64_t done, uint64_t total)>;
// Every Job a watch receives, in order; called from the calling thread.
using JobCallback = std::function<void(const v1::Job&)>;

// True for SUCCEEDED, FAILED and CANCELLED.
bool IsTerminal(v1::JobState state);
// "queued", "running", "assembling", "succeeded", "failed", "cancelled",
// "unspecified".
std::string JobStateName(v1::JobState state);

class CompressionClient {
 public:
  // Dials options.address and waits up to options.connect_timeout for the
  // channel to be ready. INVALID_ARGUMENT for an empty address; the errors
  // of reading the CA file; UNAVAILABLE naming the address when the
  // coordinator cannot be reached in time.
  static absl::StatusOr<std::unique_ptr<CompressionClient>> Connect(
      const ClientOptions& options);

  // A client over an existing channel (tests): no waiting.
  CompressionClient(const ClientOptions& options,
                    std::shared_ptr<grpc::Channel> channel);

  // Uploads the model at `model_path` (PlanUpload decides the files): a
  // manifest of relative paths, sizes and sha256s, then every file in chunks
  // of at most kMaxChunkBytes with their CRC-32. `progress` (may be null)
  // gets bytes sent / total. Errors of PlanUpload and of reading the files
  // (FAILED_PRECONDITION when a file changed size while being read), the
  // server's (DATA_LOSS for a checksum it refuses, INVALID_ARGUMENT, ...).
  // Not retried: a failed upload is started again by the caller.
  absl::StatusOr<UploadResult> UploadModel(
      const std::string& model_path, const std::string& tokenizer_path = "",
      const ProgressCallback& progress = nullptr) const;

  // Starts a job. An empty request.request_id is replaced by a random one,
  // so a retry after UNAVAILABLE returns the job the first attempt created.
  absl::StatusOr<v1::Job> SubmitJob(v1::SubmitJobRequest request) const;
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id) const;
  // Every job the caller may see, all pages, newest first.
  absl::StatusOr<std::vector<v1::Job>> ListJobs() const;
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id) const;
  // NOT_FOUND from a retry (the first attempt's answer was lost) counts as
  // done.
  absl::Status DeleteJob(const std::string& job_id) const;

  // Follows WatchJob until the job is terminal and returns that last Job;
  // `callback` (may be null) sees every Job received. UNAVAILABLE, a stream
  // the server cancelled or ended early (a coordinator restarting or
  // draining) reconnect with backoff and resume, until `deadline`:
  // DEADLINE_EXCEEDED then. Other errors end the watch.
  absl::StatusOr<v1::Job> WatchJob(const std::string& job_id,
                                   const JobCallback& callback,
                                   absl::Time deadline) const;

  // Downloads job `job_id`'s result to `out_path`. Bytes go to
  // out_path + ".part"; out_path + ".part.json" records the job id, size and
  // sha256, so a later call for the same job resumes from the .part's size
  // (a .part of another job or result starts over). UNAVAILABLE and server
  // cancellations reconnect with backoff and resume, within
  // options.transfer_timeout. At the end the size and the sha256 of the
  // whole file are checked, the file is fsynced and renamed onto out_path
  // (then the sidecar is removed). Nothing appears at out_path on failure.
  // INVALID_ARGUMENT when out_path or the .part exists and is not a regular
  // file (CheckOutputPath); DATA_LOSS when the server's chunks are
  // inconsistent (offsets, sizes) or the sha256 differs (the .part and its
  // sidecar are removed then); the server's errors (FAILED_PRECONDITION for
  // an unfinished job, NOT_FOUND); I/O errors of writing. `progress` (may be
  // null) gets bytes on disk / total.
  absl::Status FetchResult(const std::string& job_id,
                           const std::string& out_path,
                           const ProgressCallback& progress = nullptr) const;

  const ClientOptions& options() const { return options_; }

 private:
  // A context with `deadline` and the token.
  void Prepare(grpc::ClientContext& context, absl::Time deadline) const;
  // One stream attempt of FetchResult from `*offset`; see fetch.cc.
  struct FetchState;
  absl::Status FetchOnce(const std::string& job_id, FetchState& state,
                         absl::Time deadline,
                         const ProgressCallback& progress) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CompressionService::Stub> stub_;
};

}  // namespace seedlm::client

#endif  // SEEDLM_CLIENT_LIB_COMPRESSION_CLIENT_H_
