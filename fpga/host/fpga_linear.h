// The host side of `seedlm-executor --kind fpga-sim`: a model's packed
// linear layers served through the simulated SeedLM engine
// (fpga/sim/engine.h), everything else on the CPU.
//
//  - FpgaDevice is one simulated device: an engine per block codec (created
//    on first use by an EngineFactory, so tests can inject a fake), the
//    simulated cycles of every call, and the first error an engine reported.
//  - FpgaLinear is a LinearWeight that owns the PackedLinear it replaces and
//    computes MatVecRows / MatMulRows (one MatVec per batch element) on the
//    device; GetRow and StorageBytes are the original's.
//  - WrapPackedLinears swaps every PackedLinear among a model's per-layer
//    wq, wk, wv, wo, w1, w2, w3 for an FpgaLinear.
//
// What runs where: only PackedLinear weights (the block codecs, spec §1-§9)
// go to the engine. Dense float32 and bf16 weights stay on the CPU, and so
// do the embedding, the output head, the norms, RoPE, attention and SwiGLU.
// Seed-trellis weights (TrellisLinear, spec §13) are refused: the engine
// has no trellis decoder, and an fpga-sim executor that ran them on the CPU
// would only pretend. So is a part with no packed weight at all.
//
// Numerics: PackedEngine::MatVec gives exactly kernels::PackedRows' y
// (engine.h), so an FpgaLinear equals the PackedLinear it wraps and a
// wrapped model computes the original's results bit for bit.
//
// Errors at run time: LinearWeight's methods cannot fail, so an engine error
// during a product is kept by the device (the first one; status()) and the
// rows that call should have written are NaN. Check status() after each
// forward step (the executor's attachment fails the step with it).
//
// Thread-safety: FpgaDevice's methods are thread-safe; engine calls are
// serialised (a Verilated model runs one call at a time), so a device
// behaves as one chip. FpgaLinear is as thread-safe as the device.

#ifndef SEEDLM_FPGA_HOST_FPGA_LINEAR_H_
#define SEEDLM_FPGA_HOST_FPGA_LINEAR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/codec/codec.h"
#include "core/runtime/linear.h"
#include "core/runtime/llama_model.h"
#include "core/util/mutex.h"
#include "fpga/sim/engine.h"

namespace seedlm::fpga {

// Makes an engine for a codec (CreatePackedEngine, or a fake in tests).
using EngineFactory =
    std::function<absl::StatusOr<std::unique_ptr<PackedEngine>>(
        const CodecConfig&, const EngineOptions&)>;

// The codec's preset name, or its parameters when it is not a preset
// ("C8 P4 K16 Q4 E0 i8"), for messages.
std::string CodecText(const CodecConfig& codec);

class FpgaDevice {
 public:
  // `factory` null: CreatePackedEngine (the Verilated engine).
  explicit FpgaDevice(EngineOptions options, EngineFactory factory = nullptr);
  FpgaDevice(const FpgaDevice&) = delete;
  FpgaDevice& operator=(const FpgaDevice&) = delete;

  // The engine for `codec`, made on first use and kept for the device's
  // lifetime. The factory's error, its code kept (UNIMPLEMENTED for a codec
  // no RTL configuration was built for), prefixed with "no FPGA engine for
  // codec NAME: ".
  absl::StatusOr<PackedEngine*> Engine(const CodecConfig& codec);

  // y[r - row_begin] = row r of m times x for r in [row_begin, row_end),
  // on `engine` (REQUIRES: returned by Engine()); adds the cycles. On an
  // engine error, y is NaN and the first error is kept (status()).
  void MatVec(PackedEngine* engine, const kernels::PackedView& m,
              const float* x, int64_t row_begin, int64_t row_end, float* y);

  // Simulated cycles of every MatVec so far.
  uint64_t cycles() const { return cycles_.load(std::memory_order_relaxed); }
  // Engine calls so far.
  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  // OK, or the first error an engine's MatVec returned.
  absl::Status status() const;
  // The engines' descriptions joined by "; " (e.g. "seedlm_engine 4bit-p4,
  // 16 lanes, 64 B/cycle"), or "no engine yet".
  std::string description() const;

 private:
  const EngineOptions options_;
  const EngineFactory factory_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<PackedEngine>> engines_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> cycles_{0};
  std::atomic<uint64_t> calls_{0};
};

class FpgaLinear final : public LinearWeight {
 public:
  // Serves `original` on `engine` of `device` (not owned; both must outlive
  // this object). REQUIRES: engine == device->Engine(original->codec()).
  FpgaLinear(std::unique_ptr<PackedLinear> original, FpgaDevice* device,
             PackedEngine* engine);

  void GetRow(int64_t r, float* out) const override;
  void MatVecRows(const float* x, int64_t row_begin, int64_t row_end,
                  float* y) const override;
  void MatMulRows(const float* x, int64_t batch, int64_t row_begin,
                  int64_t row_end, float* y) const override;
  uint64_t StorageBytes() const override;
  const PackedLinear& original() const { return *original_; }

 private:
  std::unique_ptr<PackedLinear> original_;
  FpgaDevice* device_;
  PackedEngine* engine_;
};

// Replaces every PackedLinear among the per-layer wq, wk, wv, wo, w1, w2, w3
// of `model` (the layers it holds) with an FpgaLinear on `device` (not
// owned; must outlive the model); other weights stay as they are. Returns
// how many were replaced. Errors, checked before anything changes: those
// of device->Engine() for a packed codec, UNIMPLEMENTED for a seed-trellis
// weight or a part with no packed weight (naming the layer and codec).
absl::StatusOr<int> WrapPackedLinears(LlamaModel* model, FpgaDevice* device);

}  // namespace seedlm::fpga

#endif  // SEEDLM_FPGA_HOST_FPGA_LINEAR_H_
