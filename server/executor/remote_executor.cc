// RemoteExecutor: the server's side of an Attach stream.
#include "server/executor/remote_executor.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/util/status_macros.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/credentials.h"
#include "proto/rpc/status.h"

namespace seedlm::serve {
namespace {

// Room in a Step message for everything but the hidden states.
constexpr int64_t kStepOverheadBytes = 64 << 10;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(d));
}

void FillHeader(int64_t plan, int index, const StoredWeight& w,
                v1::TensorHeader* h) {
  h->set_plan_id(plan);
  h->set_index(index);
  h->set_name(w.entry.name);
  for (int64_t d : w.entry.shape) h->add_shape(d);
  h->set_storage(rpc::ToProto(w.entry.storage));
  if (w.entry.storage == Storage::kSeedLM ||
      w.entry.storage == Storage::kTrellis) {
    *h->mutable_codec() = rpc::ToProto(w.entry.codec);
    h->set_exponent_bias(w.entry.exponent_bias);
  }
  h->set_size(static_cast<int64_t>(w.payload.size()));
  h->set_crc32(w.entry.crc);
}

}  // namespace

absl::Duration LoadTimeout(uint64_t total_bytes) {
  return absl::Seconds(60) +
         absl::Seconds(static_cast<double>(total_bytes) / 50e6);
}

RemoteExecutor::RemoteExecutor(std::string id,
                               ExecutorAnnouncement announcement,
                               grpc::ServerContext* context, Stream* stream,
                               const RemoteExecutorOptions& options)
    : id_(std::move(id)),
      announcement_(std::move(announcement)),
      context_(context),
      stream_(stream),
      options_(options) {
  MutexLock l(&mu_);
  last_read_ = Clock::now();
}

RemoteExecutor::~RemoteExecutor() = default;

std::string RemoteExecutor::Who() const {
  return absl::StrCat(
      "executor ", id_, " (",
      announcement_.name.empty() ? announcement_.kind : announcement_.name,
      ", layers [", range_.begin, ", ", range_.end, "))");
}

void RemoteExecutor::FailLocked(const absl::Status& why, bool cancel) {
  if (dead_) return;
  dead_ = true;
  const std::string prefix = absl::StrCat("executor ", id_, " ");
  final_ =
      absl::StartsWith(why.message(), prefix)
          ? why
          : absl::Status(why.code(), absl::StrCat(Who(), ": ", why.message()));
  if (cancel && !closed_) context_->TryCancel();
}

absl::Status RemoteExecutor::DeadError(absl::string_view doing) const {
  absl::StatusCode code = final_.code();
  if (code != absl::StatusCode::kDataLoss &&
      code != absl::StatusCode::kDeadlineExceeded) {
    code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(
      code, absl::StrCat(final_.message(), " (while it was ", doing, ")"));
}

bool RemoteExecutor::alive() const {
  MutexLock l(&mu_);
  return !dead_;
}

void RemoteExecutor::Fail(const absl::Status& why) {
  MutexLock l(&mu_);
  FailLocked(why, /*cancel=*/true);
}

int RemoteExecutor::layer_begin() const {
  MutexLock l(&mu_);
  return range_.begin;
}

int RemoteExecutor::layer_end() const {
  MutexLock l(&mu_);
  return range_.end;
}

std::string RemoteExecutor::description() const {
  MutexLock l(&mu_);
  return absl::StrCat(id_, " (", announcement_.kind, " on ", announcement_.name,
                      ", layers [", range_.begin, ", ", range_.end, "))");
}

uint64_t RemoteExecutor::weight_bytes() const {
  MutexLock l(&mu_);
  return weight_bytes_;
}

uint64_t RemoteExecutor::memory_bytes() const {
  MutexLock l(&mu_);
  return memory_bytes_;
}

bool RemoteExecutor::Write(const v1::ServerMessage& message) {
  MutexLock w(&write_mu_);
  {
    MutexLock l(&mu_);
    if (closed_) return false;
    writing_ = true;
  }
  const bool ok = stream_->Write(message);
  MutexLock l(&mu_);
  writing_ = false;
  return ok;
}

// ---- The read loop and the heartbeat.

absl::Status RemoteExecutor::Serve() {
  {
    MutexLock l(&mu_);
    last_read_ = Clock::now();
  }
  std::thread heartbeat([this] { Heartbeat(); });
  v1::ExecutorMessage message;
  while (stream_->Read(&message)) {
    MutexLock l(&mu_);
    last_read_ = Clock::now();
    if (dead_) break;
    const absl::Status st = Dispatch(message);
    if (!st.ok()) {
      FailLocked(st, /*cancel=*/false);
      break;
    }
  }
  absl::Status result;
  {
    MutexLock l(&mu_);
    if (!dead_) {
      // The executor closed its side (OK), or the stream broke.
      result = context_->IsCancelled()
                   ? absl::UnavailableError("the stream broke")
                   : absl::OkStatus();
      FailLocked(
          absl::UnavailableError(context_->IsCancelled() ? "its stream broke"
                                                         : "it detached"),
          /*cancel=*/false);
    } else {
      result = final_;
    }
    closed_ = true;
    // No Write may outlive Serve (the handler then ends the stream); one
    // stuck on flow control ends when the call is cancelled.
    if (!mu_.AwaitWithDeadline(
            [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; },
            Clock::now() + std::chrono::seconds(2))) {
      context_->TryCancel();
      mu_.Await([this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; });
    }
  }
  heartbeat.join();
  return result;
}

void RemoteExecutor::Heartbeat() {
  for (int64_t nonce = 1;; ++nonce) {
    {
      MutexLock l(&mu_);
      mu_.AwaitWithDeadline([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                mu_) { return closed_ || dead_; },
                            Clock::now() + ToChrono(options_.ping_interval));
      if (closed_ || dead_) return;
      const Clock::duration silent = Clock::now() - last_read_;
      if (silent > ToChrono(options_.heartbeat_timeout)) {
        FailLocked(absl::UnavailableError(absl::StrFormat(
                       "%s missed its heartbeat for %.1f s", Who(),
                       std::chrono::duration<double>(silent).count())),
                   /*cancel=*/true);
        return;
      }
    }
    v1::ServerMessage ping;
    ping.mutable_ping()->set_nonce(nonce);
    if (!Write(ping)) {
      MutexLock l(&mu_);
      FailLocked(absl::UnavailableError("its stream broke (Ping)"),
                 /*cancel=*/true);
      return;
    }
  }
}

absl::Status RemoteExecutor::Dispatch(const v1::ExecutorMessage& message) {
  switch (message.kind_case()) {
    case v1::ExecutorMessage::kWeightAck: {
      const v1::WeightAck& a = message.weight_ack();
      if (load_plan_ == 0 || a.plan_id() != load_plan_ ||
          a.chunks() < chunks_acked_ || a.chunks() > chunks_sent_) {
        return absl::InvalidArgumentError(
            absl::StrCat(Who(), ": WeightAck of plan ", a.plan_id(), " for ",
                         a.chunks(), " chunks does not match plan ", load_plan_,
                         " with ", chunks_sent_, " chunks sent"));
      }
      chunks_acked_ = a.chunks();
      return absl::OkStatus();
    }
    case v1::ExecutorMessage::kLoaded:
      if (load_plan_ == 0 || message.loaded().plan_id() != load_plan_ ||
          loaded_.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Who(), ": unexpected Loaded of plan ", message.loaded().plan_id()));
      }
      loaded_ = message.loaded();
      return absl::OkStatus();
    case v1::ExecutorMessage::kStepResult:
      if (step_pending_ == 0 ||
          message.step_result().step_id() != step_pending_ ||
          step_result_.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Who(), ": unexpected StepResult of step ",
                         message.step_result().step_id()));
      }
      step_result_ = message.step_result().hidden();
      return absl::OkStatus();
    case v1::ExecutorMessage::kPong:
      return absl::OkStatus();
    case v1::ExecutorMessage::kError: {
      const v1::ExecutorError& e = message.error();
      absl::StatusCode code = rpc::CodeFromWire(e.code());
      if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
      return absl::Status(code,
                          absl::StrCat(Who(), " reported: ", e.message()));
    }
    case v1::ExecutorMessage::kHello:
      return absl::InvalidArgumentError(
          absl::StrCat(Who(), ": a second Hello"));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(Who(), ": an empty ExecutorMessage"));
  }
}

// ---- Load: Assign, the weights, Loaded.

absl::Status RemoteExecutor::Load(LayerRange range, const WeightSource& weights,
                                  const ExecutorBuild& build) {
  const LlamaConfig& config = weights.config();
  if (range.begin < 0 || range.end < range.begin ||
      range.end > config.n_layers) {
    return absl::InvalidArgumentError(
        absl::StrCat("layers [", range.begin, ", ", range.end,
                     ") of a model of ", config.n_layers));
  }
  const std::vector<std::string> names =
      LayerTensorNames(config, range.begin, range.end);
  uint64_t total = 0;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(StoredWeight w, weights.Get(name));
    total += w.payload.size();
  }
  v1::ServerMessage m;
  v1::Assign* a = m.mutable_assign();
  {
    MutexLock l(&mu_);
    if (dead_) return DeadError("loading layers");
    load_plan_ = ++next_plan_;
    chunks_sent_ = chunks_acked_ = 0;
    loaded_.reset();
    range_ = range;
    dim_ = config.dim;
    max_sequences_ = build.max_sequences;
    weight_bytes_ = memory_bytes_ = 0;
    open_.clear();
    to_open_.clear();
    to_close_.clear();
    a->set_plan_id(load_plan_);
  }
  a->set_layer_begin(range.begin);
  a->set_layer_end(range.end);
  a->set_n_layers(config.n_layers);
  a->set_source_format(weights.metadata().source_format);
  a->set_arch_config_json(weights.metadata().arch_config_json);
  a->set_context(build.context);
  a->set_max_sequences(build.max_sequences);
  a->set_max_step_tokens(build.max_step_tokens);
  a->set_tensor_count(static_cast<int32_t>(names.size()));
  a->set_total_bytes(static_cast<int64_t>(total));
  a->set_window_chunks(options_.window_chunks);
  const int64_t plan = a->plan_id();
  const Clock::time_point deadline =
      Clock::now() + ToChrono(LoadTimeout(total));
  absl::Status st = Write(m)
                        ? SendWeights(plan, weights, names, deadline)
                        : absl::UnavailableError("its stream broke (Assign)");
  if (st.ok()) st = AwaitLoaded(plan, deadline);
  MutexLock l(&mu_);
  load_plan_ = 0;
  if (!st.ok()) {
    FailLocked(st, /*cancel=*/true);
    return DeadError("loading layers");
  }
  weight_bytes_ =
      static_cast<uint64_t>(std::max<int64_t>(0, loaded_->weight_bytes()));
  memory_bytes_ =
      static_cast<uint64_t>(std::max<int64_t>(0, loaded_->memory_bytes()));
  return absl::OkStatus();
}

absl::Status RemoteExecutor::SendWeights(int64_t plan,
                                         const WeightSource& weights,
                                         const std::vector<std::string>& names,
                                         Clock::time_point deadline) {
  bool first_chunk = true;
  for (size_t i = 0; i < names.size(); ++i) {
    ASSIGN_OR_RETURN(StoredWeight w, weights.Get(names[i]));
    v1::ServerMessage header;
    FillHeader(plan, static_cast<int>(i), w, header.mutable_tensor());
    if (!Write(header)) {
      return absl::UnavailableError("its stream broke (TensorHeader)");
    }
    const int64_t size = static_cast<int64_t>(w.payload.size());
    for (int64_t offset = 0; offset < size; offset += options_.chunk_bytes) {
      {
        MutexLock l(&mu_);
        const bool ready = mu_.AwaitWithDeadline(
            [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
              return dead_ ||
                     chunks_sent_ - chunks_acked_ < options_.window_chunks;
            },
            deadline);
        if (dead_) return final_;
        if (!ready) {
          return absl::DeadlineExceededError(
              "no WeightAck before the load's deadline");
        }
        ++chunks_sent_;  // before the write: the ack may come at once
      }
      const int64_t n = std::min(options_.chunk_bytes, size - offset);
      v1::ServerMessage chunk;
      v1::WeightChunk* c = chunk.mutable_chunk();
      c->set_plan_id(plan);
      c->set_index(static_cast<int32_t>(i));
      c->set_offset(offset);
      c->set_data(reinterpret_cast<const char*>(w.payload.data()) + offset,
                  static_cast<size_t>(n));
      if (first_chunk && options_.corrupt_weights_for_testing) {
        (*c->mutable_data())[0] ^= 0x01;
      }
      first_chunk = false;
      if (!Write(chunk)) {
        return absl::UnavailableError("its stream broke (WeightChunk)");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RemoteExecutor::AwaitLoaded(int64_t plan,
                                         Clock::time_point deadline) {
  MutexLock l(&mu_);
  const bool ready =
      mu_.AwaitWithDeadline([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                mu_) { return dead_ || loaded_.has_value(); },
                            deadline);
  if (dead_) return final_;
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("plan ", plan, ": no Loaded before the load's deadline"));
  }
  return absl::OkStatus();
}

// ---- Sequences and steps.

absl::Status RemoteExecutor::Open(int64_t seq) {
  MutexLock l(&mu_);
  if (dead_) return DeadError("opening a sequence");
  if (open_.count(seq) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("sequence ", seq, " is already open on ", Who()));
  }
  if (static_cast<int>(open_.size()) >= max_sequences_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        Who(), " has ", max_sequences_, " sequences open, its most"));
  }
  open_.insert(seq);
  to_open_.push_back(seq);
  return absl::OkStatus();
}

void RemoteExecutor::Close(int64_t seq) {
  MutexLock l(&mu_);
  if (open_.erase(seq) == 0) return;
  auto it = std::find(to_open_.begin(), to_open_.end(), seq);
  if (it != to_open_.end()) {
    to_open_.erase(it);  // never reached the executor
  } else {
    to_close_.push_back(seq);
  }
}

absl::Status RemoteExecutor::CheckStep(absl::Span<const ExecutorRows> rows,
                                       size_t floats) const {
  const int64_t bytes = static_cast<int64_t>(floats * sizeof(float));
  int64_t total = 0;
  std::set<int64_t> seen;
  for (const ExecutorRows& r : rows) {
    if (r.n < 1 || r.pos < 0 || !seen.insert(r.seq).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("rows of sequence ", r.seq, ": n ", r.n, ", pos ", r.pos,
                       " (n >= 1, pos >= 0, each sequence once)"));
    }
    if (open_.count(r.seq) == 0) {
      return absl::NotFoundError(
          absl::StrCat("sequence ", r.seq, " is not open on ", Who()));
    }
    total += r.n;
  }
  if (rows.empty() || static_cast<int64_t>(floats) != total * dim_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hidden states of ", floats, " floats for ", total, " rows of ", dim_));
  }
  if (bytes + kStepOverheadBytes > rpc::kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a step of ", bytes, " bytes of hidden states exceeds the ",
        rpc::kMaxMessageBytes, "-byte message limit"));
  }
  return absl::OkStatus();
}

absl::Status RemoteExecutor::Step(absl::Span<const ExecutorRows> rows,
                                  absl::Span<float> hidden) {
  v1::ServerMessage m;
  v1::Step* step = m.mutable_step();
  int64_t id = 0;
  const int64_t bytes = static_cast<int64_t>(hidden.size() * sizeof(float));
  {
    MutexLock l(&mu_);
    if (dead_) return DeadError("running a step");
    RETURN_IF_ERROR(CheckStep(rows, hidden.size()));
    id = ++next_step_;
    step_pending_ = id;
    step_result_.reset();
    for (int64_t s : to_close_) step->add_close(s);
    for (int64_t s : to_open_) step->add_open(s);
    to_close_.clear();
    to_open_.clear();
  }
  step->set_step_id(id);
  for (const ExecutorRows& r : rows) {
    v1::StepRows* out = step->add_rows();
    out->set_seq(r.seq);
    out->set_pos(r.pos);
    out->set_n(r.n);
  }
  // Little-endian hosts only, as the rest of the project.
  step->set_hidden(reinterpret_cast<const char*>(hidden.data()),
                   static_cast<size_t>(bytes));
  const bool sent = Write(m);
  MutexLock l(&mu_);
  if (!sent) {
    FailLocked(absl::UnavailableError("its stream broke (Step)"),
               /*cancel=*/true);
  }
  const bool ready = mu_.AwaitWithDeadline(
      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return dead_ || step_result_.has_value();
      },
      Clock::now() + ToChrono(options_.step_timeout));
  step_pending_ = 0;
  if (!dead_ && !ready) {
    FailLocked(absl::UnavailableError(
                   absl::StrCat("step ", id, ": no StepResult within ",
                                absl::FormatDuration(options_.step_timeout))),
               /*cancel=*/true);
  }
  if (!dead_ && static_cast<int64_t>(step_result_->size()) != bytes) {
    FailLocked(absl::UnavailableError(absl::StrCat(
                   "step ", id, ": StepResult of ", step_result_->size(),
                   " bytes, expected ", bytes)),
               /*cancel=*/true);
  }
  if (dead_) {
    return absl::UnavailableError(
        absl::StrCat(final_.message(), " (while it was running a step)"));
  }
  std::memcpy(hidden.data(), step_result_->data(), static_cast<size_t>(bytes));
  step_result_.reset();
  return absl::OkStatus();
}

}  // namespace seedlm::serve
