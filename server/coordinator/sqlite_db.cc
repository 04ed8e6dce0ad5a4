#include "server/coordinator/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace seedlm::coordinator {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view op) {
  // sqlite3_errmsg describes the connection's most recent error, which is
  // `rc` when the caller reports it at once; fall back to the generic text.
  const char* msg = db != nullptr && sqlite3_extended_errcode(db) == rc
                        ? sqlite3_errmsg(db)
                        : sqlite3_errstr(rc);
  std::string text = absl::StrCat(op, ": ", msg, " (SQLite error ", rc, ")");
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(text);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(text);
    default:
      return absl::InternalError(text);
  }
}

bool IsConstraint(int rc) { return (rc & 0xff) == SQLITE_CONSTRAINT; }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      op_(std::move(other.op_)),
      bind_status_(std::move(other.bind_status_)),
      last_rc_(other.last_rc_) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

void SqliteStatement::NoteBind(int rc) {
  if (rc == SQLITE_OK || !bind_status_.ok()) return;
  last_rc_ = rc;
  bind_status_ = SqliteError(db_, rc, absl::StrCat(op_, " (bind)"));
}

SqliteStatement& SqliteStatement::BindText(int i, absl::string_view v) {
  NoteBind(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(int i, absl::string_view v) {
  // A zero-length blob still binds a (non-NULL) empty blob.
  NoteBind(sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : v.data(), v.size(),
                               SQLITE_TRANSIENT));
  return *this;
}

SqliteStatement& SqliteStatement::BindInt(int i, int64_t v) {
  NoteBind(sqlite3_bind_int64(stmt_, i, v));
  return *this;
}

SqliteStatement& SqliteStatement::BindDouble(int i, double v) {
  NoteBind(sqlite3_bind_double(stmt_, i, v));
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_rc_ = rc;
  absl::Status status = SqliteError(db_, rc, op_);
  sqlite3_reset(stmt_);
  return status;
}

absl::Status SqliteStatement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

std::string SqliteStatement::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), n);
}

std::string SqliteStatement::ColumnBlob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p == nullptr ? std::string()
                      : std::string(static_cast<const char*>(p), n);
}

int64_t SqliteStatement::ColumnInt(int i) const {
  return sqlite3_column_int64(stmt_, i);
}

double SqliteStatement::ColumnDouble(int i) const {
  return sqlite3_column_double(stmt_, i);
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(absl::string_view sql,
                                                  absl::string_view op) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(
      db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db_, rc, absl::StrCat(op, " (prepare)"));
  }
  return SqliteStatement(db_, stmt, std::string(op));
}

absl::Status SqliteDb::Exec(const char* sql, absl::string_view op) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, rc, op);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

}  // namespace seedlm::coordinator
