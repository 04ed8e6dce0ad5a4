// The simulated SeedLM matrix x vector engine: the Verilated RTL of
// fpga/rtl/seedlm_engine.v driven cycle by cycle with a memory model, as a
// C++ object the host code (fpga/host) and the tests call.
//
// Numerics: bit-identical to kernels::PackedRows for the engine's codec
// (kernels.h): the fused i8 reference (FusedRowsReference) for codecs with
// kernels::FusedSupports, DotF32 of the normative decode (spec §4)
// otherwise. fpga_engine_test checks this on random matrices.
//
// Cycles: the engine reads the activation vector and then the packed rows
// through one memory port of bytes_per_cycle bytes per cycle; `cycles`
// counts clock edges from start until the last y is out.
//
// Thread-compatible: one call at a time per engine (a Verilated model is
// not thread-safe); distinct engines may run concurrently.
#ifndef SEEDLM_FPGA_SIM_ENGINE_H_
#define SEEDLM_FPGA_SIM_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/codec.h"
#include "core/runtime/kernels.h"

namespace seedlm::fpga {

struct EngineOptions {
  // The memory port: bytes per cycle (64 is the paper's setting).
  int bytes_per_cycle = 64;
  // Block lanes (each decodes one block per cycle); 0: as many as the port
  // feeds, floor(8 * bytes_per_cycle / block bits) (the bf16 baseline's
  // "block" is 8 weights, 16 bytes), or as many as the RTL configuration
  // has if fewer (the tests' and the executor's engines have 16 lanes for
  // 4bit-p4 and 4 for the others; seedlm-fpga-report's have the lanes that
  // saturate their ports).
  int lanes = 0;
};

struct MatVecStats {
  uint64_t cycles = 0;      // clock cycles from start to the last y
  uint64_t bytes_read = 0;  // over the memory port: x and the packed rows
};

class PackedEngine {
 public:
  virtual ~PackedEngine() = default;
  virtual const CodecConfig& codec() const = 0;
  // e.g. "seedlm_engine 4bit-p4, 16 lanes, 64 B/cycle".
  virtual std::string description() const = 0;

  // y[r - row_begin] = row r of `m` times x (m.cols floats) for r in
  // [row_begin, row_end), computed by the simulated RTL. INVALID_ARGUMENT if
  // m.codec is not codec(), the row range is bad or m.cols exceeds the
  // engine's activation buffer.
  virtual absl::StatusOr<MatVecStats> MatVec(const kernels::PackedView& m,
                                             const float* x, int64_t row_begin,
                                             int64_t row_end, float* y) = 0;
};

// The baseline the paper compares with: the same RTL (memory port, reader,
// lanes of 8 multiply-accumulators, activation buffer) over dense bfloat16
// rows (the top 16 bits of float32) instead of packed blocks, so 64 B/cycle
// feed 32 weights per cycle where SeedLM's 4-bit blocks feed 128.
class Bf16Engine {
 public:
  virtual ~Bf16Engine() = default;
  virtual std::string description() const = 0;
  // y[r - row_begin] = DotF32(row r widened to float32, x), exactly
  // kernels::DenseBf16Rows, for r in [row_begin, row_end) of the rows x cols
  // row-major matrix w. The rows are laid out in the simulated memory padded
  // to whole groups of 8 weights. INVALID_ARGUMENT as PackedEngine::MatVec.
  virtual absl::StatusOr<MatVecStats> MatVec(const uint16_t* w, int64_t rows,
                                             int64_t cols, const float* x,
                                             int64_t row_begin, int64_t row_end,
                                             float* y) = 0;
};

absl::StatusOr<std::unique_ptr<Bf16Engine>> CreateBf16Engine(
    const EngineOptions& options = {});

// An engine for `codec`. UNIMPLEMENTED when no RTL configuration is built
// for it (the message names those that are); INVALID_ARGUMENT for options
// outside what the RTL was built for.
absl::StatusOr<std::unique_ptr<PackedEngine>> CreatePackedEngine(
    const CodecConfig& codec, const EngineOptions& options = {});

}  // namespace seedlm::fpga

#endif  // SEEDLM_FPGA_SIM_ENGINE_H_
