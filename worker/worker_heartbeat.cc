// Worker's heartbeat thread (the Heartbeat stream, revocations) and drain
// timer; the rest of Worker is in worker.cc.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/rpc/status.h"
#include "worker/worker.h"
#include "worker/worker_internal.h"

namespace seedlm::worker {
namespace {

namespace v1 = ::seedlm::v1;

// The most revoked lease ids remembered (those revoked before their unit
// started are recognised).
constexpr size_t kMaxRememberedRevocations = 256;

}  // namespace

void Worker::HeartbeatLoop() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  for (;;) {
    std::string id;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return run_done_ || !worker_id_.empty(); });
      if (run_done_) return;
      id = worker_id_;
    }
    bool answered = false;
    const absl::Status s = HeartbeatStream(id, &answered);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (run_done_ || aborting_) return;
      ++stats_.stream_reconnects;
    }
    if (answered) backoff.Reset();
    if (s.code() == absl::StatusCode::kNotFound) {
      Log(absl::StrCat("heartbeat: the coordinator does not know worker ", id,
                       ": registering again"));
      const absl::Status r = Register(id);
      if (!r.ok() && r.code() != absl::StatusCode::kCancelled) {
        std::lock_guard<std::mutex> lock(mu_);
        fatal_ = r;
        stopping_ = aborting_ = true;
        cancel_unit_ = true;
        CancelCalls(/*all=*/true);
        cv_.notify_all();
        return;
      }
      continue;
    }
    const absl::Duration d = backoff.Next();
    Log(absl::StrCat("heartbeat stream ended (", s.ToString(),
                     "); reconnecting in ", absl::FormatDuration(d)));
    SleepFor(d, /*until_stop=*/false);
  }
}

absl::Status Worker::HeartbeatStream(const std::string& id, bool* answered) {
  Call call(this, /*cancel_on_stop=*/false, absl::InfiniteFuture());
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::HeartbeatRequest, v1::HeartbeatResponse>>
      stream = stub_->Heartbeat(&call.ctx);
  bool reader_done = false;              // guarded by mu_
  absl::Time last_answer = absl::Now();  // guarded by mu_
  std::thread reader([&] {
    v1::HeartbeatResponse resp;
    while (stream->Read(&resp)) {
      std::lock_guard<std::mutex> lock(mu_);
      last_answer = absl::Now();
      *answered = true;
      for (const std::string& r : resp.revoked_lease_ids()) OnRevoked(r);
    }
    std::lock_guard<std::mutex> lock(mu_);
    reader_done = true;
    cv_.notify_all();
  });
  bool close = false;  // we end the stream (shutdown, silence, new id)
  for (;;) {
    v1::HeartbeatRequest req;
    absl::Duration interval;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (run_done_ || aborting_ || worker_id_ != id) {
        close = true;
        break;
      }
      interval = heartbeat_interval_;
      req.set_worker_id(id);
      if (!current_lease_.empty()) req.add_lease_ids(current_lease_);
    }
    req.set_blocks_searched(blocks_searched_.exchange(0));
    if (!stream->Write(req)) break;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + interval),
                   [&] { return reader_done || run_done_ || aborting_; });
    if (reader_done) break;
    // The coordinator answers every heartbeat: silence means a dead peer.
    const absl::Duration silence = absl::Now() - last_answer;
    if (silence > 3 * interval + options_.rpc_deadline) {
      Log(absl::StrCat("heartbeat: no answer for ",
                       absl::FormatDuration(silence)));
      close = true;
      break;
    }
  }
  if (close) {
    stream->WritesDone();
    call.ctx.TryCancel();
  }
  reader.join();
  return rpc::FromGrpcStatus(stream->Finish());
}

void Worker::OnRevoked(const std::string& lease_id) {
  if (revoked_.size() >= kMaxRememberedRevocations) revoked_.clear();
  revoked_.insert(lease_id);
  if (lease_id == current_lease_ && !current_revoked_) {
    current_revoked_ = true;
    cancel_unit_ = true;
    Log(absl::StrCat("lease ", lease_id, " revoked: cancelling its unit"));
  }
}

void Worker::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (run_done_) return;
    if (stopping_ && !aborting_) {
      if (absl::Now() >= drain_deadline_) {
        aborting_ = true;
        cancel_unit_ = true;
        CancelCalls(/*all=*/true);
        cv_.notify_all();
        Log("drain deadline passed: dropping the unit in hand");
        continue;
      }
      cv_.wait_until(lock, absl::ToChronoTime(drain_deadline_));
    } else {
      cv_.wait(lock);
    }
  }
}

}  // namespace seedlm::worker
