#include "worker/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/codec/codec.h"
#include "core/util/crc32.h"
#include "core/util/status_macros.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"
#include "worker/work_proto.h"
#include "worker/worker_internal.h"

namespace seedlm::worker {
namespace {

namespace v1 = ::seedlm::v1;

// Answers that no retry will change: this worker is refused.
bool Refused(absl::StatusCode c) {
  return c == absl::StatusCode::kUnauthenticated ||
         c == absl::StatusCode::kPermissionDenied;
}

std::string DefaultName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] != '\0' ? host : "localhost", ":", ::getpid());
}

// Sets the result of `req` from a unit's outcome (or its error); returns
// what to log and sets *blocks.
std::string SetCompletion(const absl::StatusOr<UnitOutcome>& outcome,
                          v1::CompleteWorkRequest* req, int64_t* blocks) {
  if (!outcome.ok()) {
    SetFailure(outcome.status(), req);
    return absl::StrCat("failed: ", outcome.status().ToString());
  }
  SetResult(*outcome, req);
  *blocks = outcome->blocks;
  switch (outcome->kind) {
    case UnitOutcome::Kind::kBias:
      return absl::StrCat("exponent bias ", outcome->exponent_bias);
    case UnitOutcome::Kind::kRows:
      return absl::StrCat(outcome->payload.size(), " bytes");
    case UnitOutcome::Kind::kRowsUnavailable:
      break;
  }
  return absl::StrCat("rows unavailable: ", outcome->unavailable.ToString());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(
    const WorkerOptions& options) {
  if (options.coordinator.empty()) {
    return absl::InvalidArgumentError("no coordinator address");
  }
  if (options.lease_wait_ms < 0 || options.lease_wait_ms > 60000) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease wait of ", options.lease_wait_ms, " ms"));
  }
  if (options.rpc_deadline <= absl::ZeroDuration() ||
      options.drain_deadline < absl::ZeroDuration() ||
      options.backoff_initial <= absl::ZeroDuration() ||
      options.backoff_max < options.backoff_initial) {
    return absl::InvalidArgumentError("bad deadlines or backoff");
  }
  if (options.name.size() > 256) {
    return absl::InvalidArgumentError("worker name over 256 bytes");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                   rpc::ChannelCredentials(options.tls_ca));
  std::unique_ptr<ModelRoot> root;
  if (!options.model_root.empty()) {
    ASSIGN_OR_RETURN(root, ModelRoot::Open(options.model_root));
  }
  std::vector<CodecHandshake> handshakes;
  for (const std::string& preset : PresetNames()) {
    ASSIGN_OR_RETURN(const CodecConfig codec, PresetByName(preset));
    ASSIGN_OR_RETURN(CodecHandshake h, CodecHandshakeFor(codec));
    handshakes.push_back(std::move(h));
  }
  WorkerOptions o = options;
  if (o.name.empty()) o.name = DefaultName();
  return std::unique_ptr<Worker>(new Worker(o, std::move(handshakes),
                                            std::move(root),
                                            rpc::Dial(o.coordinator, creds)));
}

Worker::Worker(const WorkerOptions& options,
               std::vector<CodecHandshake> handshakes,
               std::unique_ptr<ModelRoot> model_root,
               std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      handshakes_(std::move(handshakes)),
      model_root_(std::move(model_root)),
      channel_(std::move(channel)),
      stub_(v1::WorkService::NewStub(channel_)),
      pool_(options.threads),
      metrics_(WorkerMetrics::Create(options.metrics, pool_.num_threads())) {}

Worker::~Worker() = default;

void Worker::Log(const std::string& line, obs::LogLevel level) const {
  obs::Log(level, line, {{"name", options_.name}});
}

std::string Worker::WorkerId() const {
  std::lock_guard<std::mutex> lock(mu_);
  return worker_id_;
}

WorkerStats Worker::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Worker::CancelCalls(bool all) {
  for (Call* c : calls_) {
    if (all || c->cancel_on_stop) c->ctx.TryCancel();
  }
}

void Worker::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  drain_deadline_ = absl::Now() + options_.drain_deadline;
  obs::LogInfo(
      "drain started",
      {{"worker", worker_id_},
       {"deadline_seconds", absl::ToDoubleSeconds(options_.drain_deadline)},
       {"unit_in_hand", !current_lease_.empty()}});
  CancelCalls(/*all=*/false);
  cv_.notify_all();
}

void Worker::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = aborting_ = true;
  cancel_unit_ = true;
  CancelCalls(/*all=*/true);
  cv_.notify_all();
}

bool Worker::SleepFor(absl::Duration d, bool until_stop) {
  std::unique_lock<std::mutex> lock(mu_);
  auto woken = [&] {
    return aborting_ || run_done_ || (until_stop && stopping_);
  };
  cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + d), woken);
  return !woken();
}

absl::Status Worker::Run() {
  std::thread timer([this] { TimerLoop(); });
  std::thread heartbeat;
  absl::Status s = Register("");
  if (s.ok()) {
    heartbeat = std::thread([this] { HeartbeatLoop(); });
    s = LeaseLoop();
  } else if (s.code() == absl::StatusCode::kCancelled) {
    s = absl::OkStatus();  // stopped before it registered
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_done_ = stopping_ = true;
    CancelCalls(/*all=*/true);  // closes the heartbeat stream: leases freed
    cv_.notify_all();
    if (!fatal_.ok()) s = fatal_;
  }
  if (heartbeat.joinable()) heartbeat.join();
  timer.join();
  Log(s.ok() ? "stopped" : absl::StrCat("stopped: ", s.ToString()));
  return s;
}

absl::Status Worker::RegisterOnce() {
  v1::RegisterWorkerRequest req;
  req.set_name(options_.name);
  req.set_threads(pool_.num_threads());
  for (const CodecHandshake& h : handshakes_) {
    *req.add_handshakes() = HandshakeToProto(h);
  }
  req.set_build_id(absl::StrCat("seedlm-worker (" __VERSION__ ")"));
  req.set_has_model_root(model_root_ != nullptr);
  v1::RegisterWorkerResponse resp;
  {
    Call call(this, /*cancel_on_stop=*/true,
              absl::Now() + options_.rpc_deadline);
    RETURN_IF_ERROR(
        rpc::FromGrpcStatus(stub_->RegisterWorker(&call.ctx, req, &resp)));
  }
  if (resp.worker_id().empty() || resp.worker_id().size() > 1024) {
    return absl::UnknownError("the coordinator sent no usable worker id");
  }
  const int64_t ms = resp.heartbeat_interval_ms();
  std::lock_guard<std::mutex> lock(mu_);
  worker_id_ = resp.worker_id();
  heartbeat_interval_ =
      ms <= 0 ? absl::Seconds(1)
              : absl::Milliseconds(std::clamp<int64_t>(ms, 10, 60000));
  ++stats_.registrations;
  cv_.notify_all();
  obs::LogInfo("registered", {{"worker", worker_id_},
                              {"name", options_.name},
                              {"coordinator", options_.coordinator},
                              {"threads", pool_.num_threads()},
                              {"heartbeat_seconds",
                               absl::ToDoubleSeconds(heartbeat_interval_)}});
  return absl::OkStatus();
}

absl::Status Worker::Register(const std::string& stale_id) {
  std::lock_guard<std::mutex> reg(reg_mu_);
  if (WorkerId() != stale_id) return absl::OkStatus();  // done meanwhile
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return absl::CancelledError("stopping");
    }
    absl::Status s = RegisterOnce();
    if (s.ok() || !Transient(s.code())) return s;
    const absl::Duration d = backoff.Next();
    Log(absl::StrCat("cannot register with ", options_.coordinator, ": ",
                     s.ToString(), "; retrying in ", absl::FormatDuration(d)));
    SleepFor(d, /*until_stop=*/true);
  }
}

absl::Status Worker::LeaseLoop() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return absl::OkStatus();
    }
    const std::string id = WorkerId();
    v1::LeaseWorkRequest req;
    req.set_worker_id(id);
    req.set_max_wait_ms(options_.lease_wait_ms);
    v1::LeaseWorkResponse resp;
    const absl::Time start = absl::Now();
    absl::Status s;
    {
      Call call(this, /*cancel_on_stop=*/true,
                start + absl::Milliseconds(options_.lease_wait_ms) +
                    options_.rpc_deadline);
      s = rpc::FromGrpcStatus(stub_->LeaseWork(&call.ctx, req, &resp));
    }
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
      if (s.ok() && stopping && !resp.lease_id().empty()) {
        ++stats_.units_dropped;  // freed when the heartbeat stream closes
      }
    }
    if (stopping) continue;
    if (s.ok()) {
      backoff.Reset();
      if (!resp.lease_id().empty()) {
        RunLease(id, resp);
      } else if (absl::Now() - start < absl::Milliseconds(10)) {
        SleepFor(absl::Milliseconds(100), true);  // no busy loop
      }
      continue;
    }
    if (s.code() == absl::StatusCode::kNotFound) {
      Log(absl::StrCat("the coordinator does not know worker ", id, " (",
                       s.message(), "): registering again"));
      absl::Status r = Register(id);
      if (!r.ok() && r.code() != absl::StatusCode::kCancelled) return r;
      continue;
    }
    if (Refused(s.code())) return s;
    const absl::Duration d = backoff.Next();
    Log(absl::StrCat("LeaseWork: ", s.ToString(), "; retrying in ",
                     absl::FormatDuration(d)));
    SleepFor(d, /*until_stop=*/true);
  }
}

void Worker::RunLease(const std::string& worker_id,
                      const v1::LeaseWorkResponse& lease) {
  const std::string& lease_id = lease.lease_id();
  const std::string what = absl::StrCat("job ", lease.unit().job_id(), " unit ",
                                        lease.unit().unit_index());
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_lease_ = lease_id;
    current_revoked_ = revoked_.count(lease_id) > 0;
    cancel_unit_ = current_revoked_ || aborting_;
  }
  const absl::Time start = absl::Now();
  int64_t last_done = 0;  // progress calls are serialised
  SearchCallbacks cb;
  cb.cancel = &cancel_unit_;
  cb.progress = [&](int64_t done, int64_t) {
    const int64_t delta = done >= last_done ? done - last_done : done;
    blocks_searched_ += delta;
    if (metrics_) metrics_->AddBlocksSearched(delta);
    last_done = done;
  };
  if (metrics_) metrics_->UnitStarted(pool_.num_threads());
  absl::StatusOr<UnitOutcome> outcome = [&]() -> absl::StatusOr<UnitOutcome> {
    ASSIGN_OR_RETURN(const UnitTask task, TaskFromProto(lease.unit()));
    return RunUnit(task, model_root_.get(), &pool_, cb, options_.algorithm);
  }();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (metrics_) metrics_->UnitFinished(seconds);
  bool drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drop = current_revoked_ || aborting_ ||
           outcome.status().code() == absl::StatusCode::kCancelled;
    if (drop) {
      ++stats_.units_dropped;
      obs::LogWarn(
          "unit dropped",
          {{"job", lease.unit().job_id()},
           {"unit", lease.unit().unit_index()},
           {"lease", lease_id},
           {"seconds", seconds},
           {"reason", current_revoked_ ? "lease revoked" : "stopping"}});
      current_lease_.clear();
    }
  }
  if (drop) return;
  v1::CompleteWorkRequest req;
  req.set_worker_id(worker_id);
  req.set_lease_id(lease_id);
  int64_t blocks = 0;
  const std::string result = SetCompletion(outcome, &req, &blocks);
  if (req.has_rows() && !req.rows().payload().empty() &&
      corrupted_units_ < options_.testing_corrupt_units) {
    ++corrupted_units_;
    std::string* payload = req.mutable_rows()->mutable_payload();
    (*payload)[0] = static_cast<char>((*payload)[0] ^ 1);
    req.mutable_rows()->set_crc32(Crc32(payload->data(), payload->size()));
    Log(absl::StrCat(what,
                     ": corrupting the payload (--testing-corrupt-units)"));
  }
  UnitLog log;
  log.job = lease.unit().job_id();
  log.unit = lease.unit().unit_index();
  log.result = result;
  log.blocks = blocks;
  log.seconds = seconds;
  log.bias = outcome.ok() && outcome->kind == UnitOutcome::Kind::kBias;
  log.failed = !outcome.ok();
  Complete(std::move(req), log);
  std::lock_guard<std::mutex> lock(mu_);
  current_lease_.clear();
}

void Worker::Complete(v1::CompleteWorkRequest request, const UnitLog& unit) {
  const std::string done = absl::StrCat("job ", unit.job, " unit ", unit.unit);
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  for (;;) {
    absl::Time deadline = absl::Now() + options_.rpc_deadline;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborting_) {
        ++stats_.units_dropped;
        Log(absl::StrCat(done, ": dropped (stopping)"));
        return;
      }
      if (stopping_) deadline = std::min(deadline, drain_deadline_);
    }
    v1::CompleteWorkResponse resp;
    absl::Status s;
    {
      Call call(this, /*cancel_on_stop=*/false, deadline);
      s = rpc::FromGrpcStatus(stub_->CompleteWork(&call.ctx, request, &resp));
    }
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++(resp.accepted() ? stats_.units_completed : stats_.units_rejected);
      const obs::LogFields fields = {{"worker", request.worker_id()},
                                     {"job", unit.job},
                                     {"unit", unit.unit},
                                     {"lease", request.lease_id()},
                                     {"blocks", unit.blocks},
                                     {"seconds", unit.seconds},
                                     {"result", unit.result}};
      if (unit.failed) {
        obs::LogWarn("unit failed", fields);
      } else if (!resp.accepted()) {
        obs::Log(obs::LogLevel::kWarn,
                 absl::StrCat("unit not accepted: ", resp.reason()), fields);
      } else {
        if (metrics_) metrics_->UnitDone(unit.bias);
        obs::LogDebug("unit done", fields);
      }
      return;
    }
    if (!Transient(s.code())) {
      // NOT_FOUND: the coordinator forgot this worker (the lease loop
      // registers again); others: the completion itself is refused.
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.units_dropped;
      Log(absl::StrCat(done, ": CompleteWork refused: ", s.ToString()));
      return;
    }
    const absl::Duration d = backoff.Next();
    Log(absl::StrCat(done, ": CompleteWork: ", s.ToString(), "; retrying in ",
                     absl::FormatDuration(d)));
    SleepFor(d, /*until_stop=*/false);
  }
}

}  // namespace seedlm::worker
