// The executor side of one ExecutorService attachment
// (proto/seedlm/v1/executor.proto), without the RPC: applies the server's
// messages (Assign, TensorHeader, WeightChunk, Step; not Ping, which the
// agent answers itself) in stream order to a WeightAssembler and a
// CpuExecutor, and says what to answer. The gRPC loop around it is
// executor/agent.h.
//
// Errors split in two:
//  - Fatal (an assignment or its weights): malformed or out-of-order
//    messages (INVALID_ARGUMENT), a CRC mismatch (DATA_LOSS), a plan over
//    the memory limit (RESOURCE_EXHAUSTED), a model that cannot be built
//    (its error). Apply returns the error and appends the ExecutorError to
//    send; the attachment is then over (the agent closes the stream).
//  - A step that fails (no layers loaded: FAILED_PRECONDITION; rows that do
//    not match the hidden bytes: INVALID_ARGUMENT; the executor's own
//    errors) is answered with an ExecutorError naming the step, and Apply
//    returns OK: the server decides what becomes of the attachment.
//
// Kinds: "cpu" runs the layers on a CpuExecutor of options.threads threads.
// "fpga-sim" (builds with SEEDLM_HAVE_FPGA_SIM: CMake with Verilator) wraps
// the model's packed linear layers (fpga/host/fpga_linear.h) so that they
// run on the simulated SeedLM engine, one simulated device per plan, and
// runs the rest on a CpuExecutor of ONE thread (the engine then gets whole
// matrices); a model it cannot serve that way (a codec without engine,
// seed-trellis or dense weights only) is a fatal error of the assignment.
// An engine error fails the step (and the plan's later ones). Each step's
// simulated cycles are logged (debug), and the plan's first step and then
// every ~64 tokens their cycles per token (info).
//
// Thread-compatible: one thread applies the messages (the agent's compute
// thread).

#ifndef SEEDLM_EXECUTOR_ATTACHMENT_H_
#define SEEDLM_EXECUTOR_ATTACHMENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/runtime/cpu_executor.h"
#include "core/runtime/llama_config.h"
#include "core/runtime/weight_stream.h"
#include "seedlm/v1/executor.pb.h"

namespace seedlm::executor {

// Bounds on what a server may ask (beyond the gRPC message size limit).
inline constexpr int kMaxTensorCount = 65536;
inline constexpr int kMaxChunkBytes = 1 << 20;
inline constexpr int kMaxArchConfigBytes = 64 << 10;
inline constexpr int kMaxContext = 1 << 24;
inline constexpr int kMaxSequences = 1 << 16;
inline constexpr int kMaxStepTokens = 1 << 20;

struct AttachmentOptions {
  int threads = 1;                // the CpuExecutor's threads (>= 1)
  uint64_t max_memory_bytes = 0;  // weights + overhead; 0: no limit
  // Where the progress lines go ("loading layers ...", "loaded layers
  // ..."); null: nowhere.
  std::function<void(const std::string&)> log;
  // "cpu" or "fpga-sim" (see the file comment; threads is then ignored).
  std::string kind = "cpu";
  int fpga_bytes_per_cycle = 64;  // the engine's memory port (fpga-sim)
  // Where the per-step lines go (fpga-sim); null: nowhere.
  std::function<void(const std::string&)> debug_log;
};

// The per-plan state of an fpga-sim attachment (attachment.cc).
struct FpgaState;

class Attachment {
 public:
  explicit Attachment(AttachmentOptions options);
  ~Attachment();
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  // Applies `message` (REQUIRES: not a Ping), appending the answers to send
  // in order to *replies (WeightAck, Loaded, StepResult or ExecutorError).
  // Returns a fatal error (see the file comment) after appending its
  // ExecutorError; once one was returned, every later call returns it
  // again and appends nothing.
  absl::Status Apply(const v1::ServerMessage& message,
                     std::vector<v1::ExecutorMessage>* replies);

  // The current assignment's plan id (0 before the first Assign).
  int64_t plan_id() const { return assign_.plan_id(); }
  // The loaded executor, or null (no assignment, an empty range, still
  // loading).
  const CpuExecutor* executor() const { return executor_.get(); }
  // "cpu (N threads)", or for fpga-sim "fpga-sim (ENGINE)" where ENGINE is
  // the engine's description once loaded, e.g. "seedlm_engine 4bit-p4, 16
  // lanes, 64 B/cycle".
  std::string description() const;

  // fpga-sim: the simulated engine cycles of every step so far, over every
  // plan of this attachment (0 for cpu).
  uint64_t fpga_cycles() const;
  // The last step that ran tokens: their number and (fpga-sim) the
  // simulated cycles it took; 0 before any.
  int64_t last_step_tokens() const { return last_step_tokens_; }
  uint64_t last_step_cycles() const { return last_step_cycles_; }

 private:
  absl::Status OnAssign(const v1::Assign& a,
                        std::vector<v1::ExecutorMessage>* replies);
  absl::Status CheckAssign(const v1::Assign& a);
  absl::Status OnTensor(const v1::TensorHeader& t,
                        std::vector<v1::ExecutorMessage>* replies);
  absl::Status OnChunk(const v1::WeightChunk& c,
                       std::vector<v1::ExecutorMessage>* replies);
  // Builds the model and executor once every tensor arrived.
  absl::Status MaybeBuild(std::vector<v1::ExecutorMessage>* replies);
  absl::Status RunStep(const v1::Step& step, std::string* hidden_out);
  // The executor's threads for this kind.
  int Threads() const;
  // fpga-sim: puts `model`'s packed linears on a new simulated device.
  absl::Status WrapForFpga(LlamaModel* model);
  // fpga-sim: the step's cycles into the logs (and last_step_cycles_).
  void AccountFpgaStep(uint64_t cycles_before, int64_t tokens);
  void Log(const std::string& line) const;

  const AttachmentOptions options_;
  absl::Status fatal_;
  v1::Assign assign_;  // the current assignment
  bool loading_ = false;
  LlamaConfig config_;  // of the current assignment (non-empty range)
  std::unique_ptr<WeightAssembler> assembler_;
  int current_index_ = -1;  // the tensor whose chunks are arriving
  int64_t chunks_ = 0;      // chunks of this plan so far
  absl::Time load_start_;
  // fpga-sim: the device the executor's model computes on. Declared before
  // executor_, which owns the model, so that it outlives it.
  std::unique_ptr<FpgaState> fpga_;
  std::unique_ptr<CpuExecutor> executor_;
  int64_t last_step_tokens_ = 0;
  uint64_t last_step_cycles_ = 0;
  std::vector<float> hidden_;  // a step's rows
  std::vector<ExecutorRows> rows_;
};

}  // namespace seedlm::executor

#endif  // SEEDLM_EXECUTOR_ATTACHMENT_H_
