// Private to the coordinator (coordinator*.cc): the state behind
// Coordinator. One mutex guards it all; slow work (opening and planning a
// model, reading a unit's rows, verifying a result, assembling) runs outside
// it on immutable ActiveJob parts held by shared_ptr.
#ifndef SEEDLM_SERVER_COORDINATOR_COORDINATOR_IMPL_H_
#define SEEDLM_SERVER_COORDINATOR_COORDINATOR_IMPL_H_

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/compress/tensor_compressor.h"
#include "core/model/model_source.h"
#include "core/search/searcher.h"
#include "core/util/mutex.h"
#include "server/coordinator/coordinator.h"
#include "server/coordinator/coordinator_metrics.h"
#include "server/coordinator/lease_table.h"

namespace seedlm::coordinator {

// A planned job: immutable after activation except the fields marked.
struct ActiveJob {
  std::unique_ptr<ModelSource> source;
  CompressionPlan plan;
  CodecHandshake handshake;
  // The model relative to the model root (server paths only; "" for
  // uploads: their rows always travel by value).
  std::string model_rel_path;
  // One searcher per exponent bias, made on first use (guarded by mu_).
  std::map<int, std::shared_ptr<const BlockSearcher>> searchers;
  // Guarded by Impl::mu_:
  std::vector<std::optional<int>> biases;  // per plan tensor
  std::vector<char> unit_done;
  std::vector<ErrorSums> unit_sums;
  std::vector<int64_t> tensor_blocks_done;
  int64_t blocks_done = 0;
  int64_t units_done = 0;
  std::map<int64_t, int> failures;         // per unit
  std::set<std::string> excluded_workers;  // caught with a wrong result
  std::set<std::string> by_value_workers;  // their RowsRef failed
  std::deque<std::pair<absl::Time, int64_t>> rate;  // (time, blocks_done)
};

struct JobEntry {
  JobRecord record;
  JobSpec spec;
  uint64_t version = 1;
  std::shared_ptr<ActiveJob> active;  // set while RUNNING / ASSEMBLING
  // Progress of an ended job, kept for views (the plan is dropped).
  int64_t final_blocks = 0;
  int64_t final_done = 0;
  std::vector<TensorView> final_tensors;
  ProgressHistory history;  // sampled by TickerLoop while active
};

struct WorkerEntry {
  WorkerView view;
  WorkerHello hello;
  std::set<std::string> codec_ids;  // handshakes that match ours
  RateWindow rate;                  // (heartbeat time, view.blocks)
};

class Coordinator::Impl {
 public:
  explicit Impl(CoordinatorOptions options, std::unique_ptr<JobStore> store);
  ~Impl();
  void StartThreads();
  void Shutdown();

  // coordinator.cc
  absl::StatusOr<std::unique_ptr<UploadSession>> BeginUpload(
      const Caller& caller, std::vector<UploadFileSpec> files);
  absl::StatusOr<JobView> Submit(const Caller& caller, JobSpec spec);
  absl::StatusOr<JobView> GetJob(const Caller& caller, const std::string& id);
  absl::StatusOr<std::vector<JobView>> ListJobs(const Caller& caller);
  absl::StatusOr<JobView> WaitJob(const Caller& caller, const std::string& id,
                                  uint64_t after_version, absl::Time deadline);
  absl::StatusOr<JobView> Cancel(const Caller& caller, const std::string& id);
  absl::Status Delete(const Caller& caller, const std::string& id);
  absl::StatusOr<ResultFile> Result(const Caller& caller,
                                    const std::string& id);
  absl::StatusOr<std::vector<ProgressPoint>> JobHistory(const Caller& caller,
                                                        const std::string& id);

  // coordinator_work.cc
  absl::StatusOr<std::string> RegisterWorker(const WorkerHello& hello);
  absl::StatusOr<std::vector<std::string>> Heartbeat(
      const std::string& worker_id, const std::vector<std::string>& lease_ids,
      int64_t blocks_searched);
  void WorkerDisconnected(const std::string& worker_id);
  absl::StatusOr<std::optional<UnitAssignment>> LeaseWork(
      const std::string& worker_id, absl::Duration max_wait);
  absl::StatusOr<CompleteResult> CompleteWork(const std::string& worker_id,
                                              const std::string& lease_id,
                                              UnitOutcome outcome);
  std::vector<WorkerView> Workers() const;
  void CountResultBytesSent(uint64_t bytes);

  const CoordinatorOptions options_;
  absl::Duration heartbeat_interval_;

 private:
  // coordinator.cc: sets the gauges (the metrics collect hook).
  void CollectMetrics();
  // Count a refused / an accepted completion (no-op without metrics).
  void CountRejected(RejectReason reason);
  void CountAccepted(const WorkUnit& wu, const CompressionPlan& plan);

  // coordinator_jobs.cc: background work.
  void Recover();
  void PlannerLoop();
  void AssemblerLoop();
  void TickerLoop();
  absl::Status Activate(const std::string& id);
  absl::Status Assemble(const std::string& id);
  void SweepRetention();
  // Adds a ProgressHistory sample to every active job.
  void SampleProgress();
  // The job ends with `phase` (and `error`); its leases are revoked.
  void EndJobLocked(JobEntry& job, JobPhase phase, const std::string& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists the record (logs a store error: the in-memory state stays).
  void SaveLocked(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  JobView ViewLocked(const JobEntry& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<TensorView> TensorViewsLocked(const ActiveJob& a) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<JobEntry*> FindLocked(const Caller& caller,
                                       const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BumpLocked(JobEntry& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveJobFilesLocked(const JobEntry& job)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // coordinator_work.cc helpers.
  absl::StatusOr<std::shared_ptr<const BlockSearcher>> SearcherFor(
      ActiveJob& active, int bias);
  absl::Status FillRows(const ActiveJob& active, const WorkerEntry& worker,
                        UnitAssignment& a);
  CompleteResult RecordLocked(JobEntry& job, ActiveJob& active,
                              const std::string& worker_id,
                              const std::string& lease_id, int64_t unit,
                              const UnitOutcome& outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  friend class Coordinator;
  friend class UploadSessionImpl;

  std::unique_ptr<JobStore> store_;
  LeaseTable leases_;
  const std::string instance_;  // random, prefixes worker ids

  mutable Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, JobEntry> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, WorkerEntry> workers_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> to_plan_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> to_assemble_ ABSL_GUARDED_BY(mu_);
  // Grows whenever units may have become ready (LeaseWork waiters).
  uint64_t work_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_worker_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> uploads_in_progress_ ABSL_GUARDED_BY(mu_);

  std::vector<std::thread> threads_;

  // Null without a registry; set at construction.
  const std::unique_ptr<CoordinatorMetrics> metrics_;
  int collect_hook_ = 0;  // 0 = none (StartThreads / Shutdown only)
  // Lease expiries already counted (the lease table's running total).
  int64_t expiries_counted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_COORDINATOR_IMPL_H_
