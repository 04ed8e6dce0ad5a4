// A thin RAII layer over SQLite's C API for the coordinator's job store:
// one connection (SqliteDb) and its prepared statements (SqliteStatement),
// with every SQLite error turned into an absl::Status that names the
// operation and sqlite3_errmsg. Values are only ever bound as parameters,
// never spliced into SQL text.
//
// Error codes (SqliteError): SQLITE_CORRUPT / SQLITE_NOTADB -> DATA_LOSS,
// SQLITE_FULL -> RESOURCE_EXHAUSTED, anything else -> INTERNAL. The primary
// and extended result codes stay available (SqliteStatement::last_rc) so that
// callers can recognise constraint violations.
//
// Thread-safety: none. A connection and its statements are used by one
// thread at a time (the job store guards them with its mutex); connections
// are opened with SQLITE_OPEN_NOMUTEX.
#ifndef SEEDLM_SERVER_COORDINATOR_SQLITE_DB_H_
#define SEEDLM_SERVER_COORDINATOR_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace seedlm::coordinator {

// The status for SQLite result code `rc` (primary or extended) from `db`
// (may be null): "<op>: <sqlite3_errmsg> (SQLite error <rc>)".
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view op);

// True when `rc` (primary or extended) is a constraint violation.
bool IsConstraint(int rc);

// A prepared statement. Bind*() errors are sticky: the first one is
// returned by the next Step()/Run() and the statement does not execute.
// Owns its sqlite3_stmt (finalized on destruction). Movable.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based. Strings and blobs are copied (SQLITE_TRANSIENT).
  SqliteStatement& BindText(int i, absl::string_view v);
  SqliteStatement& BindBlob(int i, absl::string_view v);
  SqliteStatement& BindInt(int i, int64_t v);
  // Stored as the same 64 bits in a signed INTEGER column (read back with
  // ColumnUint64).
  SqliteStatement& BindUint64(int i, uint64_t v) {
    return BindInt(i, static_cast<int64_t>(v));
  }
  SqliteStatement& BindDouble(int i, double v);

  // One step: true when a row is available, false when the statement is
  // done. Errors name the statement's operation.
  absl::StatusOr<bool> Step();
  // Steps until done (rows, if any, are skipped).
  absl::Status Run();
  // The result code of the last failing bind or step (SQLITE_OK if none),
  // extended.
  int last_rc() const { return last_rc_; }

  // Columns are 0-based; a NULL reads as empty / 0.
  std::string ColumnText(int i) const;
  std::string ColumnBlob(int i) const;
  int64_t ColumnInt(int i) const;
  uint64_t ColumnUint64(int i) const {
    return static_cast<uint64_t>(ColumnInt(i));
  }
  double ColumnDouble(int i) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string op)
      : db_(db), stmt_(stmt), op_(std::move(op)) {}
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string op_;  // what the statement does, for error messages
  absl::Status bind_status_;
  int last_rc_ = 0;
};

// One connection. Closed (sqlite3_close_v2) on destruction.
class SqliteDb {
 public:
  // Opens or creates the database file `path` (read-write, NOMUTEX,
  // extended result codes on). Opening does not read the file: a file that
  // is not a database fails (DATA_LOSS) on its first statement.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Prepares one statement; `op` names it in error messages ("insert job").
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql,
                                          absl::string_view op);
  // Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT).
  absl::Status Exec(const char* sql, absl::string_view op);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_SQLITE_DB_H_
