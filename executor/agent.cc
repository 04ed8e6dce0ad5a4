#include "executor/agent.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"
#include "executor/attachment.h"
#include "executor/executor_metrics.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"
#include "server/common/logging.h"

namespace seedlm::executor {
namespace {

// Server messages queued for the compute thread, bytes: beyond this the
// reader waits (the server keeps a window of chunks and one step in flight,
// so only a misbehaving server gets here).
constexpr size_t kMaxQueuedBytes = size_t{256} << 20;

std::string HostName() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return "localhost";
  }
  return host;
}

std::chrono::steady_clock::time_point SteadyAfter(absl::Duration d) {
  return std::chrono::steady_clock::now() +
         std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

}  // namespace

bool IsRefusal(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDataLoss:
      return true;
    default:
      return false;
  }
}

// One Attach stream: the reader (the caller of Run) and the compute thread.
class ExecutorAgent::Stream {
 public:
  static AttachmentOptions MakeAttachmentOptions(const ExecutorAgent& agent) {
    AttachmentOptions o;
    o.threads = agent.options_.threads;
    o.max_memory_bytes = agent.options_.max_memory_bytes;
    o.log = [&agent](const std::string& line) { agent.Log(line); };
    o.kind = agent.options_.kind;
    o.fpga_bytes_per_cycle = agent.options_.fpga_bytes_per_cycle;
    if (!agent.options_.log) {
      o.debug_log = [](const std::string& line) { obs::LogDebug(line); };
    }
    return o;
  }

  Stream(ExecutorAgent* agent, grpc::ClientContext* context)
      : agent_(agent),
        context_(context),
        attachment_(MakeAttachmentOptions(*agent)) {}

  // Runs the stream to its end: how it ended, or the attachment's fatal
  // error (*fatal set).
  absl::Status Run(bool* answered, bool* fatal);

 private:
  bool Write(const v1::ExecutorMessage& m);
  void ComputeLoop();
  // After a fatal error: no more writes; waits for the server to end the
  // stream, then cancels it.
  void Close(const absl::Status& error);

  ExecutorAgent* const agent_;
  grpc::ClientContext* const context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::ExecutorMessage, v1::ServerMessage>>
      stream_;
  Attachment attachment_;  // compute thread only

  Mutex write_mu_;
  bool writes_done_ ABSL_GUARDED_BY(write_mu_) = false;

  Mutex mu_;
  std::deque<std::pair<v1::ServerMessage, size_t>> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
};

bool ExecutorAgent::Stream::Write(const v1::ExecutorMessage& m) {
  MutexLock lock(&write_mu_);
  if (writes_done_) return false;
  if (!stream_->Write(m)) writes_done_ = true;
  return !writes_done_;
}

absl::Status ExecutorAgent::Stream::Run(bool* answered, bool* fatal) {
  stream_ = agent_->stub_->Attach(context_);
  v1::ExecutorMessage hello;
  v1::Hello* h = hello.mutable_hello();
  h->set_protocol_version(v1::EXECUTOR_PROTOCOL_V1);
  h->set_kind(agent_->options_.kind);
  h->set_threads(agent_->options_.threads);
  h->set_memory_bytes(static_cast<int64_t>(agent_->options_.max_memory_bytes));
  h->set_name(agent_->options_.name.empty() ? HostName()
                                            : agent_->options_.name);
  if (Write(hello)) {
    std::thread compute([this] { ComputeLoop(); });
    v1::ServerMessage msg;
    while (stream_->Read(&msg)) {
      if (!*answered) {
        *answered = true;
        agent_->Log(absl::StrCat("attached to ", agent_->options_.server));
        MutexLock lock(&agent_->mu_);
        ++agent_->stats_.attached;
      }
      if (msg.has_ping()) {
        v1::ExecutorMessage pong;
        pong.mutable_pong()->set_nonce(msg.ping().nonce());
        if (Write(pong)) {
          MutexLock lock(&agent_->mu_);
          ++agent_->stats_.pongs;
        }
        continue;
      }
      const size_t bytes = msg.ByteSizeLong();
      MutexLock lock(&mu_);
      mu_.Await([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return queued_bytes_ < kMaxQueuedBytes || !fatal_.ok();
      });
      if (!fatal_.ok()) continue;  // the attachment is over: drop it
      queued_bytes_ += bytes;
      queue_.emplace_back(std::move(msg), bytes);
    }
    {
      MutexLock lock(&mu_);
      reader_done_ = true;
    }
    compute.join();
  }
  const absl::Status ended = rpc::FromGrpcStatus(stream_->Finish());
  MutexLock lock(&mu_);
  if (!fatal_.ok()) {
    *fatal = true;
    return fatal_;
  }
  return ended;
}

void ExecutorAgent::Stream::ComputeLoop() {
  for (;;) {
    v1::ServerMessage msg;
    {
      MutexLock lock(&mu_);
      mu_.Await([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || reader_done_;
      });
      if (reader_done_) return;  // the stream ended: nobody to answer
      msg = std::move(queue_.front().first);
      queued_bytes_ -= queue_.front().second;
      queue_.pop_front();
    }
    std::vector<v1::ExecutorMessage> replies;
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t cycles0 = attachment_.fpga_cycles();
    const absl::Status s = attachment_.Apply(msg, &replies);
    int64_t steps = 0;
    for (const v1::ExecutorMessage& r : replies) {
      if (Write(r) && r.has_step_result()) ++steps;
    }
    if (ExecutorMetrics* m = agent_->metrics_.get(); m != nullptr) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      for (int64_t i = 0; i < steps; ++i) m->ObserveStep(seconds);
      m->AddFpgaCycles(attachment_.fpga_cycles() - cycles0);
      if (steps > 0 && agent_->options_.kind == "fpga-sim" &&
          msg.step().rows_size() > 0 && attachment_.last_step_tokens() > 0) {
        m->SetFpgaCyclesPerToken(
            static_cast<double>(attachment_.last_step_cycles()) /
            static_cast<double>(attachment_.last_step_tokens()));
      }
      const CpuExecutor* held = attachment_.executor();
      if (held == nullptr) {
        m->SetHeld(0, 0);
      } else {
        m->SetHeld(held->weight_bytes(),
                   held->layer_end() - held->layer_begin());
      }
    }
    if (steps > 0) {
      MutexLock lock(&agent_->mu_);
      agent_->stats_.steps += steps;
    }
    if (!s.ok()) {
      Close(s);
      return;
    }
  }
}

void ExecutorAgent::Stream::Close(const absl::Status& error) {
  {
    MutexLock lock(&mu_);
    fatal_ = error;
    queue_.clear();
    queued_bytes_ = 0;
  }
  {
    MutexLock lock(&write_mu_);
    if (!writes_done_) stream_->WritesDone();
    writes_done_ = true;
  }
  bool ended;
  {
    MutexLock lock(&mu_);
    ended = mu_.AwaitWithDeadline(
        [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return reader_done_; },
        SteadyAfter(agent_->options_.close_timeout));
  }
  if (!ended) context_->TryCancel();
}

absl::StatusOr<std::unique_ptr<ExecutorAgent>> ExecutorAgent::Create(
    ExecutorAgentOptions options) {
  if (options.server.empty()) {
    return absl::InvalidArgumentError("no server address");
  }
  if (options.kind == "fpga-sim") {
    if (!kHaveFpgaSim) {
      return absl::InvalidArgumentError(
          "executor kind 'fpga-sim': this build has no FPGA simulator (built "
          "without Verilator)");
    }
    if (options.fpga_bytes_per_cycle < 1 ||
        options.fpga_bytes_per_cycle > 4096) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fpga_bytes_per_cycle ", options.fpga_bytes_per_cycle, " (1..4096)"));
    }
  } else if (options.kind != "cpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("executor kind '", options.kind, "' (this build: cpu",
                     kHaveFpgaSim ? ", fpga-sim)" : ")"));
  }
  if (options.threads < 1 || options.threads > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads ", options.threads, " (1..1024)"));
  }
  // One simulated device: the executor runs (and reports) one thread.
  if (options.kind == "fpga-sim") options.threads = 1;
  if (options.name.size() > 128) {
    return absl::InvalidArgumentError("executor name over 128 bytes");
  }
  if (options.backoff_initial <= absl::ZeroDuration() ||
      options.backoff_max < options.backoff_initial ||
      options.close_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("bad backoff or close timeout");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds,
                   rpc::ChannelCredentials(options.tls_ca));
  std::shared_ptr<grpc::Channel> channel = rpc::Dial(options.server, creds);
  return std::unique_ptr<ExecutorAgent>(
      new ExecutorAgent(std::move(options), std::move(channel)));
}

ExecutorAgent::ExecutorAgent(ExecutorAgentOptions options,
                             std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::ExecutorService::NewStub(channel_)),
      metrics_(options_.metrics != nullptr
                   ? std::make_unique<ExecutorMetrics>(options_.metrics)
                   : nullptr) {}

ExecutorAgent::~ExecutorAgent() = default;

void ExecutorAgent::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    obs::LogInfo(line);
  }
}

void ExecutorAgent::Stop() {
  MutexLock lock(&mu_);
  stopping_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

ExecutorAgentStats ExecutorAgent::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

absl::Status ExecutorAgent::AttachOnce(bool* answered, bool* fatal) {
  grpc::ClientContext context;
  rpc::AttachToken(context, options_.token);
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopped");
    context_ = &context;
    ++stats_.streams;
  }
  Stream stream(this, &context);
  const absl::Status s = stream.Run(answered, fatal);
  if (metrics_ != nullptr) metrics_->SetHeld(0, 0);  // the attachment ended
  MutexLock lock(&mu_);
  context_ = nullptr;
  return s;
}

absl::Status ExecutorAgent::Run() {
  absl::Duration backoff = options_.backoff_initial;
  for (;;) {
    bool answered = false, fatal = false;
    const absl::Status s = AttachOnce(&answered, &fatal);
    if (fatal) {
      Log(absl::StrCat("detached: ", s.ToString()));
      return s;
    }
    {
      MutexLock lock(&mu_);
      if (stopping_) return absl::OkStatus();
    }
    if (IsRefusal(s.code())) {
      Log(absl::StrCat("detached: ", s.ToString()));
      return s;
    }
    if (answered) backoff = options_.backoff_initial;
    Log(absl::StrCat("detached: ", s.ToString(), "; reconnecting in ",
                     absl::FormatDuration(backoff)));
    MutexLock lock(&mu_);
    if (mu_.AwaitWithDeadline(
            [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; },
            SteadyAfter(backoff))) {
      return absl::OkStatus();
    }
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

}  // namespace seedlm::executor
