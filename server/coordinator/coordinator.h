// The compression coordinator, RPC-free: jobs (submit, plan, watch, cancel,
// delete, fetch), uploads, and the workers that pull work units. The gRPC
// CompressionService and WorkService (compression_service.h,
// work_service.h) are thin adapters over this class.
//
// Job life cycle (JobPhase, job_store.h):
//
//   submit --> QUEUED --planned--> RUNNING --last unit--> ASSEMBLING
//                 |                   |                       |
//                 +--model/plan error-+--unit failed N times--+--> FAILED
//   QUEUED/RUNNING/ASSEMBLING --CancelJob--> CANCELLED
//   ASSEMBLING --container written, renamed into place--> SUCCEEDED
//
// Units (lease_table.h): waiting -> ready -> leased -> done. A completed
// unit is checked (size, CRC, `verify_blocks` blocks re-searched), written
// to its own file and recorded in the store in one transaction before it
// counts as done, so a coordinator killed at any point and restarted on the
// same state dir re-plans each unfinished job, replays its recorded units
// and hands out only the rest; a job killed during assembly is assembled
// again. Leases live in memory only: units leased at a kill are redone.
//
// Thread-safe. Background threads (planning, assembly, lease expiry and
// retention) run until Shutdown() or destruction.
#ifndef SEEDLM_SERVER_COORDINATOR_COORDINATOR_H_
#define SEEDLM_SERVER_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/compress/compression_plan.h"
#include "core/compress/handshake.h"
#include "server/coordinator/job_spec.h"
#include "server/coordinator/job_store.h"
#include "server/coordinator/progress_history.h"
#include "server/coordinator/upload_receiver.h"

namespace seedlm::obs {
class MetricsRegistry;
}  // namespace seedlm::obs

namespace seedlm::coordinator {

struct CoordinatorOptions {
  std::string state_dir;   // required
  std::string model_root;  // "" = no server paths, uploads only
  absl::Duration lease_timeout = absl::Seconds(30);
  // Blocks re-searched per completed unit (0 = none).
  int verify_blocks = 8;
  // Finished jobs, their results and uploads are removed this long after
  // their last update (zero = kept until DeleteJob).
  absl::Duration retain = absl::ZeroDuration();
  uint64_t max_upload_bytes = uint64_t{1} << 40;
  int64_t unit_blocks = kDefaultUnitBlocks;
  // A unit that fails (worker-reported errors) this often fails its job.
  int max_unit_failures = 3;
  // Tests only: a pause before each assembly (to kill the coordinator
  // during one).
  absl::Duration testing_assembly_delay = absl::ZeroDuration();
  // Where the coordinator registers its seedlm_coordinator_* metrics (not
  // owned; must outlive the coordinator). Null: no metrics.
  obs::MetricsRegistry* metrics = nullptr;
};

// Who is calling (from the RPC layer's token check).
struct Caller {
  std::string name;   // "" when auth is off
  bool admin = true;  // sees every job
};

struct TensorView {
  std::string name;
  int64_t blocks_done = 0;
  int64_t blocks_total = 0;
  bool finished = false;
  double rel_error = 0;
  std::optional<int> bias;
};

// A job as clients see it.
struct JobView {
  JobRecord record;
  JobSpec spec;
  uint64_t version = 0;  // grows with every change (WaitJob)
  int64_t blocks_done = 0;
  int64_t blocks_total = 0;
  int64_t units_done = 0;
  int64_t units_total = 0;
  int64_t units_leased = 0;
  double blocks_per_second = 0;
  double eta_seconds = 0;
  std::vector<TensorView> tensors;  // compressed tensors, plan order
};

struct WorkerHello {
  std::string name;
  int threads = 1;
  std::vector<CodecHandshake> handshakes;
  std::string build_id;
  bool has_model_root = false;
};

struct WorkerView {
  std::string id;
  std::string name;
  int threads = 0;
  absl::Time last_seen;
  int64_t blocks = 0;            // searched, as reported by heartbeats
  int64_t units_done = 0;        // accepted
  int64_t rejected = 0;          // results that failed checks
  int64_t leases = 0;            // held now
  double blocks_per_second = 0;  // heartbeats over the last minute
};

// A unit leased to a worker.
struct UnitAssignment {
  std::string lease_id;
  std::string job_id;
  int64_t unit_index = 0;
  UnitKind kind = UnitKind::kCompressRows;
  CodecConfig codec;
  CodecHandshake handshake;
  ExponentMode mode = ExponentMode::kSearch;
  int bias = 0;  // kCompressRows: the tensor's bias
  int64_t rows = 0, cols = 0, row_begin = 0, row_end = 0;
  uint64_t payload_bytes = 0;
  DType dtype = DType::kF32;
  // Rows sent by reference (the worker reads them under its model root) or
  // by value (rows_data: unit_rows.h UnitStoredRows bytes).
  bool by_reference = false;
  std::string model_path;   // by_reference: relative to the model root
  std::string tensor_name;  // by_reference
  std::vector<uint8_t> rows_data;
  uint32_t rows_crc32 = 0;  // of the stored rows, either way
};

struct UnitOutcome {
  enum class Kind { kRows, kBias, kFailure } kind = Kind::kRows;
  std::vector<uint8_t> payload;  // kRows
  uint32_t crc32 = 0;
  double sq_error = 0, sq_norm = 0;
  int bias = 0;                   // kBias
  bool rows_unavailable = false;  // kFailure
  std::string message;            // kFailure
};

struct CompleteResult {
  bool accepted = false;
  std::string reason;
};

struct ResultFile {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
};

class UploadSession;

class Coordinator {
 public:
  // Opens the store, recovers every unfinished job (planned again in the
  // background) and starts the background threads. Errors of the store.
  static absl::StatusOr<std::unique_ptr<Coordinator>> Start(
      CoordinatorOptions options);
  ~Coordinator();  // Shutdown()

  // Stops the background threads and wakes every waiter (LeaseWork,
  // WaitJob return at once). Idempotent.
  void Shutdown();

  // ---- Clients. Every job call checks ownership: PERMISSION_DENIED for
  // another client's job unless the caller is an admin; NOT_FOUND for an
  // unknown id.

  // Starts receiving an upload (UploadReceiver's checks).
  absl::StatusOr<std::unique_ptr<UploadSession>> BeginUpload(
      const Caller& caller, std::vector<UploadFileSpec> files);
  // Validates and records a job (QUEUED); planning continues in the
  // background. A repeated request_id of the same caller returns the first
  // job. INVALID_ARGUMENT (ValidateJobSpec), PERMISSION_DENIED / NOT_FOUND
  // for a server path outside the root or missing, NOT_FOUND for an
  // unknown or unfinished upload, FAILED_PRECONDITION without a model root.
  absl::StatusOr<JobView> Submit(const Caller& caller, JobSpec spec);
  absl::StatusOr<JobView> GetJob(const Caller& caller, const std::string& id);
  // The caller's jobs (every job for an admin), newest first.
  absl::StatusOr<std::vector<JobView>> ListJobs(const Caller& caller);
  // The job once its version exceeds `after_version`, or at `deadline`
  // (then as it is), or at Shutdown.
  absl::StatusOr<JobView> WaitJob(const Caller& caller, const std::string& id,
                                  uint64_t after_version, absl::Time deadline);
  // FAILED_PRECONDITION for a job that already ended.
  absl::StatusOr<JobView> Cancel(const Caller& caller, const std::string& id);
  // Removes a job (cancelling it first if it runs), its units, result and
  // upload (unless another job uses it).
  absl::Status Delete(const Caller& caller, const std::string& id);
  // The job's progress samples, oldest first (ProgressHistory: about one per
  // second while it runs, at most 600).
  absl::StatusOr<std::vector<ProgressPoint>> JobHistory(const Caller& caller,
                                                        const std::string& id);
  // FAILED_PRECONDITION unless the job SUCCEEDED.
  absl::StatusOr<ResultFile> Result(const Caller& caller,
                                    const std::string& id);

  // ---- Workers.

  // FAILED_PRECONDITION when a handshake names a codec this build runs but
  // its seed-table CRC differs (a build that would disagree), or none of
  // them matches. Returns the worker id.
  absl::StatusOr<std::string> RegisterWorker(const WorkerHello& hello);
  absl::Duration heartbeat_interval() const;
  // Renews the named leases; returns those the worker must drop. NOT_FOUND
  // for an unknown worker (e.g. registered before a restart).
  absl::StatusOr<std::vector<std::string>> Heartbeat(
      const std::string& worker_id, const std::vector<std::string>& lease_ids,
      int64_t blocks_searched);
  // The worker's heartbeat stream ended: its leases are freed at once.
  void WorkerDisconnected(const std::string& worker_id);
  // Waits up to `max_wait` for a unit. nullopt when none came. NOT_FOUND
  // for an unknown worker.
  absl::StatusOr<std::optional<UnitAssignment>> LeaseWork(
      const std::string& worker_id, absl::Duration max_wait);
  // Checks and records a result. NOT_FOUND for an unknown worker; a late,
  // duplicate or failing result is answered accepted = false with why.
  absl::StatusOr<CompleteResult> CompleteWork(const std::string& worker_id,
                                              const std::string& lease_id,
                                              UnitOutcome outcome);
  std::vector<WorkerView> Workers() const;

  // Counts result bytes the RPC layer sent to a client (FetchResult) in
  // seedlm_coordinator_download_bytes_total. Thread-safe; no-op without
  // metrics.
  void CountResultBytesSent(uint64_t bytes);

  const CoordinatorOptions& options() const;

  class Impl;

 private:
  explicit Coordinator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An upload in progress (Coordinator::BeginUpload). Finish() records it;
// destroying it unfinished removes what was received. Thread-compatible.
class UploadSession {
 public:
  virtual ~UploadSession() = default;
  virtual absl::Status Write(uint32_t file_index, uint64_t offset,
                             absl::Span<const uint8_t> data,
                             uint32_t crc32) = 0;
  // Returns the upload id. Errors of UploadReceiver::Finish (DATA_LOSS for
  // a file whose sha256 differs).
  virtual absl::StatusOr<std::string> Finish() = 0;
  virtual uint64_t bytes_received() const = 0;
};

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_COORDINATOR_H_
