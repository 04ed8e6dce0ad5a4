// The `seedlm` service commands (submit, jobs, fetch) as a user runs them:
// the real binary against the in-process fake coordinator
// (client/lib/fake_compression_service.h) over loopback. Checks what reaches
// the coordinator (upload, options), what lands on disk, and exit codes.
// Every run has a deadline, so a hang fails the test.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/lib/fake_compression_service.h"
#include "core/util/json_util.h"
#include "core/util/sha256.h"
#include "gtest/gtest.h"
#include "proto/rpc/json.h"
#include "tests/util/subprocess.h"

namespace seedlm {
namespace {

namespace v1 = ::seedlm::v1;
using client::testing::FakeJob;
using client::testing::FakeServer;
using client::testing::FakeState;

const std::string kBin = std::string(SEEDLM_BIN_DIR) + "/seedlm";

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class CliServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cli_service_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // A llama2.c header (dim 8, hidden 16, 1 layer, 2 heads, vocab 32) and
    // a tokenizer beside it: what the upload must carry.
    const int32_t header[7] = {8, 16, 1, 2, 2, 32, 8};
    ASSERT_EQ(::mkdir((dir_ + "/m").c_str(), 0755), 0);
    WriteFile(dir_ + "/m/model.bin",
              std::string(reinterpret_cast<const char*>(header), 28) +
                  std::string(1000, 'w'));
    WriteFile(dir_ + "/m/tokenizer.bin", "tok");
    state_.result = std::string(7000, 'r') + "the end";
    state_.result_sha256 = Sha256Hex(state_.result);
    v1::Job running = FakeJob("job-1", v1::JOB_STATE_RUNNING, 40, 100);
    v1::TensorProgress* t = running.mutable_progress()->add_tensors();
    t->set_name("layers.0.attention.wq.weight");
    t->set_blocks_done(40);
    t->set_blocks_total(100);
    v1::Job done = FakeJob("job-1", v1::JOB_STATE_SUCCEEDED, 100, 100);
    done.set_result_size_bytes(state_.result.size());
    done.set_result_sha256(state_.result_sha256);
    state_.steps = {FakeJob("job-1", v1::JOB_STATE_QUEUED, 0, 100), running,
                    done};
    server_ = FakeServer::Start(&state_);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs `seedlm <args> --coordinator ADDR --token T` (60 s deadline).
  testing::SubprocessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), kBin);
    args.insert(args.end(),
                {"--coordinator", server_->address(), "--token", token_});
    testing::SubprocessOptions o;
    o.timeout = std::chrono::seconds(60);
    absl::StatusOr<testing::SubprocessResult> r =
        testing::RunSubprocess(args, o);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    EXPECT_FALSE(r->timed_out);
    return *r;
  }

  std::string dir_;
  FakeState state_;
  std::string token_ = state_.token;  // what Run sends
  std::unique_ptr<FakeServer> server_;
};

TEST_F(CliServiceTest, SubmitUploadsWatchesAndFetches) {
  const std::string out = dir_ + "/out.seedlm";
  auto r = Run({"submit", dir_ + "/m/model.bin", out, "--preset", "4bit",
                "--bias", "2", "--include", "wq", "--name", "tiny"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("job job-1"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("wrote " + out), std::string::npos) << r.out;
  EXPECT_EQ(ReadFile(out), state_.result);
  ASSERT_EQ(state_.uploads.size(), 1u);
  EXPECT_EQ(state_.uploads[0].files.at("model/tokenizer.bin"), "tok");
  ASSERT_EQ(state_.submits.size(), 1u);
  const v1::SubmitJobRequest& req = state_.submits[0];
  EXPECT_EQ(req.model().upload_id(), "up-1");
  EXPECT_EQ(req.model().upload_model_path(), "model/model.bin");
  EXPECT_EQ(req.model().tokenizer_path(), "model/tokenizer.bin");
  EXPECT_EQ(req.options().preset(), "4bit");
  EXPECT_EQ(req.options().exponent_bias(), 2);
  ASSERT_EQ(req.options().include_size(), 1);
  EXPECT_EQ(req.display_name(), "tiny");
  EXPECT_FALSE(req.request_id().empty());
}

// `watch --json` prints one line per update in the JSON API's shape: the
// very text the coordinator's GET /api/v1/jobs/{id} gives for that job.
TEST_F(CliServiceTest, WatchJsonPrintsTheApiShapePerUpdate) {
  auto r = Run({"watch", "job-1", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos;
       start = nl + 1) {
    lines.push_back(r.out.substr(start, nl - start));
  }
  EXPECT_EQ(start, r.out.size()) << "a partial last line";
  ASSERT_EQ(lines.size(), state_.steps.size()) << r.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::StatusOr<std::string> want = rpc::ToJson(state_.steps[i]);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(lines[i], *want) << i;
    auto j = ParseJson(lines[i], "watch line");
    ASSERT_TRUE(j.ok()) << j.status();
    EXPECT_TRUE((*j)["progress"]["blocks_done"].is_string());
  }
  EXPECT_NE(lines[1].find("\"state\":\"JOB_STATE_RUNNING\""),
            std::string::npos);
  EXPECT_NE(lines[1].find("\"name\":\"layers.0.attention.wq.weight\""),
            std::string::npos);
}

TEST_F(CliServiceTest, DetachPrintsTheJobIdAndFetchesNothing) {
  auto r = Run({"submit", "models/llama", dir_ + "/o.seedlm", "--server-path",
                "--detach"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "job-1\n");
  EXPECT_TRUE(state_.uploads.empty());
  ASSERT_EQ(state_.submits.size(), 1u);
  EXPECT_EQ(state_.submits[0].model().server_path(), "models/llama");
  EXPECT_TRUE(state_.fetch_offsets.empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/o.seedlm"));
}

TEST_F(CliServiceTest, AFailedJobExitsOneWithItsError) {
  v1::Job failed = FakeJob("job-1", v1::JOB_STATE_FAILED, 0, 100);
  failed.set_error("model.bin: bad header");
  state_.steps.back() = failed;
  const std::string out = dir_ + "/out.seedlm";
  auto r = Run({"submit", dir_ + "/m/model.bin", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("job job-1 failed: model.bin: bad header"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(CliServiceTest, UsageAndAuthErrors) {
  // The output may not be the model's own tokenizer: refused before dialing.
  auto r = Run({"submit", dir_ + "/m/model.bin", dir_ + "/m/tokenizer.bin"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(state_.uploads.empty());
  r = Run({"submit", dir_ + "/m/model.bin", dir_ + "/o", "--bias", "x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Run({"jobs", "--token", "wrong-token"});  // --token given twice
  EXPECT_EQ(r.exit_code, 2);
  token_ = "another-token";
  r = Run({"jobs"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad or missing token"), std::string::npos) << r.err;
}

TEST_F(CliServiceTest, JobsJsonListsEveryJob) {
  state_.listed = {FakeJob("a", v1::JOB_STATE_RUNNING, 3, 9),
                   FakeJob("b", v1::JOB_STATE_SUCCEEDED, 9, 9),
                   FakeJob("c", v1::JOB_STATE_CANCELLED, 1, 9)};
  state_.listed[1].set_display_name("bee");
  auto r = Run({"jobs", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<Json> j = ParseJson(r.out, "jobs --json");
  ASSERT_TRUE(j.ok()) << j.status() << r.out;
  ASSERT_TRUE(j->is_array());
  ASSERT_EQ(j->size(), 3u);
  EXPECT_EQ((*j)[0]["id"], "a");
  EXPECT_EQ((*j)[0]["state"], "running");
  EXPECT_EQ((*j)[0]["blocks_done"], 3);
  EXPECT_EQ((*j)[0]["blocks_total"], 9);
  EXPECT_EQ((*j)[1]["state"], "succeeded");
  EXPECT_EQ((*j)[1]["name"], "bee");
  EXPECT_EQ((*j)[2]["state"], "cancelled");
  r = Run({"jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("succeeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3/9"), std::string::npos) << r.out;
}

TEST_F(CliServiceTest, FetchWritesTheResult) {
  const std::string out = dir_ + "/fetched.seedlm";
  auto r = Run({"fetch", "job-1", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(out), state_.result);
  EXPECT_FALSE(std::filesystem::exists(out + ".part"));
}

}  // namespace
}  // namespace seedlm
