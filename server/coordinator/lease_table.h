// The coordinator's scheduling of work units to workers (RPC-free): which
// units are ready, which are leased to whom until when, and which are done.
// The gRPC WorkService is a thin adapter over it; the durable copy of the
// same facts lives in the job store, which replays finished units into a
// new table after a restart.
//
// Unit life cycle (per job, unit indices of CompressionPlan::units):
//
//   waiting --(its dependency done)--> ready --Acquire--> leased
//   leased --Complete (current lease)--> done
//   leased --lease expired / worker dropped / Release--> ready
//   any --CancelJob--> removed (its leases revoked)
//
// A unit may depend on one earlier unit of its job (a tensor's row units on
// its bias unit) and becomes ready when that one is done. Ready units are
// handed out oldest job first, then in plan order. A lease stays valid while
// its worker heartbeats within `lease_timeout`; a completion for a lease that
// is no longer current (expired and given away, duplicate, revoked) is
// refused with FAILED_PRECONDITION, so no unit is ever completed twice.
//
// Thread-safe: every method takes the table's mutex. Time comes from the
// `now` function given at construction (a fake clock in tests).
#ifndef SEEDLM_SERVER_COORDINATOR_LEASE_TABLE_H_
#define SEEDLM_SERVER_COORDINATOR_LEASE_TABLE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/util/mutex.h"

namespace seedlm::coordinator {

// A unit of one job: its index in the job's plan.
struct UnitRef {
  std::string job_id;
  int64_t unit = 0;

  friend bool operator==(const UnitRef& a, const UnitRef& b) {
    return a.job_id == b.job_id && a.unit == b.unit;
  }
};

struct Lease {
  std::string lease_id;  // unique for the table's lifetime
  UnitRef unit;
  std::string worker_id;
};

// What AddJob is given for each unit.
struct UnitSpec {
  int64_t unit = 0;
  // The unit that must be done first (an earlier unit of the same job), or
  // -1.
  int64_t depends_on = -1;
};

struct LeaseTableStats {
  int64_t waiting = 0;
  int64_t ready = 0;
  int64_t leased = 0;
  int64_t done = 0;
  int64_t expired = 0;   // leases that timed out or whose worker dropped
  int64_t rejected = 0;  // completions refused
};

class LeaseTable {
 public:
  // REQUIRES: lease_timeout > 0; `now` is thread-safe.
  LeaseTable(absl::Duration lease_timeout, std::function<absl::Time()> now);

  // Adds a job's units. `done` lists the units already finished (replayed
  // from the store after a restart); their dependants start ready.
  // INVALID_ARGUMENT for a duplicate job, a duplicate unit, or a dependency
  // that is not an earlier unit of the job.
  absl::Status AddJob(const std::string& job_id,
                      const std::vector<UnitSpec>& units,
                      const std::vector<int64_t>& done = {});

  // Leases the next ready unit to `worker_id`, or nullopt when none is
  // ready. Expired leases are freed first. When `eligible` is given, only
  // jobs it returns true for are considered (a worker that cannot run a
  // job's codec, or was caught with a wrong result in it); it is called with
  // the table's mutex held and must not call back into the table.
  std::optional<Lease> Acquire(
      const std::string& worker_id,
      const std::function<bool(const std::string& job_id)>& eligible = {});

  // The unit of `lease_id` if it is `worker_id`'s current lease (after
  // freeing expired leases); FAILED_PRECONDITION otherwise. Changes nothing
  // else: the caller may then Complete() it.
  absl::StatusOr<UnitRef> Current(const std::string& worker_id,
                                  const std::string& lease_id);

  // Renews the leases of `worker_id` that it names and still holds; returns
  // the ids among `lease_ids` it no longer holds (expired, revoked): the
  // worker must drop them.
  std::vector<std::string> Heartbeat(const std::string& worker_id,
                                     const std::vector<std::string>& lease_ids);

  // Frees every lease of `worker_id` at once (its heartbeat stream
  // dropped); returns how many.
  int ReleaseWorker(const std::string& worker_id);

  // Gives a lease back unfinished (a draining worker). NOT_FOUND if it is
  // not `worker_id`'s current lease.
  absl::Status Release(const std::string& worker_id,
                       const std::string& lease_id);

  // Marks the lease's unit done and returns it. FAILED_PRECONDITION (and
  // counted in `rejected`) when the lease is not `worker_id`'s current
  // lease: expired and given away, already completed, revoked or unknown.
  absl::StatusOr<UnitRef> Complete(const std::string& worker_id,
                                   const std::string& lease_id);

  // Puts a completed unit back to ready (its result failed verification).
  // NOT_FOUND for a unit that is not done.
  absl::Status Redo(const UnitRef& unit);

  // Removes a job; returns the lease ids revoked, by worker.
  std::map<std::string, std::vector<std::string>> RemoveJob(
      const std::string& job_id);

  // Frees leases whose last heartbeat is older than the timeout; returns
  // how many.
  int ExpireLeases();

  // True when every unit of the job is done. NOT_FOUND for an unknown job.
  absl::StatusOr<bool> JobDone(const std::string& job_id) const;

  LeaseTableStats stats() const;
  // The unit counts of one job (expired/rejected are table-wide: 0 here);
  // all zero for an unknown job.
  LeaseTableStats JobStats(const std::string& job_id) const;

 private:
  enum class State : uint8_t { kWaiting, kReady, kLeased, kDone };
  struct Unit {
    State state = State::kWaiting;
    int64_t depends_on = -1;
    std::vector<int64_t> dependants;
    std::string lease_id;  // kLeased
  };
  struct Job {
    uint64_t order = 0;  // submission order
    std::map<int64_t, Unit> units;
    std::set<int64_t> ready;  // ready units, in plan order
    int64_t done = 0;
  };
  struct LeaseInfo {
    UnitRef unit;
    std::string worker_id;
    absl::Time last_heartbeat;
  };

  static void CountUnits(const Job& job, LeaseTableStats& s);
  void MakeReady(Job& job, int64_t unit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FreeLease(const std::string& lease_id, bool expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int ExpireLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration lease_timeout_;
  const std::function<absl::Time()> now_;
  mutable Mutex mu_;
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  // Jobs by submission order (the scheduling order).
  std::map<uint64_t, std::string> job_order_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, LeaseInfo> leases_ ABSL_GUARDED_BY(mu_);
  uint64_t next_job_order_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_lease_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t expired_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_LEASE_TABLE_H_
