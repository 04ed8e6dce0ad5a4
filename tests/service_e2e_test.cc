// Distributed compression end to end: a real seedlm-coordinator, real
// seedlm-worker processes and the `seedlm` CLI over loopback, compressing
// the real stories260K model (../shared/data). Every output must be
// byte-identical to `seedlm compress` with the same options, whatever dies
// along the way.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/service_test_util.h"

namespace seedlm {
namespace {

using testing::Bin;
using testing::FirstJob;
using testing::ReadFile;
using testing::StartCoordinator;
using testing::StartWorker;
using testing::Subprocess;
using testing::SubprocessOptions;
using testing::WaitFor;

const std::string kModelDir = SharedDataPath("data/stories260K");
const std::string kModel = kModelDir + "/stories260K.bin";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel.c_str());
    dir_ = ::testing::TempDir() + "/service_e2e." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `seedlm compress` of the model with `preset` (once per test binary).
  static std::string Local(const std::string& preset) {
    static std::map<std::string, std::string>* cache =
        new std::map<std::string, std::string>;
    auto it = cache->find(preset);
    if (it != cache->end()) return it->second;
    const std::string out = ::testing::TempDir() + "/service_local_" +
                            std::to_string(::getpid()) + "_" + preset +
                            ".seedlm";
    Result r =
        RunSeedlm("compress " + kModel + " " + out + " --preset " + preset);
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string bytes = ReadFile(out);
    std::filesystem::remove(out);  // kept in memory only
    (*cache)[preset] = bytes;
    return bytes;
  }

  // Starts `seedlm submit` in the background; its stderr goes to a file.
  std::unique_ptr<Subprocess> SubmitInBackground(
      const std::string& address, const std::string& out,
      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {Bin("seedlm"), "submit", "--coordinator",
                                     address,       kModel,   out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    SubprocessOptions opt;
    opt.stderr_path = out + ".stderr";
    opt.stdout_path = out + ".stdout";
    opt.timeout = std::chrono::minutes(5);
    auto p = Subprocess::Start(argv, opt);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::move(*p) : nullptr;
  }

  std::string dir_;
};

TEST_F(ServiceTest, ThreeWorkersMatchLocalCompression) {
  auto c = StartCoordinator(dir_, dir_ + "/state", {"--unit-blocks=1024"});
  ASSERT_FALSE(c.address.empty());
  std::vector<std::unique_ptr<Subprocess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(StartWorker(c.address,
                                  dir_ + "/w" + std::to_string(i) + ".log",
                                  {"--log-level=debug"}));
  }
  for (const char* preset : {"4bit-p4", "4bit"}) {
    const std::string out = dir_ + "/" + preset + ".seedlm";
    Result r = RunSeedlm("submit --coordinator " + c.address + " " + kModel +
                         " " + out + " --preset " + preset);
    ASSERT_EQ(r.code, 0) << r.err << "\n" << ReadFile(c.log);
    EXPECT_EQ(ReadFile(out), Local(preset)) << preset;
  }
  nlohmann::json jobs = testing::Jobs(c.address);
  ASSERT_TRUE(jobs.is_array());
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& j : jobs) {
    EXPECT_EQ(j["state"], "succeeded");
    EXPECT_EQ(j["blocks_done"], j["blocks_total"]);
    EXPECT_GT(j["blocks_total"].get<int64_t>(), 20000);
  }
  // Units of both jobs were spread over the workers.
  int busy = 0;
  for (int i = 0; i < 3; ++i) {
    busy +=
        ReadFile(dir_ + "/w" + std::to_string(i) + ".log").find("unit done") !=
        std::string::npos;
  }
  EXPECT_GE(busy, 2);
}

TEST_F(ServiceTest, AKilledWorkerLosesNothing) {
  auto c = StartCoordinator(dir_, dir_ + "/state", {"--unit-blocks=256"});
  ASSERT_FALSE(c.address.empty());
  auto victim = StartWorker(c.address, dir_ + "/victim.log");
  const std::string out = dir_ + "/out.seedlm";
  auto submit = SubmitInBackground(c.address, out, {"--preset", "4bit"});
  ASSERT_NE(submit, nullptr);
  // Kill it while the coordinator reports a lease.
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json j = FirstJob(c.address);
        return j.is_object() && j.value("units_leased", 0) > 0;
      },
      std::chrono::seconds(60)))
      << ReadFile(c.log);
  victim->Kill(SIGKILL);
  auto w1 = StartWorker(c.address, dir_ + "/w1.log");
  auto w2 = StartWorker(c.address, dir_ + "/w2.log");
  auto done = submit->Wait(std::chrono::minutes(4));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->exit_code, 0) << ReadFile(out + ".stderr");
  EXPECT_EQ(ReadFile(out), Local("4bit"));
  EXPECT_NE(ReadFile(c.log).find("disconnected"), std::string::npos);
}

TEST_F(ServiceTest, CoordinatorKilledMidJobAndDuringAssemblyResumes) {
  const std::string state = dir_ + "/state";
  const std::vector<std::string> flags = {"--unit-blocks=256",
                                          "--testing-assembly-delay-ms=3000"};
  auto c = StartCoordinator(dir_, state, flags);
  ASSERT_FALSE(c.address.empty());
  auto w = StartWorker(c.address, dir_ + "/w.log");
  const std::string out = dir_ + "/out.seedlm";
  auto submit = SubmitInBackground(c.address, out, {"--preset", "4bit"});
  int64_t done_before = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json j = FirstJob(c.address);
        if (!j.is_object()) return false;
        done_before = j.value("units_done", int64_t{0});
        return j.value("blocks_done", 0) > 0 && j["state"] == "running";
      },
      std::chrono::seconds(60)));
  c.process->Kill(SIGKILL);
  ASSERT_TRUE(c.process->Wait(std::chrono::seconds(10)).ok());
  // Same address: the worker and the running submit reconnect to it.
  auto c2 = StartCoordinator(dir_, state, flags, c.address);
  ASSERT_EQ(c2.address, c.address);
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json j = FirstJob(c2.address);
        return j.is_object() && j["state"] == "assembling";
      },
      std::chrono::seconds(120)))
      << ReadFile(c2.log);
  // Units recorded before the kill were not redone.
  const std::string log2 = ReadFile(c2.log);
  EXPECT_NE(log2.find("job planned"), std::string::npos) << log2;
  EXPECT_EQ(log2.find("already_done=0 "), std::string::npos) << log2;
  EXPECT_GE(done_before, 1);
  c2.process->Kill(SIGKILL);
  ASSERT_TRUE(c2.process->Wait(std::chrono::seconds(10)).ok());
  auto c3 = StartCoordinator(dir_, state, {"--unit-blocks=256"}, c.address);
  auto done = submit->Wait(std::chrono::minutes(4));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->exit_code, 0) << ReadFile(out + ".stderr");
  EXPECT_EQ(ReadFile(out), Local("4bit"));
}

TEST_F(ServiceTest, AWorkerThatCorruptsBlocksIsCaught) {
  auto c = StartCoordinator(dir_, dir_ + "/state", {"--unit-blocks=1024"});
  ASSERT_FALSE(c.address.empty());
  auto bad = StartWorker(c.address, dir_ + "/bad.log",
                         {"--testing-corrupt-units=1000"});
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(c.log).find("registered") != std::string::npos; },
      std::chrono::seconds(30)));
  auto good = StartWorker(c.address, dir_ + "/good.log");
  const std::string out = dir_ + "/out.seedlm";
  Result r = RunSeedlm("submit --coordinator " + c.address + " " + kModel +
                       " " + out + " --preset 4bit");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(out), Local("4bit"));
  EXPECT_NE(ReadFile(c.log).find("failed verification"), std::string::npos)
      << ReadFile(c.log);
}

// A small safetensors model of two f32 matrices (24 x 64, 40 x 48) at
// `path`: a trellis job small enough for the reference search.
void WriteSmallModel(const std::string& path) {
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.0f, 0.02f);
  std::vector<float> a(24 * 64), b(40 * 48);
  for (float& x : a) x = g(rng);
  for (float& x : b) x = g(rng);
  const uint64_t na = a.size() * 4, nb = b.size() * 4;
  const std::string header =
      "{\"layers.0.attention.wq.weight\":{\"dtype\":\"F32\",\"shape\":[24,64],"
      "\"data_offsets\":[0," +
      std::to_string(na) +
      "]},\"layers.0.feed_forward.w1.weight\":{\"dtype\":\"F32\",\"shape\":"
      "[40,48],\"data_offsets\":[" +
      std::to_string(na) + "," + std::to_string(na + nb) + "]}}";
  std::ofstream f(path, std::ios::binary);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f.put(static_cast<char>(n >> (8 * i)));
  f << header;
  f.write(reinterpret_cast<const char*>(a.data()), na);
  f.write(reinterpret_cast<const char*>(b.data()), nb);
}

// A seed-trellis job (4bit-t, 3bit-t) over two workers, one of which
// corrupts its first unit: the output equals `seedlm compress`'s, the
// corrupted unit fails the coordinator's re-encoding check.
TEST(TrellisServiceTest, WorkersMatchLocalCompression) {
  const std::string dir =
      ::testing::TempDir() + "/service_trellis." + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string model = dir + "/small.safetensors";
  WriteSmallModel(model);
  // `seedlm compress` of both presets (the first also tells whether this
  // build's container stores trellis tensors).
  for (const char* preset : {"4bit-t", "3bit-t"}) {
    Result local = RunSeedlm("compress " + model + " " + dir + "/want-" +
                             preset + ".seedlm --preset " + preset);
    if (local.code != 0 &&
        local.err.find("unknown storage kind") != std::string::npos) {
      std::filesystem::remove_all(dir);
      GTEST_SKIP() << "the container does not store trellis tensors yet";
    }
    ASSERT_EQ(local.code, 0) << local.err;
  }
  auto c = StartCoordinator(dir, dir + "/state", {"--unit-blocks=32"});
  ASSERT_FALSE(c.address.empty());
  auto bad =
      StartWorker(c.address, dir + "/bad.log", {"--testing-corrupt-units=1"});
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(c.log).find("registered") != std::string::npos; },
      std::chrono::seconds(30)));
  auto good = StartWorker(c.address, dir + "/good.log");
  for (const char* preset : {"4bit-t", "3bit-t"}) {
    const std::string out = dir + "/" + preset + ".seedlm";
    Result r = RunSeedlm("submit --coordinator " + c.address + " " + model +
                         " " + out + " --preset " + preset);
    ASSERT_EQ(r.code, 0) << r.err << "\n" << ReadFile(c.log);
    const std::string want = dir + "/want-" + preset + ".seedlm";
    EXPECT_EQ(ReadFile(out), ReadFile(want)) << preset;
  }
  EXPECT_NE(ReadFile(c.log).find("failed verification"), std::string::npos)
      << ReadFile(c.log);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace seedlm
