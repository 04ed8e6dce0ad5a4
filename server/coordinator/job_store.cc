#include "server/coordinator/job_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "server/coordinator/sqlite_db.h"
#include "server/coordinator/state_dir.h"

namespace seedlm::coordinator {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  request_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  spec BLOB NOT NULL,
  phase INTEGER NOT NULL,
  error TEXT NOT NULL,
  model_path TEXT NOT NULL,
  tokenizer_path TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  input_sha256 TEXT NOT NULL,
  result_path TEXT NOT NULL,
  result_size INTEGER NOT NULL,
  result_sha256 TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  blocks_total INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_by_request ON jobs (owner, request_id)
  WHERE request_id <> '';
CREATE INDEX jobs_by_time ON jobs (create_time, id);
CREATE TABLE units (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  unit INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  bias INTEGER NOT NULL,
  sq_error REAL NOT NULL,
  sq_norm REAL NOT NULL,
  payload_bytes INTEGER NOT NULL,
  payload_crc32 INTEGER NOT NULL,
  worker TEXT NOT NULL,
  finish_time INTEGER NOT NULL,
  PRIMARY KEY (job_id, unit)
) WITHOUT ROWID;
CREATE TABLE uploads (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  complete INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  create_time INTEGER NOT NULL
);
PRAGMA user_version = 1;
)sql";

// Column lists; the numbered parameters of the INSERT and UPDATE statements
// follow the same order, so one Bind*() serves both.
constexpr char kJobColumns[] =
    "id, owner, request_id, display_name, spec, phase, error, model_path, "
    "tokenizer_path, upload_id, input_sha256, result_path, result_size, "
    "result_sha256, create_time, update_time, blocks_total";
constexpr char kUploadColumns[] =
    "id, owner, complete, size_bytes, sha256, create_time";

void BindJob(SqliteStatement& s, const JobRecord& j) {
  s.BindText(1, j.id).BindText(2, j.owner).BindText(3, j.request_id);
  s.BindText(4, j.display_name).BindBlob(5, j.spec);
  s.BindInt(6, static_cast<int>(j.phase)).BindText(7, j.error);
  s.BindText(8, j.model_path).BindText(9, j.tokenizer_path);
  s.BindText(10, j.upload_id).BindText(11, j.input_sha256);
  s.BindText(12, j.result_path).BindUint64(13, j.result_size);
  s.BindText(14, j.result_sha256).BindInt(15, j.create_time);
  s.BindInt(16, j.update_time).BindInt(17, j.blocks_total);
}

JobRecord ReadJob(const SqliteStatement& s) {
  JobRecord j;
  j.id = s.ColumnText(0);
  j.owner = s.ColumnText(1);
  j.request_id = s.ColumnText(2);
  j.display_name = s.ColumnText(3);
  j.spec = s.ColumnBlob(4);
  j.phase = static_cast<JobPhase>(s.ColumnInt(5));
  j.error = s.ColumnText(6);
  j.model_path = s.ColumnText(7);
  j.tokenizer_path = s.ColumnText(8);
  j.upload_id = s.ColumnText(9);
  j.input_sha256 = s.ColumnText(10);
  j.result_path = s.ColumnText(11);
  j.result_size = s.ColumnUint64(12);
  j.result_sha256 = s.ColumnText(13);
  j.create_time = s.ColumnInt(14);
  j.update_time = s.ColumnInt(15);
  j.blocks_total = s.ColumnInt(16);
  return j;
}

void BindUpload(SqliteStatement& s, const UploadRecord& u) {
  s.BindText(1, u.id).BindText(2, u.owner).BindInt(3, u.complete ? 1 : 0);
  s.BindUint64(4, u.size_bytes).BindText(5, u.sha256);
  s.BindInt(6, u.create_time);
}

UploadRecord ReadUpload(const SqliteStatement& s) {
  UploadRecord u;
  u.id = s.ColumnText(0);
  u.owner = s.ColumnText(1);
  u.complete = s.ColumnInt(2) != 0;
  u.size_bytes = s.ColumnUint64(3);
  u.sha256 = s.ColumnText(4);
  u.create_time = s.ColumnInt(5);
  return u;
}

absl::Status ValidateJob(const JobRecord& job) {
  RETURN_IF_ERROR(ValidateId(job.id, "job id"));
  if (!job.upload_id.empty()) {
    RETURN_IF_ERROR(ValidateId(job.upload_id, "upload id"));
  }
  const int phase = static_cast<int>(job.phase);
  if (phase < static_cast<int>(JobPhase::kQueued) ||
      phase > static_cast<int>(JobPhase::kCancelled)) {
    return absl::InvalidArgumentError(
        absl::StrCat("job ", job.id, ": invalid phase ", phase));
  }
  return absl::OkStatus();
}

// The status for a failed INSERT/UPDATE of a job: constraint violations
// become ALREADY_EXISTS (the id, or the owner's request id, is taken).
absl::Status JobWriteError(const SqliteStatement& s, absl::Status status,
                           const JobRecord& job) {
  if (s.last_rc() == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return absl::AlreadyExistsError(
        absl::StrCat("job ", job.id, " already exists"));
  }
  if (s.last_rc() == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(
        absl::StrCat("owner \"", job.owner, "\" already has a job for request ",
                     "id \"", job.request_id, "\""));
  }
  return status;
}

}  // namespace

absl::Status ValidateId(absl::string_view id, absl::string_view what) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " \"", id.substr(0, 80), "\" is invalid: it must ", "have 1 to ",
        kMaxIdLength, " characters, not ", id.size()));
  }
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " \"", id, "\" is invalid: only letters, digits, ",
                       "'_' and '-' are allowed"));
    }
  }
  return absl::OkStatus();
}

bool IsTerminal(JobPhase p) {
  return p == JobPhase::kSucceeded || p == JobPhase::kFailed ||
         p == JobPhase::kCancelled;
}

JobStore::JobStore(std::string dir, int lock_fd, std::unique_ptr<SqliteDb> db)
    : dir_(std::move(dir)), lock_fd_(lock_fd), db_(std::move(db)) {}

JobStore::~JobStore() {
  {
    MutexLock lock(&mu_);
    db_.reset();  // closes the database before the directory is unlocked
  }
  ::close(lock_fd_);  // releases the flock
}

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(
    const std::string& state_dir) {
  if (state_dir.empty()) {
    return absl::InvalidArgumentError("the state directory must be named");
  }
  std::string dir = state_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(const int lock_fd, LockStateDir(dir));
  // From here on the lock is owned by the store (or closed on failure).
  std::unique_ptr<JobStore> store;
  absl::Status status = [&]() -> absl::Status {
    for (const char* sub : {"/units", "/uploads", "/results"}) {
      RETURN_IF_ERROR(MakeDir(dir + sub));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                     SqliteDb::Open(dir + "/state.db"));
    store.reset(new JobStore(dir, lock_fd, std::move(db)));
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    ::close(lock_fd);
    return status;
  }
  MutexLock lock(&store->mu_);
  status = store->InitSchema();
  if (absl::IsDataLoss(status)) {
    return absl::DataLossError(absl::StrCat(
        dir,
        "/state.db is corrupt or not a SQLite database: ", status.message()));
  }
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(store->RemoveLeftovers());
  return store;
}

absl::Status JobStore::InitSchema() {
  SqliteDb& db = *db_;
  if (sqlite3_busy_timeout(db.handle(), 5000) != SQLITE_OK) {
    return absl::InternalError("cannot set the SQLite busy timeout");
  }
  {
    ASSIGN_OR_RETURN(SqliteStatement wal,
                     db.Prepare("PRAGMA journal_mode=WAL", "enable WAL"));
    ASSIGN_OR_RETURN(const bool row, wal.Step());
    if (!row || wal.ColumnText(0) != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot put ", dir_, "/state.db in WAL mode (got \"",
                       row ? wal.ColumnText(0) : "", "\")"));
    }
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL", "set synchronous=FULL"));
  RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON", "enable foreign keys"));
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", "begin schema transaction"));
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(SqliteStatement get,
                     db.Prepare("PRAGMA user_version", "read user_version"));
    ASSIGN_OR_RETURN(const bool row, get.Step());
    const int64_t version = row ? get.ColumnInt(0) : 0;
    if (version > kJobStoreSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir_, "/state.db has schema version ", version,
                       ", newer than this build's ", kJobStoreSchemaVersion,
                       "; run a newer seedlm-coordinator"));
    }
    if (version == 0) RETURN_IF_ERROR(db.Exec(kSchema, "create the schema"));
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    (void)db.Exec("ROLLBACK", "roll back the schema transaction");
    return status;
  }
  return db.Exec("COMMIT", "commit the schema");
}

absl::Status JobStore::RemoveLeftovers() {
  StateDirContents keep;
  {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_->Prepare("SELECT id FROM jobs", "list job ids"));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      keep.jobs.insert(s.ColumnText(0));
    }
  }
  {
    ASSIGN_OR_RETURN(
        SqliteStatement s,
        db_->Prepare("SELECT job_id, unit FROM units WHERE kind = 1",
                     "list unit payloads"));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      keep.unit_files[s.ColumnText(0)].insert(
          absl::StrCat(s.ColumnInt(1), ".bin"));
    }
  }
  {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_->Prepare("SELECT id FROM uploads", "list upload ids"));
    while (true) {
      ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      keep.uploads.insert(s.ColumnText(0));
    }
  }
  return RemoveUnreferenced(dir_, keep);
}

std::string JobStore::UnitPayloadPath(const std::string& job_id,
                                      int64_t unit) const {
  return absl::StrCat(dir_, "/units/", job_id, "/", unit, ".bin");
}

std::string JobStore::UploadDir(const std::string& id) const {
  return absl::StrCat(dir_, "/uploads/", id);
}

std::string JobStore::ResultPath(const std::string& job_id) const {
  return absl::StrCat(dir_, "/results/", job_id, ".seedlm");
}

absl::Status JobStore::CreateJob(const JobRecord& job) {
  RETURN_IF_ERROR(ValidateJob(job));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(absl::StrCat("INSERT INTO jobs (", kJobColumns,
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
                   absl::StrCat("insert job ", job.id)));
  BindJob(s, job);
  absl::Status status = s.Run();
  return status.ok() ? status : JobWriteError(s, std::move(status), job);
}

absl::StatusOr<JobRecord> JobStore::GetJob(const std::string& id) const {
  RETURN_IF_ERROR(ValidateId(id, "job id"));
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                             " FROM jobs WHERE id = ?1"),
                                absl::StrCat("read job ", id)));
  s.BindText(1, id);
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no job ", id));
  return ReadJob(s);
}

absl::StatusOr<std::optional<JobRecord>> JobStore::FindByRequestId(
    const std::string& owner, const std::string& request_id) const {
  if (request_id.empty()) return std::optional<JobRecord>();
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                " FROM jobs WHERE owner = ?1 AND "
                                "request_id = ?2 AND request_id <> ''"),
                   "find job by request id"));
  s.BindText(1, owner).BindText(2, request_id);
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return std::optional<JobRecord>();
  return std::optional<JobRecord>(ReadJob(s));
}

absl::StatusOr<std::vector<JobRecord>> JobStore::ListJobs() const {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(
          absl::StrCat("SELECT ", kJobColumns,
                       " FROM jobs ORDER BY create_time DESC, id DESC"),
          "list jobs"));
  std::vector<JobRecord> jobs;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return jobs;
    jobs.push_back(ReadJob(s));
  }
}

absl::Status JobStore::UpdateJob(const JobRecord& job) {
  RETURN_IF_ERROR(ValidateJob(job));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(
          "UPDATE jobs SET owner = ?2, request_id = ?3, display_name = ?4, "
          "spec = ?5, phase = ?6, error = ?7, model_path = ?8, "
          "tokenizer_path = ?9, upload_id = ?10, input_sha256 = ?11, "
          "result_path = ?12, result_size = ?13, result_sha256 = ?14, "
          "create_time = ?15, update_time = ?16, blocks_total = ?17 "
          "WHERE id = ?1",
          absl::StrCat("update job ", job.id)));
  BindJob(s, job);
  absl::Status status = s.Run();
  if (!status.ok()) return JobWriteError(s, std::move(status), job);
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("no job ", job.id));
  }
  return absl::OkStatus();
}

absl::Status JobStore::DeleteJob(const std::string& id) {
  RETURN_IF_ERROR(ValidateId(id, "job id"));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  mu_.Await([this, &id]()
                ABSL_NO_THREAD_SAFETY_ANALYSIS { return !Recording(id); });
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("DELETE FROM jobs WHERE id = ?1",
                                absl::StrCat("delete job ", id)));
  s.BindText(1, id);
  RETURN_IF_ERROR(s.Run());  // its units go with it (ON DELETE CASCADE)
  if (db_->changes() == 0)
    return absl::NotFoundError(absl::StrCat("no job ", id));
  RETURN_IF_ERROR(RemoveTree(absl::StrCat(dir_, "/units/", id)));
  return RemoveTree(ResultPath(id));
}

absl::Status JobStore::CreateUpload(const UploadRecord& up) {
  RETURN_IF_ERROR(ValidateId(up.id, "upload id"));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  {
    ASSIGN_OR_RETURN(SqliteStatement s,
                     db_->Prepare("SELECT 1 FROM uploads WHERE id = ?1",
                                  absl::StrCat("look up upload ", up.id)));
    s.BindText(1, up.id);
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (row) {
      return absl::AlreadyExistsError(
          absl::StrCat("upload ", up.id, " already exists"));
    }
  }
  // No row, so Open removed any old directory of that name.
  RETURN_IF_ERROR(MakeDir(UploadDir(up.id)));
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(absl::StrCat("INSERT INTO uploads (", kUploadColumns,
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                   absl::StrCat("insert upload ", up.id)));
  BindUpload(s, up);
  absl::Status status = s.Run();
  if (!status.ok()) (void)RemoveTree(UploadDir(up.id));
  return status;
}

absl::StatusOr<UploadRecord> JobStore::GetUpload(const std::string& id) const {
  RETURN_IF_ERROR(ValidateId(id, "upload id"));
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare(absl::StrCat("SELECT ", kUploadColumns,
                                             " FROM uploads WHERE id = ?1"),
                                absl::StrCat("read upload ", id)));
  s.BindText(1, id);
  ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no upload ", id));
  return ReadUpload(s);
}

absl::Status JobStore::UpdateUpload(const UploadRecord& up) {
  RETURN_IF_ERROR(ValidateId(up.id, "upload id"));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare("UPDATE uploads SET owner = ?2, complete = ?3, "
                   "size_bytes = ?4, sha256 = ?5, create_time = ?6 "
                   "WHERE id = ?1",
                   absl::StrCat("update upload ", up.id)));
  BindUpload(s, up);
  RETURN_IF_ERROR(s.Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("no upload ", up.id));
  }
  return absl::OkStatus();
}

absl::Status JobStore::DeleteUpload(const std::string& id) {
  RETURN_IF_ERROR(ValidateId(id, "upload id"));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("DELETE FROM uploads WHERE id = ?1",
                                absl::StrCat("delete upload ", id)));
  s.BindText(1, id);
  RETURN_IF_ERROR(s.Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("no upload ", id));
  }
  return RemoveTree(UploadDir(id));
}

absl::StatusOr<std::vector<UploadRecord>> JobStore::ListUploads() const {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(absl::StrCat("SELECT ", kUploadColumns,
                                " FROM uploads ORDER BY create_time, id"),
                   "list uploads"));
  std::vector<UploadRecord> uploads;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return uploads;
    uploads.push_back(ReadUpload(s));
  }
}

}  // namespace seedlm::coordinator
