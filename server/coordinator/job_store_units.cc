// JobStore's unit records and their payload files (see job_store.h).
#include <sqlite3.h>

#include <climits>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "server/coordinator/job_store.h"
#include "server/coordinator/sqlite_db.h"
#include "server/coordinator/state_dir.h"

namespace seedlm::coordinator {
namespace {

constexpr char kUnitColumns[] =
    "job_id, unit, kind, bias, sq_error, sq_norm, payload_bytes, "
    "payload_crc32, worker, finish_time";

UnitRecord ReadUnit(const SqliteStatement& s) {
  UnitRecord u;
  u.job_id = s.ColumnText(0);
  u.unit = s.ColumnInt(1);
  u.kind = static_cast<int>(s.ColumnInt(2));
  u.bias = static_cast<int>(s.ColumnInt(3));
  u.sq_error = s.ColumnDouble(4);
  u.sq_norm = s.ColumnDouble(5);
  u.payload_bytes = s.ColumnUint64(6);
  u.payload_crc32 = static_cast<uint32_t>(s.ColumnInt(7));
  u.worker = s.ColumnText(8);
  u.finish_time = s.ColumnInt(9);
  return u;
}

std::string UnitName(const UnitRecord& rec) {
  return absl::StrCat("job ", rec.job_id, " unit ", rec.unit);
}

// The checks RecordUnit makes before touching the store.
absl::Status ValidateUnit(const UnitRecord& rec,
                          absl::Span<const uint8_t> payload) {
  RETURN_IF_ERROR(ValidateId(rec.job_id, "job id"));
  if (rec.unit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(UnitName(rec), ": negative unit index"));
  }
  // SQLite stores NaN as NULL, which the schema refuses.
  if (std::isnan(rec.sq_error) || std::isnan(rec.sq_norm)) {
    return absl::InvalidArgumentError(
        absl::StrCat(UnitName(rec), ": squared error or norm is NaN"));
  }
  if (rec.kind == 0) {
    if (!payload.empty() || rec.payload_bytes != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          UnitName(rec), ": a bias unit (kind 0) carries no payload"));
    }
    return absl::OkStatus();
  }
  if (rec.kind != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(UnitName(rec), ": unknown kind ", rec.kind));
  }
  if (payload.size() != rec.payload_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(UnitName(rec), ": payload has ", payload.size(),
                     " bytes, the record says ", rec.payload_bytes));
  }
  const uint32_t crc = Crc32(payload.data(), payload.size());
  if (crc != rec.payload_crc32) {
    return absl::InvalidArgumentError(
        absl::StrCat(UnitName(rec), ": payload CRC-32 ", crc,
                     " does not match the record's ", rec.payload_crc32));
  }
  return absl::OkStatus();
}

}  // namespace

bool JobStore::Recording(const std::string& job_id) const {
  const auto it = recording_.lower_bound({job_id, INT64_MIN});
  return it != recording_.end() && it->first == job_id;
}

absl::StatusOr<bool> JobStore::JobExists(const std::string& id) const {
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare("SELECT 1 FROM jobs WHERE id = ?1",
                                absl::StrCat("look up job ", id)));
  s.BindText(1, id);
  return s.Step();
}

absl::StatusOr<bool> JobStore::UnitExists(const std::string& job_id,
                                          int64_t unit) const {
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare("SELECT 1 FROM units WHERE job_id = ?1 AND unit = ?2",
                   absl::StrCat("look up job ", job_id, " unit ", unit)));
  s.BindText(1, job_id).BindInt(2, unit);
  return s.Step();
}

absl::Status JobStore::InsertUnitRow(const UnitRecord& rec) {
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare(absl::StrCat("INSERT INTO units (", kUnitColumns,
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                "?10)"),
                   absl::StrCat("insert ", UnitName(rec))));
  s.BindText(1, rec.job_id).BindInt(2, rec.unit).BindInt(3, rec.kind);
  s.BindInt(4, rec.bias).BindDouble(5, rec.sq_error);
  s.BindDouble(6, rec.sq_norm).BindUint64(7, rec.payload_bytes);
  s.BindInt(8, rec.payload_crc32).BindText(9, rec.worker);
  s.BindInt(10, rec.finish_time);
  return s.Run();
}

absl::Status JobStore::RecordUnit(const UnitRecord& rec,
                                  absl::Span<const uint8_t> payload) {
  RETURN_IF_ERROR(ValidateUnit(rec, payload));
  const std::pair<std::string, int64_t> key(rec.job_id, rec.unit);
  {
    MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const bool job, JobExists(rec.job_id));
    if (!job) return absl::NotFoundError(absl::StrCat("no job ", rec.job_id));
    ASSIGN_OR_RETURN(const bool done, UnitExists(rec.job_id, rec.unit));
    if (done || recording_.count(key) != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(UnitName(rec), " is already recorded"));
    }
    recording_.insert(key);  // DeleteJob waits for it to leave
  }
  // The payload is written without the mutex: the reservation above keeps
  // any other call off this file.
  const std::string path = UnitPayloadPath(rec.job_id, rec.unit);
  absl::Status status;
  if (rec.kind == 1) {
    status = MakeDir(absl::StrCat(dir_, "/units/", rec.job_id));
    if (status.ok()) {
      status = WriteFileAtomically(
          path, absl::string_view(reinterpret_cast<const char*>(payload.data()),
                                  payload.size()));
    }
  }
  MutexLock lock(&mu_);
  recording_.erase(key);
  if (status.ok()) {
    TxTimer tx(this);
    status = InsertUnitRow(rec);
  }
  if (!status.ok() && rec.kind == 1) (void)RemoveTree(path);
  return status;
}

absl::StatusOr<std::vector<UnitRecord>> JobStore::ListUnits(
    const std::string& job_id) const {
  RETURN_IF_ERROR(ValidateId(job_id, "job id"));
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(SqliteStatement s,
                   db_->Prepare(absl::StrCat("SELECT ", kUnitColumns,
                                             " FROM units WHERE job_id = ?1 "
                                             "ORDER BY unit"),
                                absl::StrCat("list units of job ", job_id)));
  s.BindText(1, job_id);
  std::vector<UnitRecord> units;
  while (true) {
    ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return units;
    units.push_back(ReadUnit(s));
  }
}

absl::Status JobStore::DeleteUnit(const std::string& job_id, int64_t unit) {
  RETURN_IF_ERROR(ValidateId(job_id, "job id"));
  MutexLock lock(&mu_);
  TxTimer tx(this);
  ASSIGN_OR_RETURN(
      SqliteStatement s,
      db_->Prepare("DELETE FROM units WHERE job_id = ?1 AND unit = ?2",
                   absl::StrCat("delete job ", job_id, " unit ", unit)));
  s.BindText(1, job_id).BindInt(2, unit);
  RETURN_IF_ERROR(s.Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(
        absl::StrCat("job ", job_id, " unit ", unit, " is not recorded"));
  }
  return RemoveTree(UnitPayloadPath(job_id, unit));
}

absl::StatusOr<std::vector<uint8_t>> JobStore::ReadUnitPayload(
    const UnitRecord& rec) const {
  RETURN_IF_ERROR(ValidateId(rec.job_id, "job id"));
  if (rec.kind != 1) return std::vector<uint8_t>();
  const std::string path = UnitPayloadPath(rec.job_id, rec.unit);
  absl::StatusOr<std::string> data = ReadFileToString(path, rec.payload_bytes);
  if (absl::IsNotFound(data.status())) {
    return absl::DataLossError(
        absl::StrCat(UnitName(rec), ": payload file ", path, " is missing"));
  }
  if (absl::IsResourceExhausted(data.status())) {
    return absl::DataLossError(absl::StrCat(
        UnitName(rec), ": payload file ", path, " is larger than the recorded ",
        rec.payload_bytes, " bytes"));
  }
  if (!data.ok()) return data.status();
  if (data->size() != rec.payload_bytes) {
    return absl::DataLossError(absl::StrCat(
        UnitName(rec), ": payload file ", path, " has ", data->size(),
        " bytes, the record says ", rec.payload_bytes));
  }
  const uint32_t crc = Crc32(data->data(), data->size());
  if (crc != rec.payload_crc32) {
    return absl::DataLossError(
        absl::StrCat(UnitName(rec), ": payload file ", path, " has CRC-32 ",
                     crc, ", the record says ", rec.payload_crc32));
  }
  return std::vector<uint8_t>(data->begin(), data->end());
}

}  // namespace seedlm::coordinator
