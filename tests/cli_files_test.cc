// End-to-end tests of the `seedlm` binary against hostile paths: outputs that
// alias an input, a user's file where the checkpoint would go, a file-size
// limit, FIFOs as inputs, special files at the output, and a kill while the
// output is written. Every run has a deadline, so a hang fails the test.
// Runs on stories260K (../shared/data) copied into a temp dir, and on tiny
// `seedlm synth` checkpoints.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "tests/util/subprocess.h"

namespace seedlm {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const std::string kModelPath =
    SharedDataPath("data/stories260K/stories260K.bin");
const std::string kTokenizerPath =
    SharedDataPath("data/stories260K/tok512.bin");
const std::string kBin = std::string(SEEDLM_BIN_DIR) + "/seedlm";
// Compress only one small matrix: each run takes well under a second.
const std::string kInclude = "layers\\.0\\.attention\\.wk";

struct RunResult {
  int code = -1;
  bool timed_out = false;
  std::string out, err;
};

// Runs `argv` (argv[0] is the program) with a deadline.
RunResult RunArgv(const std::vector<std::string>& argv, seconds timeout) {
  testing::SubprocessOptions o;
  o.timeout = timeout;
  absl::StatusOr<testing::SubprocessResult> r = testing::RunSubprocess(argv, o);
  if (!r.ok())
    return RunResult{-1, false, "", std::string(r.status().message())};
  return RunResult{r->exit_code, r->timed_out, std::move(r->out),
                   std::move(r->err)};
}

// Runs seedlm with `args` (30 s deadline: each case takes about a second).
RunResult Seedlm(std::vector<std::string> args) {
  args.insert(args.begin(), kBin);
  return RunArgv(args, seconds(30));
}

// What a directory tree holds: each entry's type and, for a regular file its
// size and CRC-32, for a symlink its target. Special files are never opened.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> snap;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    const fs::file_status st = e.symlink_status();
    if (fs::is_symlink(st)) {
      snap[rel] = "link:" + fs::read_symlink(e.path()).string();
    } else if (fs::is_regular_file(st)) {
      const std::string bytes = *ReadFileToString(e.path().string(), 1 << 30);
      snap[rel] = absl::StrCat("file: ", bytes.size(), " bytes, crc ",
                               Crc32(bytes.data(), bytes.size()));
    } else if (fs::is_directory(st)) {
      snap[rel] = "dir";
    } else {
      snap[rel] = "special";
    }
  }
  return snap;
}

// Whether any name in the tree looks like a leftover temp file.
bool HasTempFile(const std::string& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (absl::StrContains(e.path().filename().string(), ".tmp")) return true;
  }
  return false;
}

// A refusal: the expected exit code and a one-line message containing
// `what`.
void ExpectRefused(const RunResult& r, int code, const std::string& what) {
  EXPECT_FALSE(r.timed_out) << "hung: " << r.err;
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

class CliFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kModelPath.c_str());
    std::string tmpl = ::testing::TempDir() + "/cli_files.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    model_ = Path("m.bin");
    fs::copy_file(kModelPath, model_);
    fs::copy_file(kTokenizerPath, Path("tok512.bin"));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Compresses the model's one small matrix into `out`.
  void Compress(const std::string& out) {
    const RunResult r =
        Seedlm({"compress", model_, out, "--include", kInclude});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // A tiny Hugging Face checkpoint in `dir`.
  void Synth(const std::string& dir) {
    const RunResult r = Seedlm({"synth", dir, "--arch", "llama", "--dim", "32",
                                "--hidden", "64", "--layers", "1", "--heads",
                                "2", "--vocab", "64", "--dtype", "f32"});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  std::string dir_;
  std::string model_;
};

// `seedlm decompress X X` used to replace X by its decompression.
TEST_F(CliFilesTest, DecompressOntoItsInputIsRefused) {
  const std::string in = Path("x.seedlm");
  Compress(in);
  ASSERT_EQ(::link(in.c_str(), Path("hard").c_str()), 0);
  ASSERT_EQ(::symlink("x.seedlm", Path("soft").c_str()), 0);
  const auto before = Snapshot(dir_);
  for (const char* out : {"x.seedlm", "hard", "soft"}) {
    ExpectRefused(Seedlm({"decompress", in, Path(out)}), 2,
                  "output " + Path(out) + " is the input " + in);
  }
  EXPECT_EQ(Snapshot(dir_), before);
}

// `seedlm compress M M` used to replace the model by the container; so did
// an output that is a hard link to it, its tokenizer, or a file of an input
// checkpoint directory.
TEST_F(CliFilesTest, CompressOntoItsInputIsRefused) {
  const std::string hf = Path("hf");
  Synth(hf);
  ASSERT_EQ(::link(model_.c_str(), Path("hard.bin").c_str()), 0);
  const auto before = Snapshot(dir_);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {model_, model_},
      {model_, Path("hard.bin")},
      {model_, Path("tok512.bin")},
      {hf, hf},
      {hf, hf + "/config.json"},
      {hf, hf + "/model-00001-of-00003.safetensors"}};
  for (const auto& [in, out] : cases) {
    const RunResult r = Seedlm({"compress", in, out, "--include", kInclude});
    ExpectRefused(r, 2, "output " + out + " is the input ");
  }
  EXPECT_EQ(Snapshot(dir_), before);
  // A new file inside the input directory is fine.
  const RunResult r = Seedlm({"compress", hf, hf + "/out.seedlm"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(hf + "/out.seedlm"));
}

// `seedlm compress M model` used to delete the user's model.ckpt (a
// directory or a file) to make its checkpoint there.
TEST_F(CliFilesTest, UsersCheckpointNameIsKept) {
  ASSERT_TRUE(fs::create_directory(Path("model.ckpt")));
  ASSERT_TRUE(WriteFileAtomically(Path("model.ckpt/notes.txt"), "mine").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("file.ckpt"), "my file").ok());
  const auto before = Snapshot(dir_);
  for (const char* out : {"model", "file"}) {
    for (const char* resume : {"--json", "--resume"}) {
      const RunResult r = Seedlm(
          {"compress", model_, Path(out), "--include", kInclude, resume});
      ExpectRefused(r, 1, Path(out) + ".ckpt exists and is not a SeedLM");
    }
  }
  EXPECT_EQ(Snapshot(dir_), before);
}

// Past `ulimit -f` seedlm used to die of SIGXFSZ. Now the write fails, the
// command says so, exits 1 and leaves no output and no temp file (the
// checkpoint of finished tensors stays for --resume).
TEST_F(CliFilesTest, FileSizeLimitIsAnError) {
  const std::string container = Path("x.seedlm");
  Compress(container);
  struct Case {
    const char* blocks;  // ulimit -f, 512-byte blocks (dash)
    std::string args, out;
  };
  const std::string out = Path("out.seedlm");
  const std::vector<Case> cases = {
      // The container (about 1 MB) does not fit; the checkpoint does.
      {"200",
       "compress " + model_ + " " + out + " --include '" + kInclude + "'", out},
      // Not even the checkpoint's manifest fits.
      {"1", "compress " + model_ + " " + out + " --include '" + kInclude + "'",
       out + ".ckpt/manifest.json"},
      {"200", "decompress " + container + " " + Path("y.safetensors"),
       Path("y.safetensors")}};
  for (const Case& c : cases) {
    const RunResult r = RunArgv({"/bin/sh", "-c",
                                 std::string("ulimit -f ") + c.blocks +
                                     "; exec " + kBin + " " + c.args},
                                seconds(30));
    ExpectRefused(r, 1, "cannot write " + c.out + ": File too large");
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(Path("y.safetensors")));
    EXPECT_FALSE(HasTempFile(dir_));
  }
}

// A FIFO given as model, tokenizer, text or config.json used to hang in
// open(); now each is refused at once.
TEST_F(CliFilesTest, FifoInputsAreRefusedWithoutHanging) {
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string hf = Path("hf");
  ASSERT_TRUE(fs::create_directory(hf));
  ASSERT_EQ(::mkfifo((hf + "/config.json").c_str(), 0600), 0);
  const std::string text = Path("text.txt");
  ASSERT_TRUE(WriteFileAtomically(text, "Once upon a time.").ok());
  const std::vector<std::vector<std::string>> cases = {
      {"compress", fifo, Path("o1.seedlm")},
      {"generate", fifo, "--prompt", "hi"},
      {"perplexity", fifo, text},
      {"compress", model_, Path("o2.seedlm"), "--tokenizer", fifo},
      {"perplexity", model_, fifo},
      {"compress", hf, Path("o3.seedlm")},
      {"generate", hf, "--prompt", "hi"}};
  for (const auto& args : cases) {
    const RunResult r = Seedlm(args);
    EXPECT_FALSE(r.timed_out) << args[0] << " " << args[1] << " hung";
    EXPECT_TRUE(r.code == 1 || r.code == 2) << r.code << " " << r.err;
    EXPECT_NE(
        r.err.find(args[0] == "compress" && args[1] == hf ? hf + "/config.json"
                   : args[1] == hf                        ? hf
                                                          : fifo),
        std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// A symlink, a FIFO or a directory at OUT is refused before any work and
// left as it was; the old writer renamed over the first two.
TEST_F(CliFilesTest, NonRegularOutputIsRefusedAndKept) {
  const std::string container = Path("x.seedlm");
  Compress(container);
  ASSERT_TRUE(WriteFileAtomically(Path("target"), "user data").ok());
  ASSERT_EQ(::symlink("target", Path("link").c_str()), 0);
  ASSERT_EQ(::symlink("nowhere", Path("dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  ASSERT_TRUE(fs::create_directory(Path("dir")));
  const auto before = Snapshot(dir_);
  for (const char* name : {"link", "dangling", "fifo", "dir"}) {
    const std::string out = Path(name);
    const std::string what = "output " + out + " exists and is not a regular";
    ExpectRefused(Seedlm({"decompress", container, out}), 2, what);
    ExpectRefused(Seedlm({"compress", model_, out, "--include", kInclude}), 2,
                  what);
  }
  EXPECT_EQ(Snapshot(dir_), before);
}

// Whether process `pid` has a file open under `dir` (a /proc fd link).
bool HasFileOpenUnder(pid_t pid, const std::string& dir) {
  std::error_code ec;
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& e : fs::directory_iterator(fds, ec)) {
    const fs::path target = fs::read_symlink(e.path(), ec);
    if (!ec && absl::StartsWith(target.string(), dir + "/")) return true;
  }
  return false;
}

// SIGKILL while the output is written used to leave "OUT.tmp.<pid>" behind
// for ever; now the file being written has no name until it is complete.
// `synth` writes a 64 MiB first shard into a directory that already holds a
// user's file; it is killed while that shard is open.
TEST_F(CliFilesTest, KillWhileWritingLeavesNothing) {
  const std::string out = Path("synth");
  ASSERT_TRUE(fs::create_directory(out));
  ASSERT_TRUE(WriteFileAtomically(out + "/keep.txt", "mine").ok());
  const auto before = Snapshot(out);
  const std::string real_out = fs::canonical(out).string();  // as /proc shows
  auto child = testing::Subprocess::Start(
      {kBin, "synth", out, "--arch", "llama", "--dim", "1024", "--hidden", "8",
       "--layers", "1", "--heads", "8", "--vocab", "16384", "--dtype", "f32"});
  ASSERT_TRUE(child.ok()) << child.status();
  bool open_seen = false;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    open_seen = HasFileOpenUnder((*child)->pid(), real_out);
    if (open_seen || (*child)->Wait(std::chrono::milliseconds(0)).ok()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  (*child)->Kill(SIGKILL);
  auto ended = (*child)->Wait(seconds(30));
  ASSERT_TRUE(ended.ok()) << ended.status();
  ASSERT_TRUE(open_seen) << "never saw the output open";
  ASSERT_EQ(ended->signal, SIGKILL) << "synth finished before the kill";
  EXPECT_EQ(Snapshot(out), before);
}

}  // namespace
}  // namespace seedlm
