// Executors: what runs a contiguous range of a model's transformer layers.
//
// An inference server embeds tokens, passes the hidden states of a batch of
// sequences through a chain of executors that together hold layers
// [0, n_layers), and computes the logits from what comes out
// (layer_pipeline.h). An executor may be in-process (CpuExecutor, the
// embedded default: today's runtime over a LlamaModel part), a separate
// process the server streamed the packed weights of its layers to (server/
// executor/), or a simulated FPGA engine. They all follow the forward pass
// that llama_forward.h defines, bit for bit, so the logits do not depend on
// how the layers are split between executors.
//
// Contract of every implementation:
//  - Weights: an executor is loaded with the weights of its layers (their
//    stored form: packed blocks stay packed and are decoded on the fly) and
//    holds them until it is destroyed; it never sees the embedding or head.
//  - Sequences are opened and closed explicitly by id (any int64 the caller
//    picks, unique among open sequences). Each open sequence owns a KV
//    cache for the executor's layers of `context` positions; at most
//    max_sequences are open at once. Caches are allocated when the executor
//    is created, so memory_bytes() does not grow with load.
//  - Step: the hidden states of a batch (float32, exactly the residual
//    stream: rows of seqs[0], then seqs[1], ...) go through the layers in
//    place; sequence i's rows are tokens at positions pos .. pos + n - 1.
//  - Errors: INVALID_ARGUMENT for rows that do not match the hidden span or
//    a repeated sequence; NOT_FOUND for a sequence that is not open;
//    FAILED_PRECONDITION for a position gap (pos beyond what the sequence's
//    cache holds); OUT_OF_RANGE past the context. On those nothing changed.
//    UNAVAILABLE when a remote executor is gone or broke: every sequence it
//    held is lost and the executor is of no further use.
//
// Thread-safety: an executor is driven by one thread at a time (the
// engine's); implementations say what else may be called concurrently.

#ifndef SEEDLM_CORE_RUNTIME_EXECUTOR_H_
#define SEEDLM_CORE_RUNTIME_EXECUTOR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace seedlm {

// The rows of one sequence in a step: n >= 1 tokens at positions
// pos .. pos + n - 1 of the open sequence `seq`.
struct ExecutorRows {
  int64_t seq = 0;
  int pos = 0;
  int n = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;

  // Layers [layer_begin(), layer_end()).
  virtual int layer_begin() const = 0;
  virtual int layer_end() const = 0;
  // For messages and listings, e.g. "cpu (in-process)".
  virtual std::string description() const = 0;

  // Opens sequence `seq` with an empty cache. ALREADY_EXISTS if it is open;
  // RESOURCE_EXHAUSTED when max_sequences are open; UNAVAILABLE (remote).
  // A remote executor may defer the work to the next Step, which then
  // reports its errors.
  virtual absl::Status Open(int64_t seq) = 0;
  // Closes `seq` and frees its cache for reuse; no-op for an unknown id.
  virtual void Close(int64_t seq) = 0;

  // Runs the executor's layers over `hidden` (sum of rows' n x dim floats)
  // in place. Errors: see the file comment.
  virtual absl::Status Step(absl::Span<const ExecutorRows> rows,
                            absl::Span<float> hidden) = 0;

  // The bytes the executor's weights hold (as stored: packed blocks, bf16),
  // and its total memory: weights + every KV cache at full context + step
  // buffers (an upper bound for max_sequences rows of prefill_chunk tokens).
  virtual uint64_t weight_bytes() const = 0;
  virtual uint64_t memory_bytes() const = 0;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_EXECUTOR_H_
