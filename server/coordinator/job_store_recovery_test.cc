// The job store across crashes, reopens and concurrent callers: reopening
// keeps everything, a SIGKILL loses nothing acknowledged, a damaged or newer
// database is refused, leftovers are swept, parallel RecordUnit calls land.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/coordinator/job_store.h"
#include "server/coordinator/job_store_test_util.h"

namespace seedlm::coordinator {
namespace {

namespace fs = std::filesystem;

TEST_F(JobStoreTest, ReopenKeepsEverything) {
  const std::vector<uint8_t> p = Bytes(4096, 9);
  const UnitRecord u = MakeUnit("keep", 5, p);
  JobRecord job = MakeJob("keep");
  job.request_id = "req";
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateJob(job).ok());
    ASSERT_TRUE(store->RecordUnit(u, p).ok());
    ASSERT_TRUE(store->CreateUpload({"u", "alice", true, 7, "x", 1}).ok());
    // Only one store may have the directory open.
    EXPECT_EQ(JobStore::Open(dir_).status().code(),
              absl::StatusCode::kFailedPrecondition);
    std::ofstream(store->ResultPath("keep")) << "container";
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ExpectJobEq(*store->GetJob("keep"), job);
  absl::StatusOr<std::vector<UnitRecord>> units = store->ListUnits("keep");
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);
  ExpectUnitEq((*units)[0], u);
  EXPECT_EQ(*store->ReadUnitPayload((*units)[0]), p);
  EXPECT_TRUE(store->GetUpload("u")->complete);
  EXPECT_TRUE((*store->FindByRequestId("alice", "req")).has_value());
  EXPECT_EQ(ReadAll(store->ResultPath("keep")), "container");
}

TEST_F(JobStoreTest, GarbageDatabaseIsDataLoss) {
  ASSERT_TRUE(fs::create_directory(dir_));
  std::string garbage(8192, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = char(i * 31 + 7);
  std::ofstream(dir_ + "/state.db", std::ios::binary) << garbage;
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss)
      << store.status();
  EXPECT_NE(store.status().message().find("state.db is corrupt or not a "
                                          "SQLite database"),
            absl::string_view::npos)
      << store.status();
  // The failed open released the directory lock.
  fs::remove(dir_ + "/state.db");
  EXPECT_TRUE(JobStore::Open(dir_).ok());
}

TEST_F(JobStoreTest, WalModeAndNewerSchemaRefused) {
  { ASSERT_NE(OpenStore(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/state.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA user_version = 2", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(dir_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition)
      << store.status();
}

TEST_F(JobStoreTest, OpenRemovesLeftovers) {
  const std::vector<uint8_t> p = Bytes(8, 3);
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
    ASSERT_TRUE(store->RecordUnit(MakeUnit("j", 0, p), p).ok());
    ASSERT_TRUE(store->CreateUpload({"up", "o", false, 0, "", 0}).ok());
    std::ofstream(store->ResultPath("j")) << "r";
  }
  // What a crash between a file write and its row (or a row delete and its
  // files) leaves behind.
  ASSERT_TRUE(fs::create_directories(dir_ + "/units/ghost"));
  std::ofstream(dir_ + "/units/ghost/0.bin") << "x";
  std::ofstream(dir_ + "/units/j/1.bin") << "unrecorded";
  std::ofstream(dir_ + "/units/j/0.bin.tmp.1.0") << "temp";
  ASSERT_TRUE(fs::create_directories(dir_ + "/uploads/ghost"));
  std::ofstream(dir_ + "/results/ghost.seedlm") << "x";
  std::ofstream(dir_ + "/results/j.seedlm.tmp.9.0") << "x";
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(fs::exists(dir_ + "/units/ghost"));
  EXPECT_FALSE(fs::exists(dir_ + "/units/j/1.bin"));
  EXPECT_FALSE(fs::exists(dir_ + "/units/j/0.bin.tmp.1.0"));
  EXPECT_FALSE(fs::exists(dir_ + "/uploads/ghost"));
  EXPECT_FALSE(fs::exists(dir_ + "/results/ghost.seedlm"));
  EXPECT_FALSE(fs::exists(dir_ + "/results/j.seedlm.tmp.9.0"));
  EXPECT_EQ(*store->ReadUnitPayload(store->ListUnits("j")->at(0)), p);
  EXPECT_TRUE(fs::is_directory(store->UploadDir("up")));
  EXPECT_EQ(ReadAll(store->ResultPath("j")), "r");
}

TEST_F(JobStoreTest, ConcurrentRecordUnitOnDistinctUnitsAllLand) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  constexpr int kThreads = 4, kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t unit = int64_t{i} * kThreads + t;
        const std::vector<uint8_t> p = Bytes(100 + unit, unit);
        if (!store->RecordUnit(MakeUnit("j", unit, p), p).ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<std::vector<UnitRecord>> units = store->ListUnits("j");
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), size_t{kThreads * kPerThread});
  for (int64_t u = 0; u < kThreads * kPerThread; ++u) {
    EXPECT_EQ((*units)[u].unit, u);
    EXPECT_EQ(*store->ReadUnitPayload((*units)[u]), Bytes(100 + u, u));
  }
}

TEST_F(JobStoreTest, ConcurrentRecordsOfOneUnitWriteItOnce) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateJob(MakeJob("j")).ok());
  for (int64_t unit = 0; unit < 20; ++unit) {
    std::atomic<int> ok{0}, exists{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        const std::vector<uint8_t> p = Bytes(5000, t);
        const absl::Status s = store->RecordUnit(MakeUnit("j", unit, p), p);
        if (s.ok()) ++ok;
        if (absl::IsAlreadyExists(s)) ++exists;
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(exists.load(), 3);
    const UnitRecord rec = store->ListUnits("j")->at(unit);
    EXPECT_TRUE(store->ReadUnitPayload(rec).ok());  // the winner's bytes
  }
}

// A coordinator SIGKILLed right after RecordUnit returned (and while it
// records more) keeps every unit it acknowledged, each with its file.
TEST_F(JobStoreTest, UnitSurvivesSigkill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child: only async-safe exits from here
    ::close(fds[0]);
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(dir_);
    if (!store.ok()) ::_exit(2);
    if (!(*store)->CreateJob(MakeJob("j")).ok()) ::_exit(3);
    for (int64_t unit = 0; unit < 100000; ++unit) {
      const std::vector<uint8_t> p = Bytes(3000, unit);
      if (!(*store)->RecordUnit(MakeUnit("j", unit, p), p).ok()) ::_exit(4);
      if (unit == 0) {
        const char b = 1;
        if (::write(fds[1], &b, 1) != 1) ::_exit(5);
      }
    }
    ::_exit(6);
  }
  ::close(fds[1]);
  char b = 0;
  const ssize_t n = ::read(fds[0], &b, 1);
  ::close(fds[0]);
  if (n == 1) ::usleep(20000);  // let it get into the next writes
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_EQ(n, 1) << "child exited with "
                  << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->GetJob("j").ok());
  absl::StatusOr<std::vector<UnitRecord>> units = store->ListUnits("j");
  ASSERT_TRUE(units.ok());
  ASSERT_GE(units->size(), 1u);
  for (size_t i = 0; i < units->size(); ++i) {
    EXPECT_EQ((*units)[i].unit, static_cast<int64_t>(i));
    absl::StatusOr<std::vector<uint8_t>> p =
        store->ReadUnitPayload((*units)[i]);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, Bytes(3000, i));
  }
  // Nothing beyond the recorded units is left in the job's directory.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e :
       fs::directory_iterator(dir_ + "/units/j")) {
    ++files;
  }
  EXPECT_EQ(files, units->size());
}

}  // namespace
}  // namespace seedlm::coordinator
