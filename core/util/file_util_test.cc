// Hostile paths for file_util: special files at inputs and outputs, the
// unnamed temp file, and writes past the file-size limit.
#include "core/util/file_util.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

namespace fs = std::filesystem;

// A fresh empty directory under the test temp dir, removed afterwards.
class FileUtilPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/file_util_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::set<std::string> Entries() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  std::string dir_;
};

// Every read of a FIFO is refused (without blocking: see below).
bool FifoReadsAreRefused(const std::string& fifo) {
  const auto text = ReadFileToString(fifo, 100);
  const auto map = MappedFile::Open(fifo);
  char head[4];
  const auto n = ReadFileHead(fifo, head, sizeof(head));
  return text.status().code() == absl::StatusCode::kInvalidArgument &&
         map.status().code() == absl::StatusCode::kInvalidArgument &&
         n.status().code() == absl::StatusCode::kInvalidArgument &&
         text.status().message() == fifo + " is not a regular file (a FIFO)";
}

// Opening a FIFO without a writer used to block in open(): the reads run in
// a child with an alarm, so the old behaviour fails instead of hanging.
TEST_F(FileUtilPathsTest, FifoInputIsRefusedWithoutBlocking) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EXIT(
      {
        ::alarm(10);
        ::_exit(FifoReadsAreRefused(fifo) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(FileUtilPathsTest, DirectoryInputIsRefused) {
  EXPECT_EQ(ReadFileToString(dir_, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenForRead(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileUtilPathsTest, ReadFileHeadReadsAPrefix) {
  ASSERT_TRUE(WriteFileAtomically(Path("f"), "abcdef").ok());
  char buf[16];
  EXPECT_EQ(*ReadFileHead(Path("f"), buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(*ReadFileHead(Path("f"), buf, sizeof(buf)), 6u);
}

// A symlink, FIFO or directory at the output is refused and left alone; the
// old writer renamed over the first two.
TEST_F(FileUtilPathsTest, NonRegularOutputIsRefusedAndKept) {
  ASSERT_TRUE(WriteFileAtomically(Path("target"), "user data").ok());
  ASSERT_EQ(::symlink("target", Path("link").c_str()), 0);
  ASSERT_EQ(::mkfifo(Path("fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir(Path("dir").c_str(), 0700), 0);
  for (const char* name : {"link", "fifo", "dir"}) {
    const absl::Status s = WriteFileAtomically(Path(name), "new");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << name << s;
    EXPECT_NE(s.message().find("exists and is not a regular file"),
              std::string::npos)
        << s;
  }
  EXPECT_TRUE(fs::is_symlink(Path("link")));
  EXPECT_EQ(fs::read_symlink(Path("link")), "target");
  EXPECT_EQ(*ReadFileToString(Path("target"), 100), "user data");
  EXPECT_TRUE(fs::is_fifo(Path("fifo")));
  EXPECT_TRUE(fs::is_directory(Path("dir")));
  EXPECT_EQ(Entries(),
            (std::set<std::string>{"target", "link", "fifo", "dir"}));
}

// Something appearing at the output while it is written is not replaced.
TEST_F(FileUtilPathsTest, CommitRechecksTheOutput) {
  const std::string out = Path("out");
  auto w = AtomicFileWriter::Create(out);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Append("data").ok());
  ASSERT_EQ(::symlink("elsewhere", out.c_str()), 0);
  EXPECT_EQ((*w)->Commit().code(), absl::StatusCode::kInvalidArgument);
  w->reset();
  EXPECT_TRUE(fs::is_symlink(out));
  EXPECT_EQ(Entries(), (std::set<std::string>{"out"}));  // no temp left
}

// While written, the file has no name (O_TMPFILE): a kill leaves nothing.
TEST_F(FileUtilPathsTest, UncommittedWriteHasNoName) {
  {
    auto w = AtomicFileWriter::Create(Path("out"));
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Append(std::string(1 << 16, 'x')).ok());
    EXPECT_TRUE(Entries().empty());
  }
  EXPECT_TRUE(Entries().empty());
  auto w = AtomicFileWriter::Create(Path("out"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("abc").ok());
  ASSERT_TRUE((*w)->Commit().ok());
  EXPECT_EQ(Entries(), (std::set<std::string>{"out"}));
  EXPECT_EQ(*ReadFileToString(Path("out"), 10), "abc");
}

// Under a 4 KiB RLIMIT_FSIZE, writing 12 KiB fails with EFBIG, names the
// output and leaves no file; SIGXFSZ keeps its disposition and is not left
// pending.
bool WriteOverFileSizeLimitFails(const std::string& out) {
  struct rlimit lim;
  lim.rlim_cur = lim.rlim_max = 4096;
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return false;
  const absl::Status s = WriteFileAtomically(out, std::string(3 * 4096, 'x'));
  struct sigaction sa;
  ::sigaction(SIGXFSZ, nullptr, &sa);
  sigset_t pending;
  ::sigpending(&pending);
  return s.code() == absl::StatusCode::kResourceExhausted &&
         s.message() == "cannot write " + out + ": File too large" &&
         !fs::exists(out) && fs::is_empty(fs::path(out).parent_path()) &&
         sa.sa_handler == SIG_DFL && !sigismember(&pending, SIGXFSZ);
}

// The old writer died of SIGXFSZ here (in the child: the limit stays there).
TEST_F(FileUtilPathsTest, FileSizeLimitIsAnErrorNotASignal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string out = Path("out");
  EXPECT_EXIT(::_exit(WriteOverFileSizeLimitFails(out) ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

TEST(FileUtilTest, ErrnoCodes) {
  EXPECT_EQ(ErrnoToStatus(EFBIG, "cannot write", "x").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "cannot write", "x").code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace seedlm
