#include "server/coordinator/lease_table.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace seedlm::coordinator {

LeaseTable::LeaseTable(absl::Duration lease_timeout,
                       std::function<absl::Time()> now)
    : lease_timeout_(lease_timeout), now_(std::move(now)) {}

absl::Status LeaseTable::AddJob(const std::string& job_id,
                                const std::vector<UnitSpec>& units,
                                const std::vector<int64_t>& done) {
  Job job;
  for (const UnitSpec& spec : units) {
    if (job.units.count(spec.unit) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("job ", job_id, ": unit ", spec.unit, " listed twice"));
    }
    if (spec.depends_on >= 0 && (spec.depends_on >= spec.unit ||
                                 job.units.count(spec.depends_on) == 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("job ", job_id, ": unit ", spec.unit, " depends on ",
                       spec.depends_on, ", not an earlier unit"));
    }
    Unit& u = job.units[spec.unit];
    u.depends_on = spec.depends_on;
    if (spec.depends_on >= 0) {
      job.units[spec.depends_on].dependants.push_back(spec.unit);
    }
  }
  for (const int64_t d : done) {
    auto it = job.units.find(d);
    if (it == job.units.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("job ", job_id, ": done unit ", d, " is not listed"));
    }
    if (it->second.state != State::kDone) {
      it->second.state = State::kDone;
      ++job.done;
    }
  }
  for (auto& [index, unit] : job.units) {
    const bool dep_done = unit.depends_on < 0 ||
                          job.units.at(unit.depends_on).state == State::kDone;
    if (unit.state == State::kWaiting && dep_done) {
      unit.state = State::kReady;
      job.ready.insert(index);
    }
  }
  MutexLock lock(&mu_);
  if (jobs_.count(job_id) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("job ", job_id, " is already scheduled"));
  }
  job.order = next_job_order_++;
  job_order_[job.order] = job_id;
  jobs_.emplace(job_id, std::move(job));
  return absl::OkStatus();
}

void LeaseTable::MakeReady(Job& job, int64_t unit) {
  Unit& u = job.units.at(unit);
  u.state = State::kReady;
  u.lease_id.clear();
  job.ready.insert(unit);
}

void LeaseTable::FreeLease(const std::string& lease_id, bool expired) {
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return;
  auto job = jobs_.find(it->second.unit.job_id);
  if (job != jobs_.end()) MakeReady(job->second, it->second.unit.unit);
  leases_.erase(it);
  if (expired) ++expired_;
}

int LeaseTable::ExpireLocked() {
  const absl::Time now = now_();
  std::vector<std::string> stale;
  for (const auto& [id, info] : leases_) {
    if (now - info.last_heartbeat > lease_timeout_) stale.push_back(id);
  }
  for (const std::string& id : stale) FreeLease(id, /*expired=*/true);
  return static_cast<int>(stale.size());
}

int LeaseTable::ExpireLeases() {
  MutexLock lock(&mu_);
  return ExpireLocked();
}

std::optional<Lease> LeaseTable::Acquire(
    const std::string& worker_id,
    const std::function<bool(const std::string&)>& eligible) {
  MutexLock lock(&mu_);
  ExpireLocked();
  for (const auto& [order, job_id] : job_order_) {
    Job& job = jobs_.at(job_id);
    if (job.ready.empty()) continue;
    if (eligible && !eligible(job_id)) continue;
    const int64_t unit = *job.ready.begin();
    job.ready.erase(job.ready.begin());
    Lease lease{absl::StrCat("L", ++next_lease_), UnitRef{job_id, unit},
                worker_id};
    Unit& u = job.units.at(unit);
    u.state = State::kLeased;
    u.lease_id = lease.lease_id;
    leases_[lease.lease_id] = LeaseInfo{lease.unit, worker_id, now_()};
    return lease;
  }
  return std::nullopt;
}

absl::StatusOr<UnitRef> LeaseTable::Current(const std::string& worker_id,
                                            const std::string& lease_id) {
  MutexLock lock(&mu_);
  ExpireLocked();
  auto it = leases_.find(lease_id);
  if (it == leases_.end() || it->second.worker_id != worker_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lease ", lease_id, " of worker ", worker_id,
        " is not current (expired, revoked or already completed)"));
  }
  return it->second.unit;
}

std::vector<std::string> LeaseTable::Heartbeat(
    const std::string& worker_id, const std::vector<std::string>& lease_ids) {
  MutexLock lock(&mu_);
  ExpireLocked();
  const absl::Time now = now_();
  std::vector<std::string> lost;
  for (const std::string& id : lease_ids) {
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.worker_id != worker_id) {
      lost.push_back(id);
    } else {
      it->second.last_heartbeat = now;
    }
  }
  return lost;
}

int LeaseTable::ReleaseWorker(const std::string& worker_id) {
  MutexLock lock(&mu_);
  std::vector<std::string> held;
  for (const auto& [id, info] : leases_) {
    if (info.worker_id == worker_id) held.push_back(id);
  }
  for (const std::string& id : held) FreeLease(id, /*expired=*/true);
  return static_cast<int>(held.size());
}

absl::Status LeaseTable::Release(const std::string& worker_id,
                                 const std::string& lease_id) {
  MutexLock lock(&mu_);
  auto it = leases_.find(lease_id);
  if (it == leases_.end() || it->second.worker_id != worker_id) {
    return absl::NotFoundError(
        absl::StrCat("lease ", lease_id, " is not held by worker ", worker_id));
  }
  FreeLease(lease_id, /*expired=*/false);
  return absl::OkStatus();
}

absl::StatusOr<UnitRef> LeaseTable::Complete(const std::string& worker_id,
                                             const std::string& lease_id) {
  MutexLock lock(&mu_);
  // A lease that timed out is not current, even if no one else took it.
  ExpireLocked();
  auto it = leases_.find(lease_id);
  if (it == leases_.end() || it->second.worker_id != worker_id) {
    ++rejected_;
    return absl::FailedPreconditionError(
        absl::StrCat("lease ", lease_id, " of worker ", worker_id,
                     " is not current (expired, revoked, completed or "
                     "unknown); the result is dropped"));
  }
  const UnitRef unit = it->second.unit;
  leases_.erase(it);
  Job& job = jobs_.at(unit.job_id);
  Unit& u = job.units.at(unit.unit);
  u.state = State::kDone;
  u.lease_id.clear();
  ++job.done;
  for (const int64_t d : u.dependants) {
    if (job.units.at(d).state == State::kWaiting) MakeReady(job, d);
  }
  return unit;
}

absl::Status LeaseTable::Redo(const UnitRef& unit) {
  MutexLock lock(&mu_);
  auto job = jobs_.find(unit.job_id);
  if (job == jobs_.end() || job->second.units.count(unit.unit) == 0 ||
      job->second.units.at(unit.unit).state != State::kDone) {
    return absl::NotFoundError(absl::StrCat("unit ", unit.unit, " of job ",
                                            unit.job_id, " is not done"));
  }
  --job->second.done;
  MakeReady(job->second, unit.unit);
  return absl::OkStatus();
}

std::map<std::string, std::vector<std::string>> LeaseTable::RemoveJob(
    const std::string& job_id) {
  MutexLock lock(&mu_);
  std::map<std::string, std::vector<std::string>> revoked;
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return revoked;
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.unit.job_id == job_id) {
      revoked[it->second.worker_id].push_back(it->first);
      it = leases_.erase(it);
    } else {
      ++it;
    }
  }
  job_order_.erase(job->second.order);
  jobs_.erase(job);
  return revoked;
}

absl::StatusOr<bool> LeaseTable::JobDone(const std::string& job_id) const {
  MutexLock lock(&mu_);
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("job ", job_id, " is unknown"));
  }
  return job->second.done == static_cast<int64_t>(job->second.units.size());
}

void LeaseTable::CountUnits(const Job& job, LeaseTableStats& s) {
  for (const auto& [index, unit] : job.units) {
    switch (unit.state) {
      case State::kWaiting:
        ++s.waiting;
        break;
      case State::kReady:
        ++s.ready;
        break;
      case State::kLeased:
        ++s.leased;
        break;
      case State::kDone:
        ++s.done;
        break;
    }
  }
}

LeaseTableStats LeaseTable::JobStats(const std::string& job_id) const {
  MutexLock lock(&mu_);
  LeaseTableStats s;
  auto it = jobs_.find(job_id);
  if (it != jobs_.end()) CountUnits(it->second, s);
  return s;
}

LeaseTableStats LeaseTable::stats() const {
  MutexLock lock(&mu_);
  LeaseTableStats s;
  for (const auto& [id, job] : jobs_) CountUnits(job, s);
  s.expired = expired_;
  s.rejected = rejected_;
  return s;
}

}  // namespace seedlm::coordinator
