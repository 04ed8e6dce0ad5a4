#include "executor/attachment.h"

#include <cstring>
#include <utility>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"
#include "proto/rpc/convert.h"

#ifdef SEEDLM_HAVE_FPGA_SIM
#include "fpga/host/fpga_linear.h"
#endif

// Step.hidden carries little-endian float32: copied as they are here.
#ifndef ABSL_IS_LITTLE_ENDIAN
#error "seedlm-executor assumes a little-endian host (Step.hidden)"
#endif

namespace seedlm::executor {

struct FpgaState {
#ifdef SEEDLM_HAVE_FPGA_SIM
  std::unique_ptr<fpga::FpgaDevice> device;  // the current plan's
#endif
  uint64_t cycles_before = 0;  // of the devices of earlier plans
  std::string engine;          // the current device's description
  int64_t tokens_since_log = 0;
  bool logged = false;  // whether the plan's first step was logged
  uint64_t cycles_since_log = 0;

  uint64_t cycles() const {
#ifdef SEEDLM_HAVE_FPGA_SIM
    if (device != nullptr) return cycles_before + device->cycles();
#endif
    return cycles_before;
  }
};

namespace {

// Tokens between two info lines of an fpga-sim attachment.
constexpr int64_t kFpgaLogTokens = 64;

absl::StatusOr<TensorEntry> EntryFromProto(const v1::TensorHeader& t) {
  TensorEntry e;
  e.name = t.name();
  e.shape.assign(t.shape().begin(), t.shape().end());
  ASSIGN_OR_RETURN(e.storage, rpc::FromProto(t.storage()));
  if (e.storage == Storage::kSeedLM || e.storage == Storage::kTrellis) {
    ASSIGN_OR_RETURN(e.codec, rpc::FromProto(t.codec()));
    e.exponent_bias = t.exponent_bias();
  }
  if (t.size() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", t.name(), ": negative size"));
  }
  e.size = static_cast<uint64_t>(t.size());
  e.crc = t.crc32();
  return e;
}

v1::ExecutorMessage ErrorMessage(const absl::Status& s, int64_t plan_id,
                                 int64_t step_id) {
  v1::ExecutorMessage m;
  v1::ExecutorError* e = m.mutable_error();
  e->set_code(static_cast<int>(s.code()));
  e->set_message(std::string(s.message()));
  e->set_plan_id(plan_id);
  e->set_step_id(step_id);
  return m;
}

std::string RangeText(const v1::Assign& a) {
  return absl::StrCat("[", a.layer_begin(), ", ", a.layer_end(), ")");
}

}  // namespace

Attachment::Attachment(AttachmentOptions options)
    : options_(std::move(options)) {
  if (options_.kind == "fpga-sim") fpga_ = std::make_unique<FpgaState>();
}

Attachment::~Attachment() {
  executor_.reset();  // its model computes on fpga_'s device
}

int Attachment::Threads() const {
  return fpga_ != nullptr ? 1 : options_.threads;
}

std::string Attachment::description() const {
  if (fpga_ == nullptr) {
    return absl::StrCat("cpu (", Threads(),
                        Threads() == 1 ? " thread)" : " threads)");
  }
  return absl::StrCat(
      "fpga-sim (", fpga_->engine.empty() ? "no engine loaded" : fpga_->engine,
      ")");
}

uint64_t Attachment::fpga_cycles() const {
  return fpga_ != nullptr ? fpga_->cycles() : 0;
}

absl::Status Attachment::WrapForFpga(LlamaModel* model) {
#ifdef SEEDLM_HAVE_FPGA_SIM
  fpga::EngineOptions eo;
  eo.bytes_per_cycle = options_.fpga_bytes_per_cycle;
  fpga_->cycles_before = fpga_->cycles();
  fpga_->device = std::make_unique<fpga::FpgaDevice>(eo);
  fpga_->engine.clear();
  fpga_->logged = false;
  fpga_->tokens_since_log = 0;
  fpga_->cycles_since_log = 0;
  absl::StatusOr<int> n = fpga::WrapPackedLinears(model, fpga_->device.get());
  if (!n.ok()) {
    return absl::Status(n.status().code(),
                        absl::StrCat("fpga-sim: ", n.status().message()));
  }
  fpga_->engine = fpga_->device->description();
  Log(absl::StrCat("fpga-sim: ", *n, " linear layers on ", fpga_->engine,
                   "; attention, norms and the rest on the CPU"));
  return absl::OkStatus();
#else
  (void)model;
  return absl::UnimplementedError(
      "this build has no FPGA simulator (built without Verilator)");
#endif
}

void Attachment::AccountFpgaStep(uint64_t cycles_before, int64_t tokens) {
  const uint64_t cycles = fpga_->cycles() - cycles_before;
  last_step_cycles_ = cycles;
  if (options_.debug_log) {
    options_.debug_log(absl::StrFormat(
        "fpga-sim step: %d tokens, %d simulated cycles (%.0f per token)",
        tokens, cycles, static_cast<double>(cycles) / tokens));
  }
  fpga_->tokens_since_log += tokens;
  fpga_->cycles_since_log += cycles;
  if (fpga_->tokens_since_log >= kFpgaLogTokens || !fpga_->logged) {
    Log(absl::StrFormat(
        "fpga-sim: %.0f simulated cycles per token over the last %d tokens "
        "(%d cycles in all)",
        static_cast<double>(fpga_->cycles_since_log) / fpga_->tokens_since_log,
        fpga_->tokens_since_log, fpga_->cycles()));
    fpga_->logged = true;
    fpga_->tokens_since_log = 0;
    fpga_->cycles_since_log = 0;
  }
}

void Attachment::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

absl::Status Attachment::Apply(const v1::ServerMessage& message,
                               std::vector<v1::ExecutorMessage>* replies) {
  if (!fatal_.ok()) return fatal_;
  absl::Status s;
  switch (message.kind_case()) {
    case v1::ServerMessage::kAssign:
      s = OnAssign(message.assign(), replies);
      break;
    case v1::ServerMessage::kTensor:
      s = OnTensor(message.tensor(), replies);
      break;
    case v1::ServerMessage::kChunk:
      s = OnChunk(message.chunk(), replies);
      break;
    case v1::ServerMessage::kStep: {
      v1::ExecutorMessage reply;
      const absl::Status step = RunStep(
          message.step(), reply.mutable_step_result()->mutable_hidden());
      if (step.ok()) {
        reply.mutable_step_result()->set_step_id(message.step().step_id());
        replies->push_back(std::move(reply));
      } else {
        replies->push_back(ErrorMessage(step, 0, message.step().step_id()));
      }
      return absl::OkStatus();
    }
    default:
      s = absl::InvalidArgumentError(
          absl::StrCat("unexpected server message (kind ",
                       static_cast<int>(message.kind_case()), ")"));
  }
  if (!s.ok()) {
    fatal_ = s;
    executor_.reset();
    assembler_.reset();
    loading_ = false;
    replies->push_back(ErrorMessage(s, assign_.plan_id(), 0));
  }
  return s;
}

absl::Status Attachment::CheckAssign(const v1::Assign& a) {
  if (a.plan_id() <= assign_.plan_id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Assign.plan_id ", a.plan_id(), " after plan ", assign_.plan_id()));
  }
  if (a.n_layers() < 0 || a.layer_begin() < 0 ||
      a.layer_begin() > a.layer_end() || a.layer_end() > a.n_layers()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Assign: layers ", RangeText(a), " of ", a.n_layers()));
  }
  if (a.tensor_count() < 0 || a.tensor_count() > kMaxTensorCount ||
      a.total_bytes() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("Assign: ", a.tensor_count(),
                                                   " tensors of ",
                                                   a.total_bytes(), " bytes"));
  }
  if (a.layer_begin() == a.layer_end()) {
    if (a.tensor_count() != 0 || a.total_bytes() != 0) {
      return absl::InvalidArgumentError("Assign: tensors for an empty range");
    }
    return absl::OkStatus();
  }
  if (a.arch_config_json().size() > kMaxArchConfigBytes) {
    return absl::InvalidArgumentError("Assign.arch_config_json over 64 KiB");
  }
  if (a.context() < 1 || a.context() > kMaxContext || a.max_sequences() < 1 ||
      a.max_sequences() > kMaxSequences || a.max_step_tokens() < 1 ||
      a.max_step_tokens() > kMaxStepTokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Assign: context ", a.context(), ", max_sequences ", a.max_sequences(),
        ", max_step_tokens ", a.max_step_tokens()));
  }
  ASSIGN_OR_RETURN(config_,
                   ParseLlamaConfig(a.source_format(), a.arch_config_json()));
  if (config_.n_layers != a.n_layers()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Assign.n_layers ", a.n_layers(), " but the config has ",
                     config_.n_layers));
  }
  if (options_.max_memory_bytes > 0) {
    CpuExecutorOptions o;
    o.context = a.context();
    o.max_sequences = a.max_sequences();
    o.max_step_tokens = a.max_step_tokens();
    o.threads = Threads();
    const uint64_t need =
        static_cast<uint64_t>(a.total_bytes()) +
        CpuExecutor::OverheadBytes(config_, a.layer_end() - a.layer_begin(), o);
    if (need > options_.max_memory_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "layers ", RangeText(a), " need about ", need,
          " bytes (weights and KV caches); this executor may hold ",
          options_.max_memory_bytes));
    }
  }
  return absl::OkStatus();
}

absl::Status Attachment::OnAssign(const v1::Assign& a,
                                  std::vector<v1::ExecutorMessage>* replies) {
  // A new assignment forgets the layers and every sequence first.
  executor_.reset();
  assembler_.reset();
  loading_ = false;
  current_index_ = -1;
  chunks_ = 0;
  const int64_t previous_plan = assign_.plan_id();
  const absl::Status checked = CheckAssign(a);
  assign_ = a;
  if (!checked.ok()) {
    if (a.plan_id() <= previous_plan) assign_.set_plan_id(previous_plan);
    return checked;
  }
  if (a.layer_begin() == a.layer_end()) {
    Log(absl::StrCat("plan ", a.plan_id(), ": no layers (standing by)"));
    v1::ExecutorMessage m;
    m.mutable_loaded()->set_plan_id(a.plan_id());
    replies->push_back(std::move(m));
    return absl::OkStatus();
  }
  Log(absl::StrCat("loading layers ", RangeText(a), ": ", a.tensor_count(),
                   " tensors, ", a.total_bytes(), " bytes"));
  assembler_ =
      std::make_unique<WeightAssembler>(static_cast<size_t>(a.tensor_count()),
                                        static_cast<uint64_t>(a.total_bytes()));
  loading_ = true;
  load_start_ = absl::Now();
  return MaybeBuild(replies);
}

absl::Status Attachment::OnTensor(const v1::TensorHeader& t,
                                  std::vector<v1::ExecutorMessage>* replies) {
  if (!loading_ || t.plan_id() != assign_.plan_id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TensorHeader of plan ", t.plan_id(),
                     loading_ ? " while loading plan " : " while not loading",
                     loading_ ? absl::StrCat(assign_.plan_id()) : ""));
  }
  if (t.index() != static_cast<int64_t>(assembler_->tensors_complete())) {
    return absl::InvalidArgumentError(
        absl::StrCat("TensorHeader.index ", t.index(), ", expected ",
                     assembler_->tensors_complete()));
  }
  ASSIGN_OR_RETURN(TensorEntry entry, EntryFromProto(t));
  RETURN_IF_ERROR(assembler_->BeginTensor(entry));
  current_index_ = t.index();
  // A tensor without payload is complete at once.
  return MaybeBuild(replies);
}

absl::Status Attachment::OnChunk(const v1::WeightChunk& c,
                                 std::vector<v1::ExecutorMessage>* replies) {
  if (!loading_ || c.plan_id() != assign_.plan_id() ||
      c.index() != current_index_) {
    return absl::InvalidArgumentError(
        absl::StrCat("WeightChunk of plan ", c.plan_id(), " tensor ", c.index(),
                     " out of order (plan ", assign_.plan_id(), ", tensor ",
                     current_index_, loading_ ? ")" : ", not loading)"));
  }
  if (c.data().size() > kMaxChunkBytes || c.offset() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("WeightChunk of ", c.data().size(), " bytes at offset ",
                     c.offset(), " (at most 1 MiB)"));
  }
  RETURN_IF_ERROR(assembler_->AddChunk(
      static_cast<uint64_t>(c.offset()),
      absl::Span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(c.data().data()), c.data().size())));
  ++chunks_;
  v1::ExecutorMessage ack;
  ack.mutable_weight_ack()->set_plan_id(assign_.plan_id());
  ack.mutable_weight_ack()->set_chunks(chunks_);
  replies->push_back(std::move(ack));
  return MaybeBuild(replies);
}

absl::Status Attachment::MaybeBuild(std::vector<v1::ExecutorMessage>* replies) {
  if (assembler_->tensors_complete() <
      static_cast<size_t>(assign_.tensor_count())) {
    return absl::OkStatus();
  }
  if (assembler_->bytes_received() !=
      static_cast<uint64_t>(assign_.total_bytes())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tensors hold ", assembler_->bytes_received(),
        " bytes; Assign.total_bytes said ", assign_.total_bytes()));
  }
  ASSIGN_OR_RETURN(std::vector<OwnedTensor> tensors, assembler_->Finish());
  assembler_.reset();
  loading_ = false;
  ModelMetadata metadata;
  metadata.source_format = assign_.source_format();
  metadata.arch_config_json = assign_.arch_config_json();
  LoadModelOptions lo;
  lo.layer_begin = assign_.layer_begin();
  lo.layer_end = assign_.layer_end();
  lo.load_embedding = false;
  lo.load_head = false;
  ASSIGN_OR_RETURN(std::unique_ptr<LlamaModel> model,
                   LlamaModel::FromTensors(metadata, std::move(tensors), lo));
  if (fpga_ != nullptr) RETURN_IF_ERROR(WrapForFpga(model.get()));
  CpuExecutorOptions eo;
  eo.context = assign_.context();
  eo.max_sequences = assign_.max_sequences();
  eo.max_step_tokens = assign_.max_step_tokens();
  eo.threads = Threads();
  ASSIGN_OR_RETURN(executor_, CpuExecutor::Create(std::move(model), eo));
  Log(absl::StrFormat("loaded layers %s in %.2f s (%d bytes held) on %s",
                      RangeText(assign_),
                      absl::ToDoubleSeconds(absl::Now() - load_start_),
                      executor_->memory_bytes(), description()));
  v1::ExecutorMessage m;
  m.mutable_loaded()->set_plan_id(assign_.plan_id());
  m.mutable_loaded()->set_weight_bytes(
      static_cast<int64_t>(executor_->weight_bytes()));
  m.mutable_loaded()->set_memory_bytes(
      static_cast<int64_t>(executor_->memory_bytes()));
  replies->push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status Attachment::RunStep(const v1::Step& step,
                                 std::string* hidden_out) {
  if (executor_ == nullptr) {
    return absl::FailedPreconditionError(
        loading_ ? "a step while the layers are loading"
                 : "a step with no layers loaded");
  }
  const int dim = config_.dim;
  rows_.clear();
  int64_t tokens = 0;
  for (const v1::StepRows& r : step.rows()) {
    if (r.n() < 1 || r.pos() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Step rows of sequence ", r.seq(), ": n ", r.n(), " at ", r.pos()));
    }
    tokens += r.n();
    rows_.push_back(ExecutorRows{r.seq(), r.pos(), r.n()});
  }
  const uint64_t want = static_cast<uint64_t>(tokens) * dim * sizeof(float);
  if (step.hidden().size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("Step: ", step.hidden().size(), " hidden bytes for ",
                     tokens, " tokens of dim ", dim, " (", want, " expected)"));
  }
  for (int64_t seq : step.close()) executor_->Close(seq);
  for (int64_t seq : step.open()) RETURN_IF_ERROR(executor_->Open(seq));
  if (rows_.empty()) {  // only opens and closes
    hidden_out->clear();
    return absl::OkStatus();
  }
  hidden_.resize(static_cast<size_t>(tokens) * dim);
  std::memcpy(hidden_.data(), step.hidden().data(), want);
  const uint64_t cycles_before = fpga_cycles();
  RETURN_IF_ERROR(executor_->Step(rows_, absl::MakeSpan(hidden_)));
  last_step_tokens_ = tokens;
  if (fpga_ != nullptr) {
#ifdef SEEDLM_HAVE_FPGA_SIM
    // An engine fault left NaN rows: the step fails with it.
    RETURN_IF_ERROR(fpga_->device->status());
#endif
    AccountFpgaStep(cycles_before, tokens);
  }
  hidden_out->assign(reinterpret_cast<const char*>(hidden_.data()), want);
  return absl::OkStatus();
}

}  // namespace seedlm::executor
