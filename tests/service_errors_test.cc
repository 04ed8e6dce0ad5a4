// The compression service's refusals, across real processes: wrong and
// missing tokens, TLS, bad presets, paths outside the model root, a model
// that does not parse, a tampered upload, a worker of another build, hostile
// request fields, cancellation — each with the right status and a clear
// message, while the coordinator keeps serving. Plus a load test: 20 small
// jobs from 4 clients on 2 workers.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/compress/handshake.h"
#include "core/util/crc32.h"
#include "core/util/sha256.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "proto/rpc/convert.h"
#include "proto/rpc/credentials.h"
#include "seedlm/v1/compression.grpc.pb.h"
#include "seedlm/v1/work.grpc.pb.h"
#include "tests/service_test_util.h"

namespace seedlm {
namespace {

using testing::ReadFile;
using testing::StartCoordinator;
using testing::StartWorker;
using testing::Subprocess;
using testing::WaitFor;

const std::string kModelDir = SharedDataPath("data/stories260K");
const std::string kModel = kModelDir + "/stories260K.bin";

class ServiceErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel.c_str());
    dir_ =
        ::testing::TempDir() + "/service_errors." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_ + "/root");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<v1::CompressionService::Stub> ClientStub(
      const std::string& address) {
    return v1::CompressionService::NewStub(
        rpc::Dial(address, grpc::InsecureChannelCredentials()));
  }
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  }

  std::string dir_;
};

TEST_F(ServiceErrorsTest, RefusalsHaveClearCodesAndTheServiceGoesOn) {
  // A copy inside the root (a symlink to the shared data would lead out
  // of it, which the coordinator refuses).
  std::filesystem::copy(kModelDir, dir_ + "/root/s260");
  std::filesystem::create_directory_symlink("/etc", dir_ + "/root/escape");
  std::ofstream(dir_ + "/junk.bin") << "this is not a llama2.c model";
  auto c = StartCoordinator(dir_, dir_ + "/state",
                            {"--model-root=" + dir_ + "/root"});
  ASSERT_FALSE(c.address.empty());
  const std::string co = " --coordinator " + c.address + " ";
  const std::string out = dir_ + "/out.seedlm";

  // Unknown preset: a usage error, before anything is sent.
  Result r = RunSeedlm("submit" + co + kModel + " " + out + " --preset 5bit");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("5bit"), std::string::npos) << r.err;
  // Server paths: "..", then a symlink out of the root.
  r = RunSeedlm("submit" + co + "--server-path ../x " + out);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(".."), std::string::npos) << r.err;
  r = RunSeedlm("submit" + co + "--server-path escape/passwd " + out);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("outside the model root"), std::string::npos) << r.err;
  // A model that does not parse fails its job with the reader's message.
  r = RunSeedlm("submit" + co + dir_ + "/junk.bin " + out);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  // A tampered upload: the bytes do not match the manifest's sha256, then a
  // chunk whose CRC fails.
  for (int kind = 0; kind < 2; ++kind) {
    auto stub = ClientStub(c.address);
    auto ctx = Context();
    v1::UploadModelResponse resp;
    auto writer = stub->UploadModel(ctx.get(), &resp);
    const std::string data = "model bytes";
    v1::UploadModelRequest m;
    v1::UploadFile* f = m.mutable_manifest()->add_files();
    f->set_relative_path("m.bin");
    f->set_size_bytes(data.size());
    f->set_sha256(kind == 0 ? Sha256Hex("other bytes") : Sha256Hex(data));
    ASSERT_TRUE(writer->Write(m));
    v1::UploadModelRequest chunk;
    chunk.mutable_chunk()->set_data(data);
    chunk.mutable_chunk()->set_crc32(Crc32(data.data(), data.size()) +
                                     (kind == 1 ? 1 : 0));
    writer->Write(chunk);
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS)
        << kind << " " << s.error_message();
  }
  // Hostile fields.
  {
    auto stub = ClientStub(c.address);
    v1::SubmitJobRequest req;
    req.mutable_model()->set_server_path("s260/stories260K.bin");
    req.set_display_name(std::string(5000, 'n'));
    v1::Job job;
    grpc::Status s = stub->SubmitJob(Context().get(), req, &job);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("display_name"), std::string::npos);
    v1::ListJobsRequest list;
    list.set_page_size(5000);
    v1::ListJobsResponse lr;
    EXPECT_EQ(stub->ListJobs(Context().get(), list, &lr).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    v1::GetJobRequest get;
    get.set_job_id(std::string(100, 'x'));
    EXPECT_EQ(stub->GetJob(Context().get(), get, &job).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    get.set_job_id("jnope");
    EXPECT_EQ(stub->GetJob(Context().get(), get, &job).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // A worker of another build (its seed tables differ) is refused.
  {
    auto work = v1::WorkService::NewStub(
        rpc::Dial(c.address, grpc::InsecureChannelCredentials()));
    v1::RegisterWorkerRequest reg;
    CodecHandshake h = *CodecHandshakeFor(*PresetByName("4bit"));
    h.seed_table_crc ^= 0x5a5a;
    *reg.add_handshakes() = rpc::ToProto(h);
    v1::RegisterWorkerResponse resp;
    grpc::Status s = work->RegisterWorker(Context().get(), reg, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(s.error_message().find("differ"), std::string::npos)
        << s.error_message();
    v1::LeaseWorkRequest lease;
    lease.set_worker_id("w-unknown");
    lease.set_max_wait_ms(1000000000);
    v1::LeaseWorkResponse lr;
    EXPECT_EQ(work->LeaseWork(Context().get(), lease, &lr).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // Cancel a job that no worker runs; watching it then ends "cancelled".
  r = RunSeedlm("submit" + co + "--detach --server-path s260/stories260K.bin " +
                out);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string id = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(id.empty());
  r = RunSeedlm("cancel " + id + co);
  EXPECT_EQ(r.code, 0) << r.err;
  r = RunSeedlm("watch " + id + co);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cancelled"), std::string::npos) << r.err;
  r = RunSeedlm("fetch " + id + " " + out + co);
  EXPECT_EQ(r.code, 1) << r.err;

  // Through all of that the coordinator kept serving: a good job runs.
  auto w = StartWorker(c.address, dir_ + "/w.log");
  r = RunSeedlm("submit" + co + "--server-path s260/stories260K.bin " + out +
                " --preset 4bit");
  ASSERT_EQ(r.code, 0) << r.err << ReadFile(c.log);
  Result local = RunSeedlm("compress " + kModel + " " + dir_ +
                           "/local.seedlm --preset 4bit");
  ASSERT_EQ(local.code, 0);
  EXPECT_EQ(ReadFile(out), ReadFile(dir_ + "/local.seedlm"));
}

// Makes a self-signed certificate for 127.0.0.1 with the openssl CLI.
bool MakeCert(const std::string& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem";
  auto r = testing::RunSubprocess({"/bin/sh", "-c", cmd});
  return r.ok() && r->exit_code == 0;
}

TEST_F(ServiceErrorsTest, TokensAndTlsGuardEveryCall) {
  ASSERT_TRUE(MakeCert(dir_));
  std::ofstream(dir_ + "/tokens")
      << "alice-token-1 client alice\nbob-token-22 client bob\n"
         "worker-token-3 worker\nadmin-token-4 admin root\n";
  auto c = StartCoordinator(
      dir_, dir_ + "/state",
      {"--auth-tokens=" + dir_ + "/tokens", "--tls-cert=" + dir_ + "/cert.pem",
       "--tls-key=" + dir_ + "/key.pem", "--unit-blocks=4096"});
  ASSERT_FALSE(c.address.empty());
  const std::string tls = " --tls-ca " + dir_ + "/cert.pem";
  const std::string co = " --coordinator " + c.address + tls;
  Result r = RunSeedlm("jobs --json" + co);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("token"), std::string::npos) << r.err;
  r = RunSeedlm("jobs --json --token nope-nope-nope" + co);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown token"), std::string::npos) << r.err;
  r = RunSeedlm("jobs --json --token worker-token-3" + co);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("may not"), std::string::npos) << r.err;
  // Plaintext against a TLS port fails (and does not hang).
  r = RunSeedlm(
      "jobs --json --token alice-token-1 --connect-timeout 3 "
      "--coordinator " +
      c.address);
  EXPECT_NE(r.code, 0);
  // A worker with a client token is refused and exits.
  auto bad =
      StartWorker(c.address, dir_ + "/bad.log",
                  {"--token=alice-token-1", "--tls-ca=" + dir_ + "/cert.pem"});
  auto exited = bad->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(exited.ok());
  EXPECT_EQ(exited->exit_code, 1) << ReadFile(dir_ + "/bad.log");
  // The real worker, the real client: a job over TLS with tokens.
  auto w =
      StartWorker(c.address, dir_ + "/w.log",
                  {"--token=worker-token-3", "--tls-ca=" + dir_ + "/cert.pem"});
  const std::string out = dir_ + "/out.seedlm";
  r = RunSeedlm("submit --token alice-token-1" + co + " " + kModel + " " + out +
                " --preset 4bit");
  ASSERT_EQ(r.code, 0) << r.err << ReadFile(c.log);
  // Each client sees only its own jobs; an admin sees all.
  auto count = [&](const std::string& token) {
    Result j = RunSeedlm("jobs --json --token " + token + co);
    auto v = nlohmann::json::parse(j.out, nullptr, false);
    return v.is_array() ? static_cast<int>(v.size()) : -1;
  };
  EXPECT_EQ(count("alice-token-1"), 1);
  EXPECT_EQ(count("bob-token-22"), 0);
  EXPECT_EQ(count("admin-token-4"), 1);
  nlohmann::json jobs = nlohmann::json::parse(
      RunSeedlm("jobs --json --token alice-token-1" + co).out, nullptr, false);
  ASSERT_TRUE(jobs.is_array() && jobs.size() == 1);
  const std::string id = jobs[0]["id"];
  r = RunSeedlm("fetch " + id + " " + dir_ +
                "/bob.seedlm --token bob-token-22" + co);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("another client"), std::string::npos) << r.err;
}

// Vm HWM of a process, KiB (0 if unknown).
int64_t PeakRssKib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

TEST_F(ServiceErrorsTest, TwentyJobsFromFourClientsOnTwoWorkers) {
  Result synth = RunSeedlm("synth " + dir_ +
                           "/tiny --arch llama --dim 64 --hidden 160 "
                           "--layers 1 --vocab 128");
  ASSERT_EQ(synth.code, 0) << synth.err;
  Result local = RunSeedlm("compress " + dir_ + "/tiny " + dir_ +
                           "/local.seedlm --preset 4bit");
  ASSERT_EQ(local.code, 0) << local.err;
  const std::string expected = ReadFile(dir_ + "/local.seedlm");
  auto c = StartCoordinator(dir_, dir_ + "/state", {});
  ASSERT_FALSE(c.address.empty());
  auto w1 = StartWorker(c.address, dir_ + "/w1.log");
  auto w2 = StartWorker(c.address, dir_ + "/w2.log");
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  std::vector<int> codes(20, -1);
  for (int k = 0; k < 4; ++k) {
    clients.emplace_back([&, k] {
      for (int i = 0; i < 5; ++i) {
        const int n = k * 5 + i;
        codes[n] = RunSeedlm("submit --coordinator " + c.address + " " + dir_ +
                             "/tiny " + dir_ + "/out" + std::to_string(n) +
                             ".seedlm --preset 4bit")
                       .code;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (int n = 0; n < 20; ++n) {
    EXPECT_EQ(codes[n], 0) << n;
    EXPECT_EQ(ReadFile(dir_ + "/out" + std::to_string(n) + ".seedlm"), expected)
        << n;
  }
  const int64_t rss = PeakRssKib(c.process->pid());
  std::printf(
      "load: 20 jobs, 4 clients, 2 workers: %.1f s, coordinator peak "
      "RSS %.1f MiB\n",
      seconds, static_cast<double>(rss) / 1024);
  RecordProperty("seconds", std::to_string(seconds));
  RecordProperty("coordinator_peak_rss_kib", std::to_string(rss));
  nlohmann::json jobs = testing::Jobs(c.address);
  ASSERT_TRUE(jobs.is_array());
  EXPECT_EQ(jobs.size(), 20u);
}

}  // namespace
}  // namespace seedlm
