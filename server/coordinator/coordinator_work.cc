// Coordinator: the workers' side. Registration with the codec handshake,
// heartbeats, long-poll leasing, and completion: a result is checked (kind,
// size, CRC, a few blocks re-searched) outside the lock, then recorded in
// the store and marked done under it, only if its lease is still current.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/search/searcher_factory.h"
#include "core/util/crc32.h"
#include "core/util/status_macros.h"
#include "server/common/logging.h"
#include "server/coordinator/coordinator_impl.h"
#include "server/coordinator/unit_verifier.h"

namespace seedlm::coordinator {
namespace {

// This build's handshake for every preset, by codec id.
absl::StatusOr<std::map<std::string, CodecHandshake>> OurHandshakes() {
  std::map<std::string, CodecHandshake> out;
  for (const std::string& name : PresetNames()) {
    ASSIGN_OR_RETURN(CodecConfig codec, PresetByName(name));
    ASSIGN_OR_RETURN(CodecHandshake h, CodecHandshakeFor(codec));
    out[h.codec_id] = h;
  }
  return out;
}

constexpr absl::Duration kRateWindow = absl::Seconds(60);

}  // namespace

absl::StatusOr<std::string> Coordinator::Impl::RegisterWorker(
    const WorkerHello& hello) {
  ASSIGN_OR_RETURN(auto ours, OurHandshakes());
  std::set<std::string> matched;
  for (const CodecHandshake& h : hello.handshakes) {
    auto it = ours.find(h.codec_id);
    if (it == ours.end()) continue;
    absl::Status s = CheckHandshake(it->second, h);
    if (!s.ok()) {
      obs::LogWarn("worker refused", {{"name", hello.name},
                                      {"build", hello.build_id},
                                      {"error", std::string(s.message())}});
      return absl::FailedPreconditionError(absl::StrCat(
          "this worker's build would compress differently from the "
          "coordinator's: ",
          s.message()));
    }
    matched.insert(h.codec_id);
  }
  if (matched.empty()) {
    return absl::FailedPreconditionError(
        "none of the worker's codecs matches this coordinator's");
  }
  MutexLock lock(&mu_);
  if (shutdown_) return absl::UnavailableError("the coordinator is stopping");
  const std::string id = absl::StrCat("w-", instance_, "-", ++next_worker_);
  WorkerEntry& w = workers_[id];
  w.hello = hello;
  w.codec_ids = std::move(matched);
  w.view.id = id;
  w.view.name = hello.name;
  w.view.threads = hello.threads;
  w.view.last_seen = absl::Now();
  obs::LogInfo("worker registered", {{"worker", id},
                                     {"name", hello.name},
                                     {"threads", hello.threads},
                                     {"build", hello.build_id},
                                     {"model_root", hello.has_model_root}});
  return id;
}

absl::StatusOr<std::vector<std::string>> Coordinator::Impl::Heartbeat(
    const std::string& worker_id, const std::vector<std::string>& lease_ids,
    int64_t blocks_searched) {
  MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("unknown worker ", worker_id, "; register again"));
  }
  WorkerView& v = it->second.view;
  v.last_seen = absl::Now();
  v.blocks += std::max<int64_t>(0, blocks_searched);
  AddToRateWindow(it->second.rate, v.last_seen, v.blocks);
  if (metrics_ && blocks_searched > 0) {
    metrics_->blocks_searched->Increment(static_cast<double>(blocks_searched));
  }
  std::vector<std::string> lost = leases_.Heartbeat(worker_id, lease_ids);
  v.leases = static_cast<int64_t>(lease_ids.size() - lost.size());
  return lost;
}

void Coordinator::Impl::WorkerDisconnected(const std::string& worker_id) {
  MutexLock lock(&mu_);
  const int freed = leases_.ReleaseWorker(worker_id);
  if (workers_.erase(worker_id) > 0) {
    obs::LogInfo("worker disconnected",
                 {{"worker", worker_id}, {"leases_freed", freed}});
  }
  if (freed > 0) ++work_epoch_;
}

std::vector<WorkerView> Coordinator::Impl::Workers() const {
  MutexLock lock(&mu_);
  std::vector<WorkerView> out;
  for (const auto& [id, w] : workers_) {
    out.push_back(w.view);
    out.back().blocks_per_second = RatePerSecond(w.rate);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const BlockSearcher>>
Coordinator::Impl::SearcherFor(ActiveJob& active, int bias) {
  {
    MutexLock lock(&mu_);
    auto it = active.searchers.find(bias);
    if (it != active.searchers.end()) return it->second;
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<BlockSearcher> made,
      CreateSearcher(active.plan.SearchFor(bias), SearchAlgorithm::kFast));
  std::shared_ptr<const BlockSearcher> searcher(std::move(made));
  MutexLock lock(&mu_);
  return active.searchers.emplace(bias, searcher).first->second;
}

absl::Status Coordinator::Impl::FillRows(const ActiveJob& active,
                                         const WorkerEntry& worker,
                                         UnitAssignment& a) {
  const WorkUnit& wu = active.plan.units[a.unit_index];
  ASSIGN_OR_RETURN(std::vector<uint8_t> rows,
                   UnitStoredRows(*active.source, wu.tensor, wu.kind,
                                  wu.row_begin, wu.row_end));
  a.rows_crc32 = Crc32(rows.data(), rows.size());
  if (worker.hello.has_model_root && !active.model_rel_path.empty() &&
      !active.by_value_workers.count(worker.view.id)) {
    a.by_reference = true;
    a.model_path = active.model_rel_path;
    a.tensor_name = active.plan.tensors[wu.tensor].name;
  } else {
    a.rows_data = std::move(rows);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<UnitAssignment>> Coordinator::Impl::LeaseWork(
    const std::string& worker_id, absl::Duration max_wait) {
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoNanoseconds(std::clamp(
                            max_wait, absl::ZeroDuration(), absl::Seconds(60)));
  UnitAssignment a;
  std::shared_ptr<ActiveJob> active;
  WorkerEntry worker;
  {
    MutexLock lock(&mu_);
    std::optional<Lease> lease;
    for (;;) {
      if (shutdown_) return std::optional<UnitAssignment>();
      auto w = workers_.find(worker_id);
      if (w == workers_.end()) {
        return absl::NotFoundError(
            absl::StrCat("unknown worker ", worker_id, "; register again"));
      }
      const WorkerEntry& we = w->second;
      lease = leases_.Acquire(
          worker_id,
          [&](const std::string& job_id) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            auto j = jobs_.find(job_id);
            if (j == jobs_.end() || !j->second.active) return false;
            const ActiveJob& aj = *j->second.active;
            return we.codec_ids.count(aj.handshake.codec_id) > 0 &&
                   aj.excluded_workers.count(worker_id) == 0;
          });
      if (lease) break;
      const uint64_t epoch = work_epoch_;
      if (!mu_.AwaitWithDeadline(
              [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                return shutdown_ || work_epoch_ != epoch;
              },
              deadline)) {
        return std::optional<UnitAssignment>();
      }
    }
    if (metrics_) metrics_->lease_grants->Increment();
    worker = workers_.at(worker_id);
    active = jobs_.at(lease->unit.job_id).active;
    const WorkUnit& wu = active->plan.units[lease->unit.unit];
    const PlannedTensor& t = active->plan.tensors[wu.tensor];
    a.lease_id = lease->lease_id;
    a.job_id = lease->unit.job_id;
    a.unit_index = lease->unit.unit;
    a.kind = wu.kind;
    a.codec = active->plan.codec;
    a.handshake = active->handshake;
    a.mode = active->plan.mode;
    a.bias = active->biases[wu.tensor].value_or(0);
    a.rows = t.geometry.rows;
    a.cols = t.geometry.cols;
    a.row_begin = wu.row_begin;
    a.row_end = wu.row_end;
    a.payload_bytes = wu.payload_bytes;
    a.dtype = t.dtype;
    ++workers_.at(worker_id).view.leases;
  }
  absl::Status s = FillRows(*active, worker, a);
  if (!s.ok()) {
    MutexLock lock(&mu_);
    (void)leases_.Release(worker_id, a.lease_id);
    auto j = jobs_.find(a.job_id);
    if (j != jobs_.end() && !IsTerminal(j->second.record.phase)) {
      EndJobLocked(j->second, JobPhase::kFailed,
                   absl::StrCat("reading the model: ", s.message()));
    }
    return std::optional<UnitAssignment>();
  }
  return std::optional<UnitAssignment>(std::move(a));
}

absl::StatusOr<CompleteResult> Coordinator::Impl::CompleteWork(
    const std::string& worker_id, const std::string& lease_id,
    UnitOutcome outcome) {
  std::shared_ptr<ActiveJob> active;
  UnitRef ref;
  {
    MutexLock lock(&mu_);
    if (!workers_.count(worker_id)) {
      return absl::NotFoundError(
          absl::StrCat("unknown worker ", worker_id, "; register again"));
    }
    absl::StatusOr<UnitRef> current = leases_.Current(worker_id, lease_id);
    if (!current.ok()) {
      CountRejected(RejectReason::kStale);
      obs::LogWarn("unit rejected",
                   {{"worker", worker_id},
                    {"lease", lease_id},
                    {"reason", "stale"},
                    {"error", std::string(current.status().message())}});
      return CompleteResult{false, std::string(current.status().message())};
    }
    ref = *current;
    active = jobs_.at(ref.job_id).active;
    if (!active) {
      CountRejected(RejectReason::kStale);
      return CompleteResult{false, "the job has ended"};
    }
  }
  const WorkUnit& wu = active->plan.units[ref.unit];
  const PlannedTensor& t = active->plan.tensors[wu.tensor];
  auto reject = [&](const std::string& why,
                    bool exclude) -> absl::StatusOr<CompleteResult> {
    MutexLock lock(&mu_);
    (void)leases_.Release(worker_id, lease_id);
    ++work_epoch_;
    auto w = workers_.find(worker_id);
    if (w != workers_.end()) ++w->second.view.rejected;
    if (exclude) active->excluded_workers.insert(worker_id);
    CountRejected(RejectReason::kInvalid);
    obs::LogWarn("unit rejected", {{"job", ref.job_id},
                                   {"unit", ref.unit},
                                   {"worker", worker_id},
                                   {"reason", "invalid"},
                                   {"error", why}});
    return CompleteResult{false, why};
  };
  switch (outcome.kind) {
    case UnitOutcome::Kind::kFailure: {
      MutexLock lock(&mu_);
      (void)leases_.Release(worker_id, lease_id);
      ++work_epoch_;
      if (outcome.rows_unavailable) {
        active->by_value_workers.insert(worker_id);
        return CompleteResult{true, "the unit will be sent with its rows"};
      }
      const int n = ++active->failures[ref.unit];
      CountRejected(RejectReason::kFailed);
      obs::LogWarn("unit rejected", {{"job", ref.job_id},
                                     {"unit", ref.unit},
                                     {"worker", worker_id},
                                     {"reason", "failed"},
                                     {"failures", n},
                                     {"error", outcome.message}});
      auto j = jobs_.find(ref.job_id);
      if (n >= options_.max_unit_failures && j != jobs_.end() &&
          j->second.active == active) {
        EndJobLocked(j->second, JobPhase::kFailed,
                     absl::StrCat(t.name, ": failed on ", n,
                                  " workers: ", outcome.message));
      }
      return CompleteResult{true, "the unit will be retried"};
    }
    case UnitOutcome::Kind::kBias:
      if (wu.kind != UnitKind::kChooseBias) {
        return reject("a bias result for a row unit", false);
      }
      if (outcome.bias < -128 || outcome.bias > 127) {
        return reject("exponent bias outside -128..127", true);
      }
      break;
    case UnitOutcome::Kind::kRows: {
      if (wu.kind != UnitKind::kCompressRows) {
        return reject("a rows result for a bias unit", false);
      }
      if (outcome.payload.size() != wu.payload_bytes) {
        return reject(absl::StrCat("payload of ", outcome.payload.size(),
                                   " bytes, expected ", wu.payload_bytes),
                      true);
      }
      if (Crc32(outcome.payload.data(), outcome.payload.size()) !=
          outcome.crc32) {
        return reject("payload CRC-32 mismatch (damaged in transit)", false);
      }
      if (options_.verify_blocks > 0) {
        int bias = 0;
        {
          MutexLock lock(&mu_);
          bias = active->biases[wu.tensor].value_or(0);
        }
        ASSIGN_OR_RETURN(std::shared_ptr<const BlockSearcher> searcher,
                         SearcherFor(*active, bias));
        ASSIGN_OR_RETURN(RowReader read,
                         SourceRowReader(*active->source, wu.tensor));
        absl::Status v = VerifyUnitBlocks(
            active->plan, static_cast<size_t>(ref.unit), *searcher, read,
            outcome.payload, options_.verify_blocks,
            VerifySalt(ref.job_id, ref.unit));
        if (absl::IsDataLoss(v)) {
          return reject(absl::StrCat("failed verification: ", v.message()),
                        true);
        }
        RETURN_IF_ERROR(v);
      }
      break;
    }
  }
  MutexLock lock(&mu_);
  auto j = jobs_.find(ref.job_id);
  if (j == jobs_.end() || j->second.active != active) {
    CountRejected(RejectReason::kStale);
    return CompleteResult{false, "the job has ended"};
  }
  return RecordLocked(j->second, *active, worker_id, lease_id, ref.unit,
                      outcome);
}

void Coordinator::Impl::CountAccepted(const WorkUnit& wu,
                                      const CompressionPlan& plan) {
  if (!metrics_) return;
  metrics_->last_progress->Set(
      absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  if (wu.kind == UnitKind::kChooseBias) {
    metrics_->units_accepted_bias->Increment();
    return;
  }
  metrics_->units_accepted_rows->Increment();
  metrics_->blocks_accepted->Increment(
      static_cast<double>((wu.row_end - wu.row_begin) *
                          plan.tensors[wu.tensor].geometry.blocks_per_row()));
}

CompleteResult Coordinator::Impl::RecordLocked(JobEntry& job, ActiveJob& active,
                                               const std::string& worker_id,
                                               const std::string& lease_id,
                                               int64_t unit,
                                               const UnitOutcome& outcome) {
  if (!leases_.Current(worker_id, lease_id).ok()) {
    CountRejected(RejectReason::kStale);
    obs::LogWarn("unit rejected",
                 {{"job", job.record.id},
                  {"unit", unit},
                  {"worker", worker_id},
                  {"reason", "stale"},
                  {"error", "lease expired during the checks"}});
    return CompleteResult{false, "the lease expired during the checks"};
  }
  const WorkUnit& wu = active.plan.units[unit];
  UnitRecord rec;
  rec.job_id = job.record.id;
  rec.unit = unit;
  rec.kind = static_cast<int>(wu.kind);
  rec.worker = worker_id;
  rec.finish_time = absl::ToUnixSeconds(absl::Now());
  if (wu.kind == UnitKind::kChooseBias) {
    rec.bias = outcome.bias;
  } else {
    rec.sq_error = outcome.sq_error;
    rec.sq_norm = outcome.sq_norm;
    rec.payload_bytes = wu.payload_bytes;
    rec.payload_crc32 = outcome.crc32;
  }
  absl::Status s = store_->RecordUnit(rec, outcome.payload);
  if (!s.ok()) {
    (void)leases_.Release(worker_id, lease_id);
    ++work_epoch_;
    obs::LogError(
        "cannot record unit",
        {{"job", job.record.id}, {"unit", unit}, {"error", s.ToString()}});
    return CompleteResult{false, absl::StrCat("not recorded: ", s.message())};
  }
  (void)leases_.Complete(worker_id, lease_id);
  active.unit_done[unit] = 1;
  ++active.units_done;
  CountAccepted(wu, active.plan);
  obs::LogDebug("unit accepted", {{"job", job.record.id},
                                  {"unit", unit},
                                  {"worker", worker_id},
                                  {"lease", lease_id}});
  if (wu.kind == UnitKind::kChooseBias) {
    active.biases[wu.tensor] = outcome.bias;
    ++work_epoch_;  // its row units are ready now
  } else {
    active.unit_sums[unit] = ErrorSums{outcome.sq_error, outcome.sq_norm};
    const int64_t blocks =
        (wu.row_end - wu.row_begin) *
        active.plan.tensors[wu.tensor].geometry.blocks_per_row();
    active.tensor_blocks_done[wu.tensor] += blocks;
    active.blocks_done += blocks;
    const absl::Time now = absl::Now();
    active.rate.emplace_back(now, active.blocks_done);
    while (active.rate.size() > 2 &&
           now - active.rate.front().first > kRateWindow) {
      active.rate.pop_front();
    }
  }
  auto w = workers_.find(worker_id);
  if (w != workers_.end()) {
    ++w->second.view.units_done;
    w->second.view.leases = std::max<int64_t>(0, w->second.view.leases - 1);
  }
  if (active.units_done == static_cast<int64_t>(active.plan.units.size())) {
    job.record.phase = JobPhase::kAssembling;
    SaveLocked(job);
    to_assemble_.push_back(job.record.id);
  }
  BumpLocked(job);
  return CompleteResult{true, ""};
}

}  // namespace seedlm::coordinator
