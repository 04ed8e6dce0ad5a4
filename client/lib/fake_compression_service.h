// Test-only: an in-process CompressionService that does just enough for the
// client's tests, on a real grpc::Server over loopback. It checks the bearer
// token on every call, checks uploads (chunk order, CRC-32 of every chunk,
// size and sha256 of every file) and keeps what they carried, serves one job
// whose state advances with each watch message, and serves a result from
// bytes, optionally cutting the stream once or lying about its sha256.
//
// The state lives in FakeState, apart from the servers, so a server can be
// stopped (as if killed) and another started on the same port over the same
// state (a coordinator restart). Thread-safe: every member of FakeState is
// read and written under `mu`.
#ifndef SEEDLM_CLIENT_LIB_FAKE_COMPRESSION_SERVICE_H_
#define SEEDLM_CLIENT_LIB_FAKE_COMPRESSION_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "seedlm/v1/compression.grpc.pb.h"

namespace seedlm::client::testing {

namespace v1 = ::seedlm::v1;

struct FakeUpload {
  std::vector<v1::UploadFile> manifest;
  std::map<std::string, std::string> files;  // relative path -> bytes
  size_t max_chunk_bytes = 0;
  size_t chunks = 0;
};

struct FakeState {
  std::mutex mu;
  std::string token = "fake-token-1";  // the only token accepted

  std::vector<FakeUpload> uploads;  // completed, checked uploads

  std::vector<v1::SubmitJobRequest> submits;  // every SubmitJob received
  int fail_submits = 0;  // answer UNAVAILABLE to this many (after recording)

  // The job: its state follows `steps`, one per watch message.
  std::vector<v1::Job> steps;
  size_t step = 0;
  // When step reaches this index the watch blocks until the call is
  // cancelled (the server stopped) or `hold_at` changes.
  size_t hold_at = SIZE_MAX;
  bool holding = false;  // a watch is blocked at hold_at
  int watch_calls = 0;

  std::vector<v1::Job> listed;  // ListJobs serves these, `page_size` a page
  int page_size = 2;

  std::string result;               // FetchResult's bytes
  std::string result_sha256;        // what it says (sha256 of result)
  size_t fetch_chunk_bytes = 1000;  // data per chunk
  int64_t cut_at = -1;  // once: end the stream after passing this offset
  grpc::StatusCode cut_code = grpc::StatusCode::UNAVAILABLE;
  std::vector<uint64_t> fetch_offsets;  // offset of every FetchResult
};

// A running fake on 127.0.0.1. Stop() (or the destructor) shuts it down at
// once, cancelling calls in flight, as a killed coordinator would.
class FakeServer {
 public:
  // `port` 0 picks a free one. Null on failure to bind.
  static std::unique_ptr<FakeServer> Start(FakeState* state, int port = 0);
  ~FakeServer();
  void Stop();
  int port() const { return port_; }
  std::string address() const;

 private:
  FakeServer() = default;
  std::unique_ptr<v1::CompressionService::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// A job in `state` with blocks done / total.
v1::Job FakeJob(const std::string& id, v1::JobState state, int64_t done,
                int64_t total);

}  // namespace seedlm::client::testing

#endif  // SEEDLM_CLIENT_LIB_FAKE_COMPRESSION_SERVICE_H_
