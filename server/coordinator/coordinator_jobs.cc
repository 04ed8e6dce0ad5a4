// Coordinator: the background work. Recovery after a restart, planning a
// job (open the model, PlanCompression, replay its recorded units),
// assembling a finished job's container, lease expiry and retention.
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/compress/container_assembly.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"
#include "server/common/logging.h"
#include "server/coordinator/coordinator_impl.h"

namespace seedlm::coordinator {
namespace {

namespace fs = std::filesystem;

std::chrono::steady_clock::time_point SteadyIn(absl::Duration d) {
  return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(d);
}

}  // namespace

void Coordinator::Impl::Recover() {
  absl::StatusOr<std::vector<JobRecord>> records = store_->ListJobs();
  if (!records.ok()) {
    obs::LogError("cannot list jobs", {{"error", records.status().ToString()}});
    return;
  }
  MutexLock lock(&mu_);
  for (JobRecord& rec : *records) {
    JobEntry& job = jobs_[rec.id];
    job.record = rec;
    job.final_blocks = rec.blocks_total;
    job.final_done = rec.phase == JobPhase::kSucceeded ? rec.blocks_total : 0;
    absl::StatusOr<JobSpec> spec = JobSpecFromJson(rec.spec);
    if (spec.ok()) job.spec = *spec;
    if (IsTerminal(rec.phase)) continue;
    if (!spec.ok()) {
      EndJobLocked(job, JobPhase::kFailed,
                   absl::StrCat("stored job spec: ", spec.status().message()));
      continue;
    }
    to_plan_.push_back(rec.id);
    obs::LogInfo("job resuming", {{"job", rec.id}});
  }
  // Uploads that never finished (no record) are removed.
  std::error_code ec;
  for (const auto& entry :
       fs::directory_iterator(fs::path(store_->dir()) / "uploads", ec)) {
    const std::string id = entry.path().filename().string();
    if (!store_->GetUpload(id).ok()) fs::remove_all(entry.path(), ec);
  }
}

void Coordinator::Impl::PlannerLoop() {
  for (;;) {
    std::string id;
    {
      MutexLock lock(&mu_);
      mu_.Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return shutdown_ || !to_plan_.empty();
      });
      if (shutdown_) return;
      id = to_plan_.front();
      to_plan_.pop_front();
    }
    absl::Status s = Activate(id);
    if (!s.ok()) {
      MutexLock lock(&mu_);
      auto it = jobs_.find(id);
      if (it != jobs_.end() && !IsTerminal(it->second.record.phase)) {
        EndJobLocked(it->second, JobPhase::kFailed, std::string(s.message()));
      }
    }
  }
}

absl::Status Coordinator::Impl::Activate(const std::string& id) {
  JobRecord rec;
  JobSpec spec;
  {
    MutexLock lock(&mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || IsTerminal(it->second.record.phase)) {
      return absl::OkStatus();
    }
    rec = it->second.record;
    spec = it->second.spec;
  }
  auto active = std::make_shared<ActiveJob>();
  OpenModelOptions open;
  open.tokenizer_path = rec.tokenizer_path;
  absl::StatusOr<std::unique_ptr<ModelSource>> source =
      OpenModel(rec.model_path, open);
  if (!source.ok()) {
    return absl::Status(source.status().code(),
                        absl::StrCat("model: ", source.status().message()));
  }
  active->source = std::move(*source);
  if (rec.input_sha256.empty()) {
    ASSIGN_OR_RETURN(rec.input_sha256, ModelInputSha256(rec.model_path));
  }
  ASSIGN_OR_RETURN(CompressOptions options, ToCompressOptions(spec));
  ASSIGN_OR_RETURN(active->plan, PlanCompression(*active->source, options,
                                                 options_.unit_blocks));
  ASSIGN_OR_RETURN(active->handshake, CodecHandshakeFor(active->plan.codec));
  active->model_rel_path = spec.server_path;
  const CompressionPlan& plan = active->plan;
  const size_t n_units = plan.units.size();
  active->unit_done.assign(n_units, 0);
  active->unit_sums.assign(n_units, ErrorSums{});
  active->tensor_blocks_done.assign(plan.tensors.size(), 0);
  active->biases.assign(plan.tensors.size(), std::nullopt);
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    active->biases[t] = plan.tensors[t].exponent_bias;
  }
  // Replay the units recorded before a restart.
  ASSIGN_OR_RETURN(std::vector<UnitRecord> recorded, store_->ListUnits(id));
  std::vector<int64_t> done;
  for (const UnitRecord& u : recorded) {
    const bool valid =
        u.unit >= 0 && static_cast<size_t>(u.unit) < n_units &&
        static_cast<int>(plan.units[u.unit].kind) == u.kind &&
        (u.kind == 0 || u.payload_bytes == plan.units[u.unit].payload_bytes);
    std::error_code ec;
    const bool file_ok =
        u.kind == 0 || (fs::file_size(store_->UnitPayloadPath(id, u.unit),
                                      ec) == u.payload_bytes &&
                        !ec);
    if (!valid || !file_ok) {
      obs::LogWarn("unit record unusable; it will be redone",
                   {{"job", id}, {"unit", u.unit}});
      RETURN_IF_ERROR(store_->DeleteUnit(id, u.unit));
      continue;
    }
    const WorkUnit& wu = plan.units[u.unit];
    active->unit_done[u.unit] = 1;
    ++active->units_done;
    if (u.kind == 0) {
      active->biases[wu.tensor] = u.bias;
    } else {
      active->unit_sums[u.unit] = ErrorSums{u.sq_error, u.sq_norm};
      const int64_t blocks = (wu.row_end - wu.row_begin) *
                             plan.tensors[wu.tensor].geometry.blocks_per_row();
      active->tensor_blocks_done[wu.tensor] += blocks;
      active->blocks_done += blocks;
    }
    done.push_back(u.unit);
  }
  std::vector<UnitSpec> specs;
  for (const PlannedTensor& t : plan.tensors) {
    int64_t bias_unit = -1;
    for (size_t u = t.first_unit; u < t.first_unit + t.num_units; ++u) {
      UnitSpec s;
      s.unit = static_cast<int64_t>(u);
      if (plan.units[u].kind == UnitKind::kChooseBias) {
        bias_unit = s.unit;
      } else {
        s.depends_on = bias_unit;
      }
      specs.push_back(s);
    }
  }
  MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || IsTerminal(it->second.record.phase)) {
    return absl::OkStatus();  // cancelled or deleted meanwhile
  }
  JobEntry& job = it->second;
  RETURN_IF_ERROR(leases_.AddJob(id, specs, done));
  job.active = active;
  job.record.input_sha256 = rec.input_sha256;
  job.record.blocks_total = plan.total_blocks;
  if (active->units_done == static_cast<int64_t>(n_units)) {
    job.record.phase = JobPhase::kAssembling;
    to_assemble_.push_back(id);
  } else {
    job.record.phase = JobPhase::kRunning;
  }
  active->rate.emplace_back(absl::Now(), active->blocks_done);
  SaveLocked(job);
  BumpLocked(job);
  ++work_epoch_;
  obs::LogInfo("job planned",
               {{"job", id},
                {"units", static_cast<int64_t>(n_units)},
                {"already_done", static_cast<int64_t>(done.size())},
                {"blocks", plan.total_blocks}});
  return absl::OkStatus();
}

void Coordinator::Impl::AssemblerLoop() {
  for (;;) {
    std::string id;
    {
      MutexLock lock(&mu_);
      mu_.Await([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return shutdown_ || !to_assemble_.empty();
      });
      if (shutdown_) return;
      id = to_assemble_.front();
      to_assemble_.pop_front();
    }
    absl::Status s = Assemble(id);
    if (!s.ok()) {
      MutexLock lock(&mu_);
      auto it = jobs_.find(id);
      if (it != jobs_.end() && !IsTerminal(it->second.record.phase)) {
        EndJobLocked(it->second, JobPhase::kFailed,
                     absl::StrCat("assembly: ", s.message()));
      }
    }
  }
}

absl::Status Coordinator::Impl::Assemble(const std::string& id) {
  std::shared_ptr<ActiveJob> active;
  std::vector<int> biases;
  {
    MutexLock lock(&mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.record.phase != JobPhase::kAssembling ||
        !it->second.active) {
      return absl::OkStatus();
    }
    active = it->second.active;
    for (const std::optional<int>& b : active->biases)
      biases.push_back(b.value_or(0));
  }
  if (options_.testing_assembly_delay > absl::ZeroDuration()) {
    obs::LogInfo("assembly starts after the test delay", {{"job", id}});
    absl::SleepFor(options_.testing_assembly_delay);
  }
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::vector<UnitRecord> recorded, store_->ListUnits(id));
  std::map<int64_t, UnitRecord> by_unit;
  for (UnitRecord& r : recorded) by_unit[r.unit] = std::move(r);
  const std::string out = store_->ResultPath(id);
  RETURN_IF_ERROR(AssembleContainer(
      active->plan, *active->source, biases,
      [&](size_t unit, const PayloadSink& sink) -> absl::Status {
        auto r = by_unit.find(static_cast<int64_t>(unit));
        if (r == by_unit.end()) {
          return absl::DataLossError(
              absl::StrCat("unit ", unit, " has no recorded payload"));
        }
        ASSIGN_OR_RETURN(std::vector<uint8_t> payload,
                         store_->ReadUnitPayload(r->second));
        return sink(payload);
      },
      out));
  ASSIGN_OR_RETURN(std::string sha, Sha256File(out));
  std::error_code ec;
  const uint64_t size = fs::file_size(out, ec);
  MutexLock lock(&mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.record.phase != JobPhase::kAssembling) {
    fs::remove(out, ec);  // cancelled or deleted meanwhile
    return absl::OkStatus();
  }
  JobEntry& job = it->second;
  job.record.result_path = out;
  job.record.result_size = size;
  job.record.result_sha256 = sha;
  job.record.phase = JobPhase::kSucceeded;
  job.final_blocks = active->plan.total_blocks;
  job.final_done = active->blocks_done;
  job.final_tensors = TensorViewsLocked(*active);
  job.active.reset();
  leases_.RemoveJob(id);
  SaveLocked(job);
  BumpLocked(job);
  const double assembly = absl::ToDoubleSeconds(absl::Now() - start);
  if (metrics_) metrics_->assembly_seconds->Observe(assembly);
  obs::LogInfo("job finished",
               {{"job", id},
                {"state", "succeeded"},
                {"seconds", static_cast<double>(job.record.update_time -
                                                job.record.create_time)},
                {"assembly_seconds", assembly},
                {"bytes", size}});
  return absl::OkStatus();
}

void Coordinator::Impl::EndJobLocked(JobEntry& job, JobPhase phase,
                                     const std::string& error) {
  job.record.phase = phase;
  job.record.error = error;
  obs::Log(
      phase == JobPhase::kFailed ? obs::LogLevel::kWarn : obs::LogLevel::kInfo,
      "job finished",
      {{"job", job.record.id},
       {"state", JobStateLabel(phase)},
       {"seconds", static_cast<double>(absl::ToUnixSeconds(absl::Now()) -
                                       job.record.create_time)},
       {"error", error}});
  if (job.active) {
    job.final_blocks = job.active->plan.total_blocks;
    job.final_done = job.active->blocks_done;
    job.final_tensors = TensorViewsLocked(*job.active);
    job.active.reset();
  }
  leases_.RemoveJob(job.record.id);
  SaveLocked(job);
  BumpLocked(job);
}

void Coordinator::Impl::TickerLoop() {
  absl::Time next_sweep = absl::Now();
  for (;;) {
    {
      MutexLock lock(&mu_);
      mu_.AwaitWithDeadline(
          [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return shutdown_; },
          SteadyIn(absl::Milliseconds(200)));
      if (shutdown_) return;
    }
    const int expired = leases_.ExpireLeases();
    if (expired > 0) {
      MutexLock lock(&mu_);
      ++work_epoch_;
      obs::LogWarn("leases expired", {{"leases", expired}});
    }
    SampleProgress();
    if (absl::Now() >= next_sweep) {
      SweepRetention();
      next_sweep = absl::Now() + absl::Minutes(1);
    }
  }
}

void Coordinator::Impl::SampleProgress() {
  const absl::Time now = absl::Now();
  MutexLock lock(&mu_);
  for (auto& [id, job] : jobs_) {
    if (!job.active) continue;
    job.history.Add(now, job.active->blocks_done,
                    RatePerSecond(job.active->rate));
  }
}

absl::StatusOr<std::vector<ProgressPoint>> Coordinator::Impl::JobHistory(
    const Caller& caller, const std::string& id) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  return job->history.samples();
}

void Coordinator::Impl::SweepRetention() {
  if (options_.retain <= absl::ZeroDuration()) return;
  const int64_t cutoff = absl::ToUnixSeconds(absl::Now() - options_.retain);
  absl::StatusOr<std::vector<UploadRecord>> uploads = store_->ListUploads();
  MutexLock lock(&mu_);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    JobEntry& job = it->second;
    if (IsTerminal(job.record.phase) && job.record.update_time < cutoff) {
      obs::LogInfo("job removed (retention)", {{"job", it->first}});
      absl::Status s = store_->DeleteJob(it->first);
      if (!s.ok()) {
        obs::LogError("cannot delete job",
                      {{"job", it->first}, {"error", s.ToString()}});
      }
      RemoveJobFilesLocked(job);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
  if (!uploads.ok()) return;
  for (const UploadRecord& up : *uploads) {
    if (up.create_time >= cutoff || uploads_in_progress_.count(up.id)) continue;
    bool used = false;
    for (const auto& [id, job] : jobs_) used |= job.record.upload_id == up.id;
    if (!used) {
      absl::Status s = store_->DeleteUpload(up.id);
      if (!s.ok()) {
        obs::LogError("cannot delete upload",
                      {{"upload", up.id}, {"error", s.ToString()}});
      }
    }
  }
}

}  // namespace seedlm::coordinator
