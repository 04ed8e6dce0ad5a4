// Coordinator: construction, the client-facing calls and job views.
// Workers: coordinator_work.cc; planning, assembly, expiry and retention:
// coordinator_jobs.cc.
#include "server/coordinator/coordinator.h"

#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/compress/container_assembly.h"
#include "core/util/status_macros.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "server/coordinator/coordinator_impl.h"

namespace seedlm::coordinator {
namespace {

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppend(&out, absl::StrFormat("%02x", rd() & 0xff));
  }
  return out;
}

int64_t UnixNow() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

// ---- Uploads.

class UploadSessionImpl : public UploadSession {
 public:
  UploadSessionImpl(Coordinator::Impl* impl, std::string id, Caller caller,
                    std::unique_ptr<UploadReceiver> receiver)
      : impl_(impl),
        id_(std::move(id)),
        caller_(std::move(caller)),
        receiver_(std::move(receiver)) {}
  ~UploadSessionImpl() override {
    MutexLock lock(&impl_->mu_);
    impl_->uploads_in_progress_.erase(id_);
    if (!finished_) {
      receiver_.reset();
      std::error_code ec;
      std::filesystem::remove_all(impl_->store_->UploadDir(id_), ec);
    }
  }
  absl::Status Write(uint32_t file_index, uint64_t offset,
                     absl::Span<const uint8_t> data, uint32_t crc32) override {
    RETURN_IF_ERROR(receiver_->Write(file_index, offset, data, crc32));
    if (impl_->metrics_) impl_->metrics_->upload_bytes->Increment(data.size());
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Finish() override {
    ASSIGN_OR_RETURN(std::string digest, receiver_->Finish());
    UploadRecord rec;
    rec.id = id_;
    rec.owner = caller_.name;
    rec.complete = true;
    rec.size_bytes = receiver_->bytes_received();
    rec.sha256 = digest;
    rec.create_time = UnixNow();
    RETURN_IF_ERROR(impl_->store_->CreateUpload(rec));
    finished_ = true;
    obs::LogInfo("upload finished",
                 {{"upload", id_}, {"bytes", rec.size_bytes}});
    return id_;
  }
  uint64_t bytes_received() const override {
    return receiver_->bytes_received();
  }

 private:
  Coordinator::Impl* const impl_;
  const std::string id_;
  const Caller caller_;
  std::unique_ptr<UploadReceiver> receiver_;
  bool finished_ = false;
};

absl::StatusOr<std::unique_ptr<UploadSession>> Coordinator::Impl::BeginUpload(
    const Caller& caller, std::vector<UploadFileSpec> files) {
  const std::string id = absl::StrCat("u", RandomHex(8));
  ASSIGN_OR_RETURN(
      std::unique_ptr<UploadReceiver> receiver,
      UploadReceiver::Start(store_->UploadDir(id), std::move(files),
                            options_.max_upload_bytes));
  MutexLock lock(&mu_);
  uploads_in_progress_.insert(id);
  return std::unique_ptr<UploadSession>(
      new UploadSessionImpl(this, id, caller, std::move(receiver)));
}

// ---- Construction.

Coordinator::Impl::Impl(CoordinatorOptions options,
                        std::unique_ptr<JobStore> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      leases_(options_.lease_timeout, [] { return absl::Now(); }),
      instance_(RandomHex(3)),
      metrics_(CoordinatorMetrics::Create(options_.metrics)) {
  if (metrics_) {
    prometheus::Histogram* h = metrics_->store_transaction_seconds;
    store_->SetTransactionObserver(
        [h](absl::Duration d) { h->Observe(absl::ToDoubleSeconds(d)); });
  }
  heartbeat_interval_ = std::clamp(options_.lease_timeout / 5,
                                   absl::Milliseconds(100), absl::Seconds(5));
}

Coordinator::Impl::~Impl() { Shutdown(); }

void Coordinator::Impl::StartThreads() {
  Recover();
  threads_.emplace_back([this] { PlannerLoop(); });
  threads_.emplace_back([this] { AssemblerLoop(); });
  threads_.emplace_back([this] { TickerLoop(); });
  if (metrics_) {
    collect_hook_ =
        options_.metrics->AddCollectHook([this] { CollectMetrics(); });
  }
}

void Coordinator::Impl::CollectMetrics() {
  const LeaseTableStats s = leases_.stats();
  MutexLock lock(&mu_);
  std::map<JobPhase, int64_t> by_phase;
  for (const auto& [id, job] : jobs_) ++by_phase[job.record.phase];
  for (int p = 1; p <= 6; ++p) {
    const auto phase = static_cast<JobPhase>(p);
    metrics_->jobs(phase).Set(static_cast<double>(by_phase[phase]));
  }
  metrics_->units_waiting->Set(static_cast<double>(s.waiting));
  metrics_->units_ready->Set(static_cast<double>(s.ready));
  metrics_->units_leased->Set(static_cast<double>(s.leased));
  metrics_->units_done->Set(static_cast<double>(s.done));
  metrics_->workers_connected->Set(static_cast<double>(workers_.size()));
  if (s.expired > expiries_counted_) {
    metrics_->lease_expiries->Increment(
        static_cast<double>(s.expired - expiries_counted_));
    expiries_counted_ = s.expired;
  }
}

void Coordinator::Impl::CountRejected(RejectReason reason) {
  if (metrics_) metrics_->rejected(reason).Increment();
}

void Coordinator::Impl::CountResultBytesSent(uint64_t bytes) {
  if (metrics_) metrics_->download_bytes->Increment(static_cast<double>(bytes));
}

void Coordinator::Impl::Shutdown() {
  {
    MutexLock lock(&mu_);
    shutdown_ = true;
  }
  if (collect_hook_ != 0) {
    options_.metrics->RemoveCollectHook(collect_hook_);
    collect_hook_ = 0;
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Start(
    CoordinatorOptions options) {
  if (options.lease_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lease timeout must be positive");
  }
  if (options.verify_blocks < 0 || options.unit_blocks < 1) {
    return absl::InvalidArgumentError("verify_blocks >= 0, unit_blocks >= 1");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<JobStore> store,
                   JobStore::Open(options.state_dir));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(store));
  impl->StartThreads();
  return std::unique_ptr<Coordinator>(new Coordinator(std::move(impl)));
}

Coordinator::Coordinator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Coordinator::~Coordinator() { Shutdown(); }
void Coordinator::Shutdown() { impl_->Shutdown(); }
const CoordinatorOptions& Coordinator::options() const {
  return impl_->options_;
}

// ---- Jobs.

absl::StatusOr<JobEntry*> Coordinator::Impl::FindLocked(const Caller& caller,
                                                        const std::string& id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return absl::NotFoundError(absl::StrCat("no job ", id));
  }
  if (!caller.admin && it->second.record.owner != caller.name) {
    return absl::PermissionDeniedError(
        absl::StrCat("job ", id, " belongs to another client"));
  }
  return &it->second;
}

void Coordinator::Impl::BumpLocked(JobEntry& job) {
  ++job.version;
  job.record.update_time = UnixNow();
}

void Coordinator::Impl::SaveLocked(JobEntry& job) {
  absl::Status s = store_->UpdateJob(job.record);
  if (!s.ok()) {
    obs::LogError("cannot save job",
                  {{"job", job.record.id}, {"error", s.ToString()}});
  }
}

absl::StatusOr<JobView> Coordinator::Impl::Submit(const Caller& caller,
                                                  JobSpec spec) {
  RETURN_IF_ERROR(ValidateJobSpec(spec));
  JobRecord rec;
  if (!spec.server_path.empty()) {
    ASSIGN_OR_RETURN(rec.model_path,
                     ResolveUnderRoot(options_.model_root, spec.server_path));
    if (!spec.tokenizer_path.empty()) {
      ASSIGN_OR_RETURN(
          rec.tokenizer_path,
          ResolveUnderRoot(options_.model_root, spec.tokenizer_path));
    }
  } else {
    absl::StatusOr<UploadRecord> up = store_->GetUpload(spec.upload_id);
    if (!up.ok() || !up->complete) {
      return absl::NotFoundError(
          absl::StrCat("no finished upload ", spec.upload_id));
    }
    if (!caller.admin && up->owner != caller.name) {
      return absl::PermissionDeniedError(absl::StrCat(
          "upload ", spec.upload_id, " belongs to another client"));
    }
    const std::string dir = store_->UploadDir(spec.upload_id);
    ASSIGN_OR_RETURN(rec.model_path,
                     ResolveUnderRoot(dir, spec.upload_model_path));
    if (!spec.tokenizer_path.empty()) {
      ASSIGN_OR_RETURN(rec.tokenizer_path,
                       ResolveUnderRoot(dir, spec.tokenizer_path));
    }
    rec.upload_id = spec.upload_id;
  }
  MutexLock lock(&mu_);
  if (shutdown_) return absl::UnavailableError("the coordinator is stopping");
  if (!spec.request_id.empty()) {
    for (auto& [id, job] : jobs_) {
      if (job.record.owner == caller.name &&
          job.spec.request_id == spec.request_id) {
        return ViewLocked(job);
      }
    }
  }
  rec.id = absl::StrCat("j", RandomHex(8));
  rec.owner = caller.name;
  rec.request_id = spec.request_id;
  rec.display_name = spec.display_name;
  rec.spec = JobSpecToJson(spec);
  rec.phase = JobPhase::kQueued;
  rec.create_time = rec.update_time = UnixNow();
  RETURN_IF_ERROR(store_->CreateJob(rec));
  JobEntry& job = jobs_[rec.id];
  job.record = rec;
  job.spec = std::move(spec);
  to_plan_.push_back(rec.id);
  obs::LogInfo("job submitted", {{"job", rec.id},
                                 {"owner", rec.owner},
                                 {"model", rec.model_path},
                                 {"preset", job.spec.preset}});
  return ViewLocked(job);
}

absl::StatusOr<JobView> Coordinator::Impl::GetJob(const Caller& caller,
                                                  const std::string& id) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  return ViewLocked(*job);
}

absl::StatusOr<std::vector<JobView>> Coordinator::Impl::ListJobs(
    const Caller& caller) {
  MutexLock lock(&mu_);
  std::vector<JobView> out;
  for (const auto& [id, job] : jobs_) {
    if (caller.admin || job.record.owner == caller.name) {
      out.push_back(ViewLocked(job));
    }
  }
  std::sort(out.begin(), out.end(), [](const JobView& a, const JobView& b) {
    if (a.record.create_time != b.record.create_time) {
      return a.record.create_time > b.record.create_time;
    }
    return a.record.id > b.record.id;
  });
  return out;
}

absl::StatusOr<JobView> Coordinator::Impl::WaitJob(const Caller& caller,
                                                   const std::string& id,
                                                   uint64_t after_version,
                                                   absl::Time deadline) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  (void)job;
  const auto steady_deadline =
      std::chrono::steady_clock::now() +
      absl::ToChronoNanoseconds(
          std::max(deadline - absl::Now(), absl::ZeroDuration()));
  mu_.AwaitWithDeadline(
      [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        auto it = jobs_.find(id);
        return shutdown_ || it == jobs_.end() ||
               it->second.version > after_version;
      },
      steady_deadline);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return absl::NotFoundError(absl::StrCat("no job ", id));
  return ViewLocked(it->second);
}

absl::StatusOr<JobView> Coordinator::Impl::Cancel(const Caller& caller,
                                                  const std::string& id) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  if (IsTerminal(job->record.phase)) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", id, " has already ended"));
  }
  EndJobLocked(*job, JobPhase::kCancelled, "");
  obs::LogInfo("job cancelled", {{"job", id}});
  return ViewLocked(*job);
}

absl::Status Coordinator::Impl::Delete(const Caller& caller,
                                       const std::string& id) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  if (job->record.phase == JobPhase::kAssembling) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", id, " is being assembled; cancel it or wait for it to end"));
  }
  if (!IsTerminal(job->record.phase)) {
    EndJobLocked(*job, JobPhase::kCancelled, "");
  }
  RETURN_IF_ERROR(store_->DeleteJob(id));
  RemoveJobFilesLocked(*job);
  jobs_.erase(id);
  obs::LogInfo("job deleted", {{"job", id}});
  return absl::OkStatus();
}

void Coordinator::Impl::RemoveJobFilesLocked(const JobEntry& job) {
  std::error_code ec;
  std::filesystem::remove(store_->ResultPath(job.record.id), ec);
  const std::string& upload = job.record.upload_id;
  if (upload.empty()) return;
  for (const auto& [id, other] : jobs_) {
    if (id != job.record.id && other.record.upload_id == upload) return;
  }
  absl::Status s = store_->DeleteUpload(upload);
  if (!s.ok() && !absl::IsNotFound(s)) {
    obs::LogError("cannot delete upload",
                  {{"upload", upload}, {"error", s.ToString()}});
  }
}

absl::StatusOr<ResultFile> Coordinator::Impl::Result(const Caller& caller,
                                                     const std::string& id) {
  MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(JobEntry * job, FindLocked(caller, id));
  if (job->record.phase != JobPhase::kSucceeded) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", id, " has no result yet"));
  }
  return ResultFile{job->record.result_path, job->record.result_size,
                    job->record.result_sha256};
}

// ---- Views.

std::vector<TensorView> Coordinator::Impl::TensorViewsLocked(
    const ActiveJob& a) const {
  std::vector<TensorView> out;
  const CompressionPlan& plan = a.plan;
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& pt = plan.tensors[t];
    if (!pt.compressed) continue;
    TensorView v;
    v.name = pt.name;
    v.blocks_total = pt.geometry.num_blocks();
    v.blocks_done = a.tensor_blocks_done[t];
    v.bias = a.biases[t];
    bool all = true;
    ErrorSums sums;
    for (size_t u = pt.first_unit; u < pt.first_unit + pt.num_units; ++u) {
      if (!a.unit_done[u]) {
        all = false;
        break;
      }
      if (plan.units[u].kind == UnitKind::kCompressRows) {
        sums = AddUnitErrors(sums, a.unit_sums[u]);
      }
    }
    v.finished = all;
    if (all) v.rel_error = sums.rel_error();
    out.push_back(std::move(v));
  }
  return out;
}

JobView Coordinator::Impl::ViewLocked(const JobEntry& job) const {
  JobView v;
  v.record = job.record;
  v.spec = job.spec;
  v.version = job.version;
  if (job.active) {
    const ActiveJob& a = *job.active;
    v.blocks_total = a.plan.total_blocks;
    v.blocks_done = a.blocks_done;
    v.units_total = static_cast<int64_t>(a.plan.units.size());
    v.units_done = a.units_done;
    v.tensors = TensorViewsLocked(a);
    v.blocks_per_second = RatePerSecond(a.rate);
    if (v.blocks_per_second > 0) {
      v.eta_seconds = static_cast<double>(v.blocks_total - v.blocks_done) /
                      v.blocks_per_second;
    }
  } else {
    v.blocks_total = job.final_blocks;
    v.blocks_done = job.final_done;
    v.tensors = job.final_tensors;
  }
  const LeaseTableStats s = leases_.JobStats(job.record.id);
  v.units_leased = s.leased;
  return v;
}

// ---- Forwarders.

absl::StatusOr<std::unique_ptr<UploadSession>> Coordinator::BeginUpload(
    const Caller& caller, std::vector<UploadFileSpec> files) {
  return impl_->BeginUpload(caller, std::move(files));
}
absl::StatusOr<JobView> Coordinator::Submit(const Caller& caller,
                                            JobSpec spec) {
  return impl_->Submit(caller, std::move(spec));
}
absl::StatusOr<JobView> Coordinator::GetJob(const Caller& caller,
                                            const std::string& id) {
  return impl_->GetJob(caller, id);
}
absl::StatusOr<std::vector<JobView>> Coordinator::ListJobs(
    const Caller& caller) {
  return impl_->ListJobs(caller);
}
absl::StatusOr<JobView> Coordinator::WaitJob(const Caller& caller,
                                             const std::string& id,
                                             uint64_t after_version,
                                             absl::Time deadline) {
  return impl_->WaitJob(caller, id, after_version, deadline);
}
absl::StatusOr<JobView> Coordinator::Cancel(const Caller& caller,
                                            const std::string& id) {
  return impl_->Cancel(caller, id);
}
absl::StatusOr<std::vector<ProgressPoint>> Coordinator::JobHistory(
    const Caller& caller, const std::string& id) {
  return impl_->JobHistory(caller, id);
}
absl::Status Coordinator::Delete(const Caller& caller, const std::string& id) {
  return impl_->Delete(caller, id);
}
absl::StatusOr<ResultFile> Coordinator::Result(const Caller& caller,
                                               const std::string& id) {
  return impl_->Result(caller, id);
}
absl::StatusOr<std::string> Coordinator::RegisterWorker(
    const WorkerHello& hello) {
  return impl_->RegisterWorker(hello);
}
absl::Duration Coordinator::heartbeat_interval() const {
  return impl_->heartbeat_interval_;
}
absl::StatusOr<std::vector<std::string>> Coordinator::Heartbeat(
    const std::string& worker_id, const std::vector<std::string>& lease_ids,
    int64_t blocks_searched) {
  return impl_->Heartbeat(worker_id, lease_ids, blocks_searched);
}
void Coordinator::WorkerDisconnected(const std::string& worker_id) {
  impl_->WorkerDisconnected(worker_id);
}
absl::StatusOr<std::optional<UnitAssignment>> Coordinator::LeaseWork(
    const std::string& worker_id, absl::Duration max_wait) {
  return impl_->LeaseWork(worker_id, max_wait);
}
absl::StatusOr<CompleteResult> Coordinator::CompleteWork(
    const std::string& worker_id, const std::string& lease_id,
    UnitOutcome outcome) {
  return impl_->CompleteWork(worker_id, lease_id, std::move(outcome));
}
std::vector<WorkerView> Coordinator::Workers() const {
  return impl_->Workers();
}
void Coordinator::CountResultBytesSent(uint64_t bytes) {
  impl_->CountResultBytesSent(bytes);
}

}  // namespace seedlm::coordinator
