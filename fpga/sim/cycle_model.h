// The engine's analytic cycle model: what a y = W x costs on
// seedlm_engine (fpga/rtl) with a given memory port, without simulating it.
// seedlm-fpga-report checks it against the Verilated engine on every size
// it runs and then uses it for whole models (Llama-2-7B and 70B shapes).
//
//   cycles = x + max(reader, lanes) + latency
//   x      = ceil(cols / C)                    one activation block a cycle
//   reader = rows * ceil(row bytes / port)     one burst (<= port bytes) a
//                                              cycle, never across rows
//   lanes  = ceil(rows / L) * ceil(cols / C)   L lanes, one block a cycle
//   latency = L + 8                            first bursts, decode and
//                                              finisher pipelines
// with L = floor(8 * port / block bits) lanes (bf16: 16-byte groups of 8).
#ifndef SEEDLM_FPGA_SIM_CYCLE_MODEL_H_
#define SEEDLM_FPGA_SIM_CYCLE_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace seedlm::fpga {

class CycleModel {
 public:
  // "4bit-p4", "4bit-i8", "4bit" (C 8, 32 bits), "3bit", "3bit-i8" (C 12,
  // 36 bits) or "bf16" (8 weights of 16 bits); `port` bytes per cycle.
  static CycleModel ForPreset(const std::string& preset, int port);

  double MatVecCycles(int64_t rows, int64_t cols) const;
  int macs() const { return lanes_ * c_; }

 private:
  CycleModel(int c, int block_bits, int port);
  int c_, block_bits_, port_, lanes_;
};

// Prints the tokens/s table (markdown) for Llama-2-7B- and 70B-shaped
// transformer layers (the linear layers only: embedding and head stay on
// the host) at `clock_mhz`, for 4bit-p4, 3bit and the bf16 baseline at each
// port width.
void PrintTokenTable(double clock_mhz, const std::vector<int>& ports);

}  // namespace seedlm::fpga

#endif  // SEEDLM_FPGA_SIM_CYCLE_MODEL_H_
