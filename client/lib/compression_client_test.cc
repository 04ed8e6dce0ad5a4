// The real CompressionClient against the in-process fake coordinator
// (fake_compression_service.h) over loopback: upload file selection and
// checksums, idempotent submit, paging, watch across a coordinator restart,
// resumable and verified downloads, connect timeouts.
#include "client/lib/compression_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/lib/fake_compression_service.h"
#include "core/util/sha256.h"
#include "gtest/gtest.h"

namespace seedlm::client {
namespace {

using testing::FakeJob;
using testing::FakeServer;
using testing::FakeState;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A llama2.c header (dim 8, hidden 16, 1 layer, 2 heads, 2 kv heads, vocab
// 32, seq 8) followed by `payload` bytes: enough for DetectModelFormat.
std::string Llama2cFile(size_t payload) {
  const int32_t header[7] = {8, 16, 1, 2, 2, 32, 8};
  std::string s(reinterpret_cast<const char*>(header), sizeof(header));
  return s + RandomBytes(payload, 7);
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/client_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    server_ = FakeServer::Start(&state_);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  ClientOptions Options(int port) const {
    ClientOptions o;
    o.address = "127.0.0.1:" + std::to_string(port);
    o.token = state_.token;
    o.connect_timeout = absl::Seconds(5);
    o.call_timeout = absl::Seconds(5);
    o.transfer_timeout = absl::Seconds(30);
    return o;
  }
  std::unique_ptr<CompressionClient> Client() {
    auto c = CompressionClient::Connect(Options(server_->port()));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The result to serve: `n` random bytes, the sha256 told as given or true.
  void ServeResult(size_t n, const std::string& told_sha = "") {
    state_.result = RandomBytes(n, 11);
    state_.result_sha256 =
        told_sha.empty() ? Sha256Hex(state_.result) : told_sha;
  }

  std::string dir_;
  FakeState state_;
  std::unique_ptr<FakeServer> server_;
};

TEST_F(ClientTest, UploadsLlama2cBinWithTheTokenizerBesideIt) {
  ASSERT_EQ(::mkdir(Path("m").c_str(), 0755), 0);
  const std::string model = Llama2cFile(9 << 20);  // three chunks
  WriteFile(Path("m/stories.bin"), model);
  WriteFile(Path("m/tokenizer.bin"), "tokenizer bytes");
  WriteFile(Path("m/notes.txt"), "not read by the reader");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  std::vector<uint64_t> progress;
  auto up = client->UploadModel(
      Path("m/stories.bin"), "",
      [&](uint64_t done, uint64_t) { progress.push_back(done); });
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->upload_id, "up-1");
  EXPECT_EQ(up->upload_model_path, "model/stories.bin");
  EXPECT_EQ(up->tokenizer_path, "model/tokenizer.bin");
  EXPECT_EQ(up->size_bytes, model.size() + 15);
  ASSERT_EQ(state_.uploads.size(), 1u);
  const testing::FakeUpload& u = state_.uploads[0];
  ASSERT_EQ(u.manifest.size(), 2u);
  EXPECT_EQ(u.manifest[0].relative_path(), "model/stories.bin");
  EXPECT_EQ(u.manifest[0].size_bytes(), model.size());
  EXPECT_EQ(u.manifest[0].sha256(), Sha256Hex(model));
  EXPECT_EQ(u.manifest[1].relative_path(), "model/tokenizer.bin");
  EXPECT_EQ(u.files.at("model/stories.bin"), model);
  EXPECT_EQ(u.files.at("model/tokenizer.bin"), "tokenizer bytes");
  EXPECT_EQ(u.max_chunk_bytes, kMaxChunkBytes);
  EXPECT_EQ(u.chunks, 4u);  // 4 + 4 + 1 MiB (+ header), then the tokenizer
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), model.size() + 15);
}

TEST_F(ClientTest, UploadChoosesTokenizersAsTheReaderDoes) {
  ASSERT_EQ(::mkdir(Path("m").c_str(), 0755), 0);
  WriteFile(Path("m/model.bin"), Llama2cFile(64));
  WriteFile(Path("m/tok512.bin"), "a");
  WriteFile(Path("m/tokenizer.bin"), "b");
  // Two candidates: the reader refuses to guess, so does the upload.
  EXPECT_EQ(PlanUpload(Path("m/model.bin"), "").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A given tokenizer: only that one, under tokenizer/.
  WriteFile(Path("other.bin"), "c");
  auto plan = PlanUpload(Path("m/model.bin"), Path("other.bin"));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_EQ(plan->files[0].relative_path, "model/model.bin");
  EXPECT_EQ(plan->files[1].relative_path, "tokenizer/other.bin");
  EXPECT_EQ(plan->tokenizer_path, "tokenizer/other.bin");
  // A safetensors file opens no side file.
  WriteFile(Path("m/w.safetensors"), "xx");
  plan = PlanUpload(Path("m/w.safetensors"), "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_EQ(plan->upload_model_path, "model/w.safetensors");
  EXPECT_EQ(plan->tokenizer_path, "");
  EXPECT_EQ(PlanUpload(Path("m/notes.txt"), "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, UploadsHfDirectoryWholeFollowingFileSymlinks) {
  for (const char* d : {"blobs", "hf", "hf/sub", "hf/.cache"}) {
    ASSERT_EQ(::mkdir(Path(d).c_str(), 0755), 0);
  }
  const std::string weights = RandomBytes(5 << 20, 3);
  WriteFile(Path("blobs/abc123"), weights);
  ASSERT_EQ(::symlink("../blobs/abc123", Path("hf/model.safetensors").c_str()),
            0);
  ASSERT_EQ(::symlink("../blobs", Path("hf/linked_dir").c_str()), 0);
  WriteFile(Path("hf/config.json"), "{\"a\":1}");
  WriteFile(Path("hf/tokenizer.json"), "{}");
  WriteFile(Path("hf/sub/extra.txt"), "extra");
  WriteFile(Path("hf/.cache/lock"), "skipped");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto up = client->UploadModel(Path("hf"), Path("hf/tokenizer.json"));
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(up->upload_model_path, "model");
  EXPECT_EQ(up->tokenizer_path, "model/tokenizer.json");  // not sent twice
  ASSERT_EQ(state_.uploads.size(), 1u);
  const testing::FakeUpload& u = state_.uploads[0];
  std::vector<std::string> paths;
  for (const auto& f : u.manifest) paths.push_back(f.relative_path());
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "model/config.json", "model/model.safetensors",
                       "model/sub/extra.txt", "model/tokenizer.json"}));
  EXPECT_EQ(u.manifest[1].size_bytes(), weights.size());
  EXPECT_EQ(u.manifest[1].sha256(), Sha256Hex(weights));
  EXPECT_EQ(u.files.at("model/model.safetensors"), weights);
  EXPECT_EQ(u.files.at("model/sub/extra.txt"), "extra");
  EXPECT_LE(u.max_chunk_bytes, kMaxChunkBytes);
}

TEST_F(ClientTest, WrongTokenIsUnauthenticatedWithTheServersMessage) {
  ClientOptions o = Options(server_->port());
  o.token = "someone-else";
  auto client = CompressionClient::Connect(o);
  ASSERT_TRUE(client.ok()) << client.status();
  auto job = (*client)->GetJob("job-1");
  EXPECT_EQ(job.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(job.status().message(), "fake: bad or missing token");
}

TEST_F(ClientTest, SubmitRetriesUnavailableWithTheSameRequestId) {
  state_.fail_submits = 2;
  auto client = Client();
  ASSERT_NE(client, nullptr);
  v1::SubmitJobRequest req;
  req.mutable_model()->set_server_path("m.bin");
  auto job = client->SubmitJob(req);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->id(), "job-1");
  ASSERT_EQ(state_.submits.size(), 3u);
  EXPECT_EQ(state_.submits[0].request_id().size(), 32u);
  EXPECT_EQ(state_.submits[1].request_id(), state_.submits[0].request_id());
  EXPECT_EQ(state_.submits[2].request_id(), state_.submits[0].request_id());
  EXPECT_EQ(state_.submits[2].model().server_path(), "m.bin");
}

TEST_F(ClientTest, ListJobsFollowsEveryPage) {
  for (int i = 0; i < 5; ++i) {
    state_.listed.push_back(
        FakeJob("j" + std::to_string(i), v1::JOB_STATE_RUNNING, i, 10));
  }
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto jobs = client->ListJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ((*jobs)[i].id(), "j" + std::to_string(i));
  EXPECT_EQ(client->DeleteJob("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(client->DeleteJob("job-1").ok());
}

TEST_F(ClientTest, WatchSurvivesACoordinatorRestartOnTheSamePort) {
  state_.steps = {FakeJob("job-1", v1::JOB_STATE_QUEUED, 0, 100),
                  FakeJob("job-1", v1::JOB_STATE_RUNNING, 10, 100),
                  FakeJob("job-1", v1::JOB_STATE_RUNNING, 50, 100),
                  FakeJob("job-1", v1::JOB_STATE_ASSEMBLING, 100, 100),
                  FakeJob("job-1", v1::JOB_STATE_SUCCEEDED, 100, 100)};
  state_.hold_at = 2;
  const int port = server_->port();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  std::vector<v1::JobState> seen;
  absl::StatusOr<v1::Job> last;
  std::thread watcher([&] {
    last = client->WatchJob(
        "job-1", [&](const v1::Job& j) { seen.push_back(j.state()); },
        absl::Now() + absl::Seconds(30));
  });
  // Wait until the watch is parked mid-job, then "kill" the coordinator.
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      if (state_.holding) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    std::lock_guard<std::mutex> lock(state_.mu);
    state_.hold_at = SIZE_MAX;  // the new coordinator goes on
  }
  server_ = FakeServer::Start(&state_, port);
  ASSERT_NE(server_, nullptr) << "could not rebind port " << port;
  watcher.join();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GE(state_.watch_calls, 2);
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen.front(), v1::JOB_STATE_QUEUED);
  EXPECT_EQ(seen.back(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(ClientTest, WatchEndsAtItsDeadline) {
  state_.steps = {FakeJob("job-1", v1::JOB_STATE_RUNNING, 1, 100)};
  state_.hold_at = 0;
  auto client = Client();
  ASSERT_NE(client, nullptr);
  const absl::Time start = absl::Now();
  auto last =
      client->WatchJob("job-1", nullptr, start + absl::Milliseconds(300));
  EXPECT_EQ(last.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(client->WatchJob("other", nullptr, absl::Now() + absl::Seconds(5))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, FetchResumesAfterTheStreamIsCut) {
  ServeResult(10000);
  state_.cut_at = 4500;  // UNAVAILABLE once, after the chunk ending at 5000
  auto client = Client();
  ASSERT_NE(client, nullptr);
  const std::string out = Path("out.seedlm");
  ASSERT_TRUE(client->FetchResult("job-1", out).ok());
  EXPECT_EQ(ReadFile(out), state_.result);
  EXPECT_EQ(state_.fetch_offsets, (std::vector<uint64_t>{0, 5000}));
  EXPECT_FALSE(Exists(out + ".part"));
  EXPECT_FALSE(Exists(out + ".part.json"));
}

TEST_F(ClientTest, FetchTakesChunksOfTheLargestSize) {
  ServeResult((9 << 20) + 5);
  state_.fetch_chunk_bytes = kMaxChunkBytes;  // 4 MiB + fields per message
  auto client = Client();
  ASSERT_NE(client, nullptr);
  const std::string out = Path("big.seedlm");
  std::vector<uint64_t> progress;
  ASSERT_TRUE(client
                  ->FetchResult("job-1", out,
                                [&](uint64_t done, uint64_t total) {
                                  EXPECT_EQ(total, state_.result.size());
                                  progress.push_back(done);
                                })
                  .ok());
  EXPECT_EQ(ReadFile(out), state_.result);
  EXPECT_EQ(progress, (std::vector<uint64_t>{4 << 20, 8 << 20, (9 << 20) + 5}));
}

TEST_F(ClientTest, FetchResumesFromThePartOfAnEarlierCall) {
  ServeResult(10000);
  state_.cut_at = 2500;
  state_.cut_code = grpc::StatusCode::INTERNAL;  // not retried: the call fails
  auto client = Client();
  ASSERT_NE(client, nullptr);
  const std::string out = Path("out.seedlm");
  EXPECT_EQ(client->FetchResult("job-1", out).code(),
            absl::StatusCode::kInternal);
  EXPECT_FALSE(Exists(out));
  EXPECT_EQ(ReadFile(out + ".part"), state_.result.substr(0, 3000));
  ASSERT_TRUE(Exists(out + ".part.json"));
  ASSERT_TRUE(client->FetchResult("job-1", out).ok());
  EXPECT_EQ(ReadFile(out), state_.result);
  EXPECT_EQ(state_.fetch_offsets, (std::vector<uint64_t>{0, 3000}));
}

TEST_F(ClientTest, FetchStartsOverWhenThePartIsAnotherJobs) {
  ServeResult(4000);
  const std::string out = Path("out.seedlm");
  WriteFile(out + ".part", "stale bytes of another job");
  WriteFile(out + ".part.json", "{\"job_id\":\"job-0\",\"sha256\":\"" +
                                    state_.result_sha256 +
                                    "\",\"size_bytes\":4000}");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->FetchResult("job-1", out).ok());
  EXPECT_EQ(ReadFile(out), state_.result);
  EXPECT_EQ(state_.fetch_offsets, (std::vector<uint64_t>{0}));
}

TEST_F(ClientTest, FetchStartsOverWhenTheResultChangedSinceThePart) {
  ServeResult(4000);
  const std::string out = Path("out.seedlm");
  WriteFile(out + ".part", std::string(1500, 'x'));
  WriteFile(out + ".part.json", "{\"job_id\":\"job-1\",\"sha256\":\"" +
                                    std::string(64, 'b') +
                                    "\",\"size_bytes\":4000}");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->FetchResult("job-1", out).ok());
  EXPECT_EQ(ReadFile(out), state_.result);
  // Asked to resume at 1500, saw another sha256, started over.
  EXPECT_EQ(state_.fetch_offsets, (std::vector<uint64_t>{1500, 0}));
}

TEST_F(ClientTest, FetchWithAWrongSha256IsDataLossAndLeavesNothing) {
  ServeResult(5000, std::string(64, 'a'));
  const std::string out = Path("out.seedlm");
  auto client = Client();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->FetchResult("job-1", out).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".part"));
  EXPECT_FALSE(Exists(out + ".part.json"));
}

TEST_F(ClientTest, FetchRefusesAnOutputThatIsNotARegularFile) {
  ServeResult(100);
  ASSERT_EQ(::mkdir(Path("adir").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/etc/passwd", Path("alink").c_str()), 0);
  auto client = Client();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->FetchResult("job-1", Path("adir")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->FetchResult("job-1", Path("alink")).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(::symlink("/etc/passwd", Path("b.part").c_str()), 0);
  EXPECT_EQ(client->FetchResult("job-1", Path("b")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(state_.fetch_offsets.empty());
}

TEST(ConnectTest, FailsAfterItsTimeoutWhenNobodyServes) {
  // A port that was free a moment ago (bound, then closed).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  ClientOptions o;
  o.address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.connect_timeout = absl::Milliseconds(700);
  const absl::Time start = absl::Now();
  auto client = CompressionClient::Connect(o);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find(o.address), absl::string_view::npos);
  EXPECT_GE(took, absl::Milliseconds(600));
  EXPECT_LT(took, absl::Seconds(5));
  o.address = "";
  EXPECT_EQ(CompressionClient::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm::client
