// File-system helpers for the coordinator's state directory (JobStore):
// durable directory creation, the single-owner lock, tree removal and the
// sweep of leftovers that no store record refers to. RPC- and SQLite-free.
//
// Errors come from core/util/file_util.h's ErrnoToStatus (NOT_FOUND,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNKNOWN) and name the path.
// Thread-safety: the functions share no state; callers serialise work on the
// same paths.
#ifndef SEEDLM_SERVER_COORDINATOR_STATE_DIR_H_
#define SEEDLM_SERVER_COORDINATOR_STATE_DIR_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace seedlm::coordinator {

// Creates directory `path` (mode 0700) if it does not exist; a new one is
// made durable by fsyncing its parent. INVALID_ARGUMENT when `path` exists
// and is not a directory (symlinks to directories are accepted).
absl::Status MakeDir(const std::string& path);
// MakeDir for `path` and every missing ancestor.
absl::Status MakeDirs(const std::string& path);

// Opens `dir`/LOCK (created mode 0600, close-on-exec) and takes an exclusive
// flock on it without waiting; returns the fd, which holds the lock until
// closed (also when the process dies). FAILED_PRECONDITION when another
// open file (in this or another process) holds it.
absl::StatusOr<int> LockStateDir(const std::string& dir);

// Removes `path` and, for a directory, everything under it (symlinks are
// removed, never followed). OK when `path` does not exist.
absl::Status RemoveTree(const std::string& path);

// What the store's records refer to under a state directory.
struct StateDirContents {
  std::set<std::string> jobs;     // job ids
  std::set<std::string> uploads;  // upload ids
  // job id -> the names ("<unit>.bin") of its recorded payload files
  std::map<std::string, std::set<std::string>> unit_files;
};

// Removes what `keep` does not list: units/<x> for no job x and, inside a
// kept job's directory, every entry not in unit_files[job] (payloads written
// but never recorded, temp files); uploads/<x> for no upload x; results/
// entries other than "<job>.seedlm" of a kept job.
absl::Status RemoveUnreferenced(const std::string& dir,
                                const StateDirContents& keep);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_STATE_DIR_H_
