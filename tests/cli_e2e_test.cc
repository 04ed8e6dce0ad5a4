// End-to-end tests of the `seedlm` binary on the real stories260K model
// (../shared/data): compress (a subset of tensors, to keep the reference
// search short), inspect, decompress, and the error paths a user meets; and
// inspect / decompress of a small trellis container written by the test.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>

#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/format/container.h"
#include "core/format/container_testing.h"
#include "core/model/model_source.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli_test_util.h"

namespace seedlm {
namespace {

const std::string kModelPath =
    SharedDataPath("data/stories260K/stories260K.bin");
const char* const kModel = kModelPath.c_str();

// Whether two files hold the same bytes (both must exist).
bool SameBytes(const std::string& a, const std::string& b) {
  auto read = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string x = read(a);
  return !x.empty() && x == read(b);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel);
    dir_ = ::testing::TempDir() + "/cli_e2e." + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CliTest, CompressInspectDecompress) {
  const std::string out = dir_ + "/l0.seedlm";
  // Layer 0's wk (32x64) and w2 (64x172: rows padded to whole blocks).
  Result r = RunSeedlm(
      "compress " + std::string(kModel) + " " + out +
      " --preset 4bit-i8 --threads 2 --json"
      " --include 'layers\\.0\\.(attention\\.wk|feed_forward\\.w2)\\.'");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_EQ(report["tensors"].size(), 47u);  // 1 + 5 * 9 + 1
  std::map<std::string, double> rel;
  for (const auto& t : report["tensors"]) {
    if (t["storage"] == "seedlm") rel[t["name"]] = t["rel_error"];
  }
  ASSERT_EQ(rel.size(), 2u);
  const double bpw_w2 = 22.0 * 32 / 172;  // 22 blocks of 32 bits per row
  for (const auto& t : report["tensors"]) {
    if (t["name"] == "layers.0.feed_forward.w2.weight") {
      EXPECT_NEAR(t["bits_per_weight"].get<double>(), bpw_w2, 1e-9);
    }
  }

  // inspect --json: the documented keys; bits include the bias byte.
  r = RunSeedlm("inspect " + out + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json info = nlohmann::json::parse(r.out);
  int seedlm_tensors = 0;
  for (const auto& t : info["tensors"]) {
    ASSERT_TRUE(t.contains("name") && t.contains("shape") &&
                t.contains("weights") && t.contains("bits"));
    if (t["storage"] == "seedlm") {
      ++seedlm_tensors;
      if (t["name"] == "layers.0.attention.wk.weight") {
        EXPECT_EQ(t["weights"], 32 * 64);
        EXPECT_EQ(t["bits"], 32 * 8 * 32 + 8);
      }
    } else {
      EXPECT_EQ(t["bits"].get<int64_t>(), 32 * t["weights"].get<int64_t>());
    }
  }
  EXPECT_EQ(seedlm_tensors, 2);
  r = RunSeedlm("inspect " + out +
                " --json --tensor layers.0.attention.wk.weight --blocks 7:10");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json blocks = nlohmann::json::parse(r.out)["blocks"];
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0]["index"], 7);
  EXPECT_EQ(blocks[0]["q"].size(), 3u);
  auto reader = *ContainerReader::Open(out);
  const size_t wk = *reader->FindTensor("layers.0.attention.wk.weight");
  const Block b8 = *reader->GetBlock(wk, 1, 0);  // 8 blocks per row
  EXPECT_EQ(blocks[1]["seed"].get<uint32_t>(), b8.seed);
  EXPECT_EQ(blocks[1]["e"].get<int>(), b8.e);

  // decompress: float32 safetensors whose error equals the table's.
  const std::string st = dir_ + "/l0.safetensors";
  r = RunSeedlm("decompress " + out + " " + st);
  ASSERT_EQ(r.code, 0) << r.err;
  auto orig = *OpenModel(kModel);
  auto back = *OpenModel(st);
  ASSERT_EQ(back->tensors().size(), orig->tensors().size());
  for (size_t i = 0; i < orig->tensors().size(); ++i) {
    const std::string& name = orig->tensors()[i].name;
    const std::vector<float> a = *orig->ReadFloat32(i);
    const std::vector<float> b = *back->ReadFloat32(*back->Find(name));
    ASSERT_EQ(a.size(), b.size());
    double se = 0, sn = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      se += (double(a[k]) - b[k]) * (double(a[k]) - b[k]);
      sn += double(a[k]) * a[k];
    }
    if (rel.count(name)) {
      EXPECT_NEAR(std::sqrt(se / sn), rel[name], 1e-9) << name;
      EXPECT_GT(rel[name], 0.05);
    } else {
      EXPECT_EQ(se, 0.0) << name;  // kept tensors come back exactly
    }
  }
}

// Kill -9 a compress after its first tensor is checkpointed, resume it, and
// get the same bytes as an uninterrupted run. The killed run uses the slow
// reference search (so there is time to kill it) and the resumed one the fast
// search: the checkpoint does not depend on the algorithm, only on the result.
TEST_F(CliTest, KilledCompressResumesToIdenticalBytes) {
  const std::string clean = dir_ + "/clean.seedlm",
                    out = dir_ + "/killed.seedlm";
  const std::string inc = "layers\\.0\\.attention\\.w[qkvo]";
  ASSERT_EQ(RunSeedlm("compress " + std::string(kModel) + " " + clean +
                      " --include '" + inc + "'")
                .code,
            0);
  const std::string bin = std::string(SEEDLM_BIN_DIR) + "/seedlm";
  auto child = testing::Subprocess::Start({bin, "compress", kModel, out,
                                           "--include", inc, "--search",
                                           "reference", "--threads", "1"});
  ASSERT_TRUE(child.ok()) << child.status();
  // Wait until one tensor is finished, then kill the process hard.
  auto finished = [&] {
    std::error_code ec;
    for (const auto& f :
         std::filesystem::directory_iterator(out + ".ckpt", ec)) {
      const std::string name = f.path().filename().string();
      if (name.rfind("tensor-", 0) == 0 && f.path().extension() == ".json") {
        return true;
      }
    }
    return false;
  };
  bool finished_one = false;
  for (int i = 0; i < 1200 && !finished_one; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished_one = finished();
  }
  (*child)->Kill(SIGKILL);
  auto ended = (*child)->Wait(std::chrono::seconds(60));
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_TRUE(finished_one) << "no tensor was checkpointed in time";
  ASSERT_EQ(ended->signal, SIGKILL) << "compress finished before the kill";
  EXPECT_FALSE(std::filesystem::exists(out));
  const Result r = RunSeedlm("compress " + std::string(kModel) + " " + out +
                             " --include '" + inc + "' --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("taken from the checkpoint"), std::string::npos)
      << r.out;
  EXPECT_TRUE(SameBytes(clean, out));
  EXPECT_FALSE(std::filesystem::exists(out + ".ckpt"));
}

TEST_F(CliTest, TwoRunsGiveIdenticalBytes) {
  const std::string a = dir_ + "/a.seedlm", b = dir_ + "/b.seedlm";
  const std::string inc = " --include 'layers\\.4\\.attention\\.wv'";
  ASSERT_EQ(RunSeedlm("compress " + std::string(kModel) + " " + a + inc +
                      " --threads 1")
                .code,
            0);
  ASSERT_EQ(RunSeedlm("compress " + std::string(kModel) + " " + b + inc +
                      " --threads 2")
                .code,
            0);
  EXPECT_TRUE(SameBytes(a, b));
  // The default preset, 4bit-p4, with the bias the encoder chose.
  const Result r = RunSeedlm("inspect " + a + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  int packed = 0;
  const nlohmann::json info = nlohmann::json::parse(r.out);
  for (const auto& t : info["tensors"]) {
    if (t["storage"] != "seedlm") continue;
    ++packed;
    EXPECT_EQ(t["codec"]["preset"], "4bit-p4");
    EXPECT_LT(t["codec"]["exponent_bias"].get<int>(), -2);  // |w| << 1
  }
  EXPECT_EQ(packed, 1);
}

// A seed-trellis preset: layer 0's wk (32 x 64) stored as trellis rows, the
// report counting every stored bit (the 4-byte row scales included).
TEST_F(CliTest, CompressWithATrellisPreset) {
  const std::string out = dir_ + "/t.seedlm";
  Result r = RunSeedlm("compress " + std::string(kModel) + " " + out +
                       " --preset 4bit-t --threads 2 --json"
                       " --include 'layers\\.0\\.attention\\.wk\\.'");
  if (r.code != 0 && r.err.find("unknown storage kind") != std::string::npos) {
    GTEST_SKIP() << "the container does not store trellis tensors yet";
  }
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  int trellis = 0;
  const double bpw = (4.0 + 64 * 4 / 8) * 8 / 64;  // scale + 64 x 4 bits
  for (const auto& t : report["tensors"]) {
    if (t["storage"] != "trellis") continue;
    ++trellis;
    EXPECT_EQ(t["name"], "layers.0.attention.wk.weight");
    EXPECT_NEAR(t["bits_per_weight"].get<double>(), bpw, 1e-12);
    EXPECT_GT(t["rel_error"].get<double>(), 0.0);
    EXPECT_LT(t["rel_error"].get<double>(), 0.12);
  }
  EXPECT_EQ(trellis, 1);
  EXPECT_NEAR(report["bits_per_weight"].get<double>(), bpw, 1e-12);
  auto reader = ContainerReader::Open(out);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const size_t i = *(*reader)->FindTensor("layers.0.attention.wk.weight");
  EXPECT_EQ((*reader)->tensors()[i].codec, *PresetByName("4bit-t"));
}

TEST_F(CliTest, UserErrorsAreOneLineAndNonZero) {
  const std::string out = dir_ + "/x.seedlm";
  struct Case {
    std::string args;
    std::string needle;
  } cases[] = {
      {"", "usage"},
      {"frobnicate", "unknown command"},
      {"compress " + std::string(kModel), "usage"},
      {"compress /nonexistent/model.bin " + out, "/nonexistent/model.bin"},
      {"compress " + std::string(kModel) + " " + out + " --preset 5bit",
       "unknown preset"},
      {"compress " + std::string(kModel) + " " + out + " --exponent maybe",
       "exponent mode"},
      {"compress " + std::string(kModel) + " " + out + " --include '('", "("},
      {"compress " + std::string(kModel) + " " + out + " --bogus", "--bogus"},
      {"compress " + std::string(kModel) + " " + out + " --bias 200", "--bias"},
      {"compress " + std::string(kModel) + " " + out + " --bias often",
       "--bias"},
      {"compress " + std::string(kModel) + " " + out +
           " --preset 4bit-t --bias auto",
       "trellis"},
      {"compress " + std::string(kModel) + " " + out +
           " --preset 3bit-t --exponent fit",
       "trellis"},
      {"inspect " + dir_ + "/missing.seedlm", "missing.seedlm"},
      {"inspect " + std::string(kModel), ""},  // not a .seedlm file
      {"decompress " + std::string(kModel) + " " + dir_ + "/o.safetensors", ""},
  };
  for (const Case& c : cases) {
    const Result r = RunSeedlm(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.err.find(c.needle), std::string::npos)
        << c.args << ": " << r.err;
    if (c.args.empty()) continue;  // usage text
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1)
        << c.args << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

// A trellis container (format version 2; written here, no shared data
// needed): inspect shows the trellis tensors in text and JSON, and
// decompress writes exactly the normative decode of each.
TEST(CliTrellisTest, InspectAndDecompress) {
  const std::string dir =
      ::testing::TempDir() + "/cli_trellis." + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string in = dir + "/t.seedlm", st = dir + "/t.safetensors";
  const auto tensors = container_testing::TrellisSampleTensors();
  ASSERT_TRUE(container_testing::WriteContainer(in, tensors, {}).ok());

  Result r = RunSeedlm("inspect " + in);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(".seedlm version 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trellis 4bit-t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trellis L12R4T64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("T 64, not rotated; 3 rings/row, 12 rings"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("trellis L 16, R 3, T 256, rotated; 1 rings/row, 4 "
                       "rings"),
            std::string::npos)
      << r.out;
  r = RunSeedlm("inspect " + in + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["version"], 2);
  ASSERT_EQ(info["tensors"].size(), tensors.size());
  const nlohmann::json& k = info["tensors"][2];  // 4bit-t [3, 300]
  EXPECT_EQ(k["storage"], "trellis");
  EXPECT_EQ(k["codec"]["preset"], "4bit-t");
  EXPECT_EQ(k["codec"]["family"], "trellis");
  EXPECT_EQ(k["codec"]["L"], 16);
  EXPECT_EQ(k["codec"]["R"], 4);
  EXPECT_EQ(k["codec"]["T"], 256);
  EXPECT_EQ(k["codec"]["rotate"], true);
  EXPECT_EQ(k["codec"]["rings_per_row"], 2);
  EXPECT_EQ(k["codec"]["rings"], 6);
  EXPECT_EQ(k["bits"], 3 * 8 * (4 + 150));  // scale + 300 x 4 bits per row
  EXPECT_DOUBLE_EQ(k["bits_per_weight"].get<double>(), 3 * 8 * 154 / 900.0);
  EXPECT_EQ(info["tensors"][5]["codec"]["rotate"], false);
  EXPECT_EQ(info["tensors"][5]["codec"]["preset"], "");
  r = RunSeedlm("inspect " + in + " --tensor " + tensors[2].entry.name +
                " --blocks 0:1");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("stored as trellis"), std::string::npos) << r.err;

  r = RunSeedlm("decompress " + in + " " + st);
  ASSERT_EQ(r.code, 0) << r.err;
  auto back = *OpenModel(st);
  for (const auto& t : tensors) {
    SCOPED_TRACE(t.entry.name);
    const std::vector<float> got =
        *back->ReadFloat32(*back->Find(t.entry.name));
    if (t.entry.storage != Storage::kTrellis) continue;
    const PackedGeometry g =
        MakeGeometry(t.entry.codec, t.entry.rows(), t.entry.cols());
    std::vector<float> want(got.size());
    ASSERT_TRUE(DecodeTrellisRows(t.entry.codec, g, t.payload, 0, g.rows,
                                  absl::MakeSpan(want))
                    .ok());
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), 4 * want.size()));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace seedlm
