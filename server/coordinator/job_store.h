// The coordinator's durable job store (RPC-free): jobs, their finished work
// units and model uploads in an embedded SQLite database, plus the files the
// records refer to, all under one state directory:
//
//   state_dir/state.db          SQLite, WAL, synchronous=FULL, user_version 1
//   state_dir/LOCK              flock()ed while a JobStore has the dir open
//   state_dir/units/<job>/<unit>.bin   a finished unit's packed payload
//   state_dir/uploads/<upload>/        an upload's files (the caller's)
//   state_dir/results/<job>.seedlm     a job's output container
//
// Durability: every mutating method is one SQLite transaction, committed
// (and the WAL fsynced) before it returns OK; a unit's payload file is
// written atomically and fsynced before its row is inserted. So after a
// SIGKILL (or a power loss) and a reopen, everything a method returned OK for
// is there, and a unit row always has its file. A crash may leave files
// without a row (a payload written but not recorded, a directory whose row
// was deleted): Open removes such leftovers under units/, uploads/ and
// results/, which therefore belong to the store alone.
//
// Ids (job, upload) are chosen by the caller and become file names: 1..64
// characters of [A-Za-z0-9_-] (ValidateId), INVALID_ARGUMENT otherwise.
//
// Errors: every SQLite failure is an absl::Status naming the operation and
// SQLite's message: DATA_LOSS for a corrupt database or a file that is not
// one, RESOURCE_EXHAUSTED for a full disk, INTERNAL otherwise. File errors
// come from core/util/file_util.h.
//
// Thread-safety: all methods may be called from any thread. One connection
// serves them, guarded by a mutex; a unit's payload file is written outside
// the mutex, so concurrent RecordUnit calls write their files in parallel.
// Only one JobStore (in any process) may have a state directory open.
#ifndef SEEDLM_SERVER_COORDINATOR_JOB_STORE_H_
#define SEEDLM_SERVER_COORDINATOR_JOB_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/util/mutex.h"

namespace seedlm::coordinator {

class SqliteDb;

// The schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kJobStoreSchemaVersion = 1;
// The longest id ValidateId accepts.
inline constexpr size_t kMaxIdLength = 64;

// OK when `id` is 1..kMaxIdLength characters of [A-Za-z0-9_-]; otherwise
// INVALID_ARGUMENT "<what> "<id>" is invalid: ...".
absl::Status ValidateId(absl::string_view id, absl::string_view what);

enum class JobPhase : int {
  kQueued = 1,
  kRunning = 2,
  kAssembling = 3,
  kSucceeded = 4,
  kFailed = 5,
  kCancelled = 6
};
// Succeeded, failed or cancelled.
bool IsTerminal(JobPhase p);

struct JobRecord {
  std::string id;          // primary key
  std::string owner;       // principal name ("" when auth is off)
  std::string request_id;  // client idempotency key ("" = none)
  std::string display_name;
  std::string spec;  // opaque bytes (the coordinator's serialized request)
  JobPhase phase = JobPhase::kQueued;
  std::string error;       // kFailed: why
  std::string model_path;  // resolved absolute path of the model
  std::string tokenizer_path;
  std::string upload_id;  // "" unless the model was uploaded
  std::string input_sha256;
  std::string result_path;  // kSucceeded: the output file
  uint64_t result_size = 0;
  std::string result_sha256;
  int64_t create_time = 0;  // unix seconds
  int64_t update_time = 0;
  int64_t blocks_total = 0;  // blocks of the plan, once planned
};

struct UnitRecord {  // a finished unit; primary key (job_id, unit)
  std::string job_id;
  int64_t unit = 0;  // index into the job's plan units
  int kind = 0;  // 0 = choose bias, 1 = compress rows (core UnitKind values)
  int bias = 0;  // kind 0: the chosen bias
  double sq_error = 0, sq_norm = 0;  // kind 1
  uint64_t payload_bytes = 0;        // kind 1
  uint32_t payload_crc32 = 0;        // kind 1
  std::string worker;                // who computed it (for logs)
  int64_t finish_time = 0;
};

struct UploadRecord {  // primary key id
  std::string id, owner;
  bool complete = false;
  uint64_t size_bytes = 0;
  std::string sha256;  // of the manifest (the coordinator decides what)
  int64_t create_time = 0;
};

class JobStore {
 public:
  // Opens (creating if needed, mode 0700, parents included) `state_dir`, its
  // database `state_dir/state.db` and the directories units/, uploads/,
  // results/, then removes leftovers that no record refers to (see above).
  // Errors: FAILED_PRECONDITION when another JobStore has the directory open
  // or the database's schema is newer than kJobStoreSchemaVersion (or WAL
  // cannot be enabled); DATA_LOSS "<path> is corrupt or not a SQLite
  // database: ..." for a damaged state.db; INVALID_ARGUMENT for an empty
  // path; file errors (PERMISSION_DENIED, ...) for the directories.
  static absl::StatusOr<std::unique_ptr<JobStore>> Open(
      const std::string& state_dir);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  const std::string& dir() const { return dir_; }

  // Called with the duration of every write transaction (each write below
  // is one SQLite transaction), e.g. to feed a latency histogram. REQUIRES:
  // set before the store is shared between threads; `observer` is
  // thread-safe.
  void SetTransactionObserver(std::function<void(absl::Duration)> observer) {
    tx_observer_ = std::move(observer);
  }

  // Inserts a job. ALREADY_EXISTS for a used id, or when `job.owner` already
  // has a job with the same non-empty `request_id` (FindByRequestId then
  // returns it). INVALID_ARGUMENT for a bad id or upload_id.
  absl::Status CreateJob(const JobRecord& job);
  // NOT_FOUND for an unknown id.
  absl::StatusOr<JobRecord> GetJob(const std::string& id) const;
  // The job `owner` created with `request_id`, or nullopt (always nullopt
  // for an empty request_id).
  absl::StatusOr<std::optional<JobRecord>> FindByRequestId(
      const std::string& owner, const std::string& request_id) const;
  // Every job, newest first: create_time descending, then id descending.
  absl::StatusOr<std::vector<JobRecord>> ListJobs() const;
  // Replaces the row with `job.id` (every field). NOT_FOUND for an unknown
  // id; ALREADY_EXISTS when the new (owner, request_id) is another job's.
  absl::Status UpdateJob(const JobRecord& job);
  // Deletes the job and its unit records (one transaction), then its unit
  // payload directory units/<job_id>/ and its result ResultPath(id). Waits
  // for RecordUnit calls of the job that are writing their payloads.
  // NOT_FOUND for an unknown id.
  absl::Status DeleteJob(const std::string& id);

  // Unit payload files: units/<job_id>/<unit>.bin. REQUIRES: a valid id.
  std::string UnitPayloadPath(const std::string& job_id, int64_t unit) const;
  // Records a finished unit. For kind 1, first checks payload.size() ==
  // rec.payload_bytes and Crc32(payload) == rec.payload_crc32
  // (INVALID_ARGUMENT otherwise), writes `payload` to UnitPayloadPath
  // atomically (fsynced, renamed into place), then inserts the row. Kind 0
  // takes no payload (INVALID_ARGUMENT if given one, or payload_bytes != 0).
  // ALREADY_EXISTS when the unit is already recorded or another call is
  // recording it right now (the existing file is left untouched: a unit is
  // never written twice). NOT_FOUND for an unknown job; INVALID_ARGUMENT for
  // a bad job id, a negative unit or a kind other than 0 and 1. On failure
  // nothing is recorded.
  absl::Status RecordUnit(const UnitRecord& rec,
                          absl::Span<const uint8_t> payload);
  // The job's unit records in unit order (empty for an unknown job).
  absl::StatusOr<std::vector<UnitRecord>> ListUnits(
      const std::string& job_id) const;
  // Deletes one unit record, then its file (a unit that failed verification
  // after a restart, or whose file is missing or corrupt). NOT_FOUND when
  // the unit is not recorded.
  absl::Status DeleteUnit(const std::string& job_id, int64_t unit);
  // Reads a kind-1 unit's payload file back and checks its size and CRC
  // against `rec` (DATA_LOSS on a mismatch or a missing file). Kind 0 units
  // have no payload: an empty vector. Does not consult the database.
  absl::StatusOr<std::vector<uint8_t>> ReadUnitPayload(
      const UnitRecord& rec) const;

  // Inserts an upload and creates UploadDir(up.id). ALREADY_EXISTS for a
  // used id.
  absl::Status CreateUpload(const UploadRecord& up);
  // NOT_FOUND for an unknown id.
  absl::StatusOr<UploadRecord> GetUpload(const std::string& id) const;
  // Replaces the row with `up.id`. NOT_FOUND for an unknown id.
  absl::Status UpdateUpload(const UploadRecord& up);
  // Deletes the row, then the directory uploads/<id>/. NOT_FOUND.
  absl::Status DeleteUpload(const std::string& id);
  // Every upload, oldest first (create_time, then id).
  absl::StatusOr<std::vector<UploadRecord>> ListUploads() const;
  // uploads/<id>. REQUIRES: a valid id.
  std::string UploadDir(const std::string& id) const;
  // results/<job_id>.seedlm. REQUIRES: a valid id.
  std::string ResultPath(const std::string& job_id) const;

 private:
  // Reports its lifetime to the transaction observer.
  class TxTimer {
   public:
    explicit TxTimer(const JobStore* store)
        : store_(store), start_(absl::Now()) {}
    ~TxTimer() {
      if (store_->tx_observer_) store_->tx_observer_(absl::Now() - start_);
    }
    TxTimer(const TxTimer&) = delete;
    TxTimer& operator=(const TxTimer&) = delete;

   private:
    const JobStore* const store_;
    const absl::Time start_;
  };

  JobStore(std::string dir, int lock_fd, std::unique_ptr<SqliteDb> db);
  absl::Status InitSchema() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RemoveLeftovers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> JobExists(const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> UnitExists(const std::string& job_id, int64_t unit) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InsertUnitRow(const UnitRecord& rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Recording(const std::string& job_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const int lock_fd_;  // holds the flock on dir_/LOCK
  mutable Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  // Units whose payload RecordUnit is writing outside the mutex.
  std::set<std::pair<std::string, int64_t>> recording_ ABSL_GUARDED_BY(mu_);
  std::function<void(absl::Duration)> tx_observer_;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_JOB_STORE_H_
