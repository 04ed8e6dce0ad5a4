// The `seedlm` binary against hostile input (issue 12): container bombs,
// outputs that cannot be written, flags at their limits, a corrupt payload
// that only `verify` sees, and a --tokenizer that must be read. Every case
// runs through the subprocess helper with a short deadline: a crash, a hang
// or a memory blow-up fails the test instead of stalling it.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/format/container.h"
#include "core/format/container_internal.h"
#include "core/format/container_testing.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace seedlm {
namespace {

// ASan and TSan reserve terabytes of address space: address-space limits
// (ulimit -v) cannot be used on their binaries.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

const std::string kModel = SharedDataPath("data/stories260K/stories260K.bin");
const std::string kTok = SharedDataPath("data/stories260K/tok512.bin");

struct Outcome {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Bin() { return Quote(std::string(SEEDLM_BIN_DIR) + "/seedlm"); }

// Runs a /bin/sh script (where $SEEDLM is the binary) with a deadline.
Outcome Sh(const std::string& script, int timeout_s = 30) {
  testing::SubprocessOptions o;
  o.timeout = std::chrono::seconds(timeout_s);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = testing::RunSubprocess(
      {"/bin/sh", "-c", absl::StrCat("SEEDLM=", Bin(), "; ", script)}, o);
  Outcome out;
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!r.ok()) {
    out.err = std::string(r.status().message());
    return out;
  }
  out.code = r->exit_code;
  out.out = std::move(r->out);
  out.err = std::move(r->err);
  if (r->timed_out) out.err += "\n[killed: past the deadline]";
  if (r->signal != 0) out.err += absl::StrCat("\n[signal ", r->signal, "]");
  return out;
}

Outcome Seedlm(const std::string& args, int timeout_s = 30) {
  return Sh("exec $SEEDLM " + args, timeout_s);
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

int Lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cli_hostile_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// ---- Container bombs -------------------------------------------------------

// A valid container whose seedlm tensor "big" is rows x 1024 weights of the
// densest codec (64 weights in 4 bits: 512 times smaller than float32), and
// a small f32 tensor after it.
std::string WriteDenseBomb(const std::string& path, int64_t rows) {
  TensorEntry big;
  big.name = "big";
  big.shape = {rows, 1024};
  big.storage = Storage::kSeedLM;
  big.codec.C = 64;  // the densest block codec: (64, 1, 2, 2, 0, paper)
  big.codec.P = 1;
  big.codec.K = 2;
  big.codec.Q = 2;
  big.codec.E = 0;
  auto w = ContainerWriter::Create(path);
  EXPECT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE((*w)->BeginTensor(big).ok());
  const uint64_t bytes = *ExpectedPayloadBytes(big);
  const std::vector<uint8_t> ones(64 << 10, 0xff);  // every seed 3, q -1
  for (uint64_t at = 0; at < bytes; at += ones.size()) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(64 << 10, bytes - at));
    EXPECT_TRUE((*w)->AppendPayload(absl::MakeConstSpan(ones.data(), n)).ok());
  }
  EXPECT_TRUE((*w)->EndTensor().ok());
  TensorEntry small;
  small.name = "small";
  small.shape = {3};
  const float v[3] = {1.5f, -2.0f, 0.25f};
  EXPECT_TRUE((*w)->AddTensor(small, absl::Span<const uint8_t>(
                                         reinterpret_cast<const uint8_t*>(v),
                                         sizeof(v)))
                  .ok());
  EXPECT_TRUE((*w)->Finish().ok());
  return path;
}

// A small container whose directory claims a 16 GiB f32 tensor ([2^31, 2])
// behind valid checksums.
std::string WriteLyingBomb(const std::string& path) {
  namespace ci = container_internal;
  TensorEntry e;
  e.name = "w";
  e.shape = {4, 2};
  const std::vector<uint8_t> payload(32, 0);
  {
    auto w = ContainerWriter::Create(path);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE((*w)->AddTensor(e, payload).ok());
    EXPECT_TRUE((*w)->Finish().ok());
  }
  std::string b = ReadAll(path);
  const ci::Header h =
      ci::DecodeHeader(reinterpret_cast<const uint8_t*>(b.data()));
  const uint64_t dim0 = h.directory_offset + 2 + e.name.size() + 10;
  for (int k = 0; k < 8; ++k) {
    b[dim0 + k] = static_cast<char>((uint64_t{1} << 31) >> (8 * k));
  }
  container_testing::RepairChecksums(&b);
  WriteAll(path, b);
  return path;
}

TEST_F(HostileTest, DirectoryClaimingSixteenGiBIsDataLossEverywhere) {
  const std::string bomb = WriteLyingBomb(Path("lie.seedlm"));
  for (const std::string& cmd :
       {"decompress " + bomb + " " + Path("o.safetensors"), "inspect " + bomb,
        "inspect " + bomb + " --json", "verify " + bomb,
        "generate " + bomb + " --prompt hi",
        "perplexity " + bomb + " " + bomb}) {
    const Outcome r = Seedlm(cmd, 20);
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("corrupt .seedlm file"), std::string::npos)
        << cmd << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_LT(r.seconds, 10) << cmd;
  }
  EXPECT_FALSE(std::filesystem::exists(Path("o.safetensors")));
}

// 256 MiB of float32 from a 512 KiB file: decompress streams it under an
// address-space limit (~195 MiB) that the whole-model decode exceeds.
TEST_F(HostileTest, DecompressStreamsInBoundedMemory) {
  if (kSanitized) GTEST_SKIP() << "ulimit -v is meaningless under ASan/TSan";
  const int64_t rows = 65536;
  const std::string in = WriteDenseBomb(Path("dense.seedlm"), rows);
  const std::string out = Path("dense.safetensors");
  const Outcome r =
      Sh("ulimit -v 200000 && exec $SEEDLM decompress " + in + " " + out, 120);
  ASSERT_EQ(r.code, 0) << r.err;
  auto reader = ContainerReader::Open(in);
  ASSERT_TRUE(reader.ok());
  const int64_t n = rows * 1024;
  const int fd = ::open(out.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  uint64_t header = 0;
  ASSERT_EQ(::pread(fd, &header, 8, 0), 8);
  EXPECT_EQ(std::filesystem::file_size(out), 8 + header + (n + 3) * 4);
  // Slices at the start, across a chunk boundary, at the end, and "small".
  for (int64_t at : {int64_t{0}, kDecodeChunkElements - 5, n - 16, n}) {
    std::vector<float> want(16), got(16);
    if (at == n) {
      ASSERT_TRUE(
          (*reader)->DecodeToFloat32(1, absl::MakeSpan(want.data(), 3)).ok());
      want.resize(3);
      got.resize(3);
    } else {
      ASSERT_TRUE(
          (*reader)->DecodeRangeToFloat32(0, at, absl::MakeSpan(want)).ok());
    }
    const ssize_t len = static_cast<ssize_t>(got.size() * 4);
    ASSERT_EQ(
        ::pread(fd, got.data(), len, static_cast<off_t>(8 + header + at * 4)),
        len);
    EXPECT_EQ(want, got) << "at " << at;
  }
  ::close(fd);
}

// inspect --json --blocks over a million blocks streams them in constant
// memory (the old code built the whole JSON document first).
TEST_F(HostileTest, InspectBlocksStreamsInBoundedMemory) {
  if (kSanitized) GTEST_SKIP() << "ulimit -v is meaningless under ASan/TSan";
  const std::string in = WriteDenseBomb(Path("dense.seedlm"), 65536);
  const std::string out = Path("blocks.json");
  const Outcome r = Sh("ulimit -v 200000 && exec $SEEDLM inspect " + in +
                           " --json --tensor big --blocks 0:1048576 > " + out,
                       120);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = ReadAll(out);
  EXPECT_EQ(Lines(text), 1048576 + 2);
  EXPECT_EQ(text.rfind("{\"blocks\": [\n", 0), 0u);
  EXPECT_EQ(text.substr(text.size() - 4), "\n]}\n");
  EXPECT_NE(text.find("\n{\"e\":0,\"index\":1048575,\"q\":[-1],\"row\":65535,"
                      "\"seed\":3}\n"),
            std::string::npos);
}

// ---- Outputs that cannot be written ----------------------------------------

class StoriesTest : public HostileTest {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModel);
    HostileTest::SetUp();
    model_ = Path("s.seedlm");
    const Outcome r =
        Seedlm("compress " + kModel + " " + model_ +
                   " --threads 2 --include 'layers\\.0\\.attention\\.wq\\.'",
               120);
    ASSERT_EQ(r.code, 0) << r.err;
  }
  std::string model_;
};

// stdout to a file under a 512-byte size limit (SIGXFSZ ignored, so the
// write fails with EFBIG): exit 1 with the reason, never 0.
TEST_F(StoriesTest, StdoutWriteFailuresAreErrors) {
  for (const std::string& cmd :
       {"inspect " + model_ + " --json", "inspect " + model_,
        "inspect " + model_ +
            " --tensor layers.0.attention.wq.weight --blocks 0:512",
        "generate " + model_ + " --prompt hi --max-tokens 400",
        "generate " + model_ + " --prompt hi --max-tokens 400 --json"}) {
    const Outcome r = Sh("ulimit -f 1 && trap '' XFSZ && exec $SEEDLM " + cmd +
                         " > " + Path("small.out"));
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("cannot write to stdout: File too large"),
              std::string::npos)
        << cmd << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << cmd << ": " << r.err;
  }
  // stdout closed: its descriptor is kept from reuse and writes fail.
  const Outcome r = Sh("exec $SEEDLM inspect " + model_ + " >&-");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write to stdout: Bad file descriptor"),
            std::string::npos)
      << r.err;
}

// stdout is a pipe whose reader has gone (SIGPIPE ignored, so writes fail
// with EPIPE): the loop writes until the pipe is known broken, then runs
// seedlm on it and reports its exit code.
TEST_F(StoriesTest, BrokenPipeIsAnError) {
  for (const std::string& cmd :
       {"inspect " + model_ + " --json", "generate " + model_ + " --prompt hi",
        "inspect " + model_ +
            " --tensor layers.0.attention.wq.weight --blocks 0:512 --json"}) {
    const Outcome r =
        Sh("trap '' PIPE; { while printf x 2>/dev/null; do :; done; $SEEDLM " +
           cmd + "; echo \"rc=$?\" >&2; } | true");
    EXPECT_NE(r.err.find("cannot write to stdout: Broken pipe"),
              std::string::npos)
        << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("rc=1"), std::string::npos) << cmd << ": " << r.err;
  }
}

// ---- verify
// ------------------------------------------------------------------

TEST_F(StoriesTest, VerifyFindsWhatInspectDoesNot) {
  Outcome r = Seedlm("verify " + model_);
  ASSERT_EQ(r.code, 0) << r.err;
  const uint64_t size = std::filesystem::file_size(model_);
  EXPECT_EQ(r.out, absl::StrCat("OK: 47 tensors, ", size, " bytes verified\n"));
  auto reader = ContainerReader::Open(model_);
  ASSERT_TRUE(reader.ok());
  const std::string good = ReadAll(model_);
  for (const char* name :
       {"layers.0.attention.wq.weight", "tok_embeddings.weight"}) {
    const TensorEntry& e = (*reader)->tensors()[*(*reader)->FindTensor(name)];
    std::string bad = good;
    bad[e.offset + e.size / 2] ^= 0x10;
    const std::string path = Path("flipped.seedlm");
    WriteAll(path, bad);
    r = Seedlm("inspect " + path);  // reads the directory only, and says so
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("payload checksums not verified"), std::string::npos);
    r = Seedlm("verify " + path);
    EXPECT_EQ(r.code, 1) << name;
    EXPECT_NE(r.err.find(absl::StrCat("tensor '", name,
                                      "': payload checksum mismatch")),
              std::string::npos)
        << r.err;
    EXPECT_EQ(Lines(r.err), 1);
    r = Seedlm("verify " + path + " --json");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find(absl::StrCat("\"tensor\": \"", name, "\"")),
              std::string::npos)
        << r.out;
  }
  // A block with seed 0 behind valid checksums.
  const size_t wq = *(*reader)->FindTensor("layers.0.attention.wq.weight");
  std::string zero = good;
  for (int k = 0; k < 3; ++k) zero[(*reader)->tensors()[wq].offset + k] = 0;
  container_testing::RepairChecksums(&zero);
  WriteAll(Path("zero.seedlm"), zero);
  r = Seedlm("verify " + Path("zero.seedlm"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("tensor 'layers.0.attention.wq.weight': block 0 has "
                       "seed 0"),
            std::string::npos)
      << r.err;
}

// ---- --tokenizer overrides the embedded tokenizer
// ----------------------------

// A llama2.c tokenizer with `n` one-byte tokens.
std::string TinyLlama2cTokenizer(int n) {
  std::string t(4, '\0');
  t[0] = 1;  // max_token_length
  for (int i = 0; i < n; ++i) {
    const float score = 0;
    const int32_t len = 1;
    t.append(reinterpret_cast<const char*>(&score), 4);
    t.append(reinterpret_cast<const char*>(&len), 4);
    t.push_back(static_cast<char>('a' + i));
  }
  return t;
}

TEST_F(StoriesTest, TokenizerFlagIsReadForSeedlmFiles) {
  const std::string tiny = Path("tiny.bin");
  WriteAll(tiny, TinyLlama2cTokenizer(3));
  WriteAll(Path("bad.json"), "{\"model\": [");
  const std::string text = Path("text.txt");
  WriteAll(text, "Once upon a time there was a cat.");
  struct Case {
    std::string flag;
    int code;
    std::string needle;
  } cases[] = {
      {Path("missing.bin"), 1, "missing.bin"},
      {tiny, 2, "has 3 tokens, the model's vocabulary 512"},
      {Path("bad.json"), 1, ""},
  };
  for (const Case& c : cases) {
    for (const std::string& cmd :
         {"generate " + model_ + " --prompt hi --max-tokens 3",
          "perplexity " + model_ + " " + text}) {
      const Outcome r = Seedlm(cmd + " --tokenizer " + c.flag);
      EXPECT_EQ(r.code, c.code) << cmd << " " << c.flag << ": " << r.err;
      EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
      EXPECT_EQ(Lines(r.err), 1) << r.err;
    }
  }
  // The model's own tokenizer given explicitly: the same completion.
  const Outcome a =
      Seedlm("generate " + model_ + " --prompt hi --max-tokens 8");
  const Outcome b = Seedlm("generate " + model_ +
                           " --prompt hi --max-tokens 8 --tokenizer " + kTok);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
}

// ---- Flags at their limits
// ---------------------------------------------------

TEST_F(StoriesTest, FlagsAtTheirLimitsAreUsageErrors) {
  const std::string text = Path("text.txt");
  WriteAll(text, "Once upon a time.");
  const std::string gen = "generate " + model_ + " --prompt hi ";
  const std::string ppl = "perplexity " + model_ + " " + text + " ";
  const std::string blocks =
      "inspect " + model_ + " --tensor layers.0.attention.wq.weight --blocks ";
  const std::string compress = "compress " + kModel + " " + Path("c.seedlm");
  const std::string synth =
      "synth " + Path("synth") + " --arch llama --dim 64 --hidden 64 ";
  const std::vector<std::string> cases = {
      gen + "--threads -1",
      gen + "--threads 1099511627776",
      gen + "--threads 18446744073709551616",
      gen + "--threads x",
      gen + "--threads ''",
      gen + "--max-tokens 4611686018427387904",
      gen + "--max-tokens -1",
      gen + "--temperature -1",
      gen + "--temperature nan",
      gen + "--temperature inf",
      gen + "--temperature 1e9",
      gen + "--top-p 2",
      gen + "--top-p 0",
      gen + "--top-p nan",
      gen + "--top-p -0.5",
      gen + "--seed 18446744073709551616",
      gen + "--seed -1",
      gen + "--seed 1.5",
      gen + "--json=1",
      gen + "--bogus 1",
      gen + "--prompt",
      ppl + "--ctx 2147483648",
      ppl + "--ctx -1",
      ppl + "--ctx 1",
      ppl + "--ctx 100000",
      ppl + "--max-chars -1",
      ppl + "--max-chars 9223372036854775808",
      ppl + "--threads 1099511627776",
      blocks + "5:2",
      blocks + "0:9223372036854775808",
      blocks + "0:9223372036854775807",
      blocks + "0:513",
      blocks + "-1:2",
      blocks + "a:b",
      blocks + "1:2:3",
      blocks + "''",
      "inspect " + model_ + " --blocks 0:1",
      compress + " --bias 1000",
      compress + " --threads -1",
      compress + " --threads 1099511627776",
      synth + "--layers -1",
      synth + "--layers 1099511627776",
      synth + "--layers 1 --vocab -5",
      synth + "--layers 1 --vocab 4611686018427387904"};
  for (const std::string& c : cases) {
    const Outcome r = Seedlm(c, 20);
    EXPECT_EQ(r.code, 2) << c << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << c << ": " << r.err;
    EXPECT_EQ(r.out, "") << c;
    EXPECT_LT(r.seconds, 10) << c;
  }
  EXPECT_FALSE(std::filesystem::exists(Path("c.seedlm")));
  EXPECT_FALSE(std::filesystem::exists(Path("synth")));
}

}  // namespace
}  // namespace seedlm
