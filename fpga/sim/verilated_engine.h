// The cycle loop that drives one Verilated seedlm_engine (fpga/rtl): a
// template over the Verilated class, so that every RTL configuration shares
// it; engine.cc adapts it to PackedEngine and Bf16Engine (engine.h).
//
// Memory model: one flat byte space with the activation vector at address
// 0 (cols float32, zero-padded to whole blocks) and the packed payload at
// the next multiple of 64. A request (mem_req, mem_addr, mem_len) seen after
// a clock edge is answered on mem_rdata before the next edge (one cycle of
// latency), bytes past either region read as zero.
#ifndef SEEDLM_FPGA_SIM_VERILATED_ENGINE_H_
#define SEEDLM_FPGA_SIM_VERILATED_ENGINE_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fpga/sim/engine.h"
#include "verilated.h"

namespace seedlm::fpga {

// The compile-time shape of one Verilated engine.
struct EngineShape {
  std::string name;  // e.g. "4bit-p4"
  int max_lanes = 16;
  int max_bpc = 64;
  int max_xblk = 2048;  // activation buffer, in blocks of C
};

namespace port {
// 32-bit word i of a port, whatever width Verilator gave it.
inline uint32_t Word(CData p, int) { return p; }
inline uint32_t Word(SData p, int) { return p; }
inline uint32_t Word(IData p, int) { return p; }
inline uint32_t Word(QData p, int i) {
  return static_cast<uint32_t>(p >> (32 * i));
}
template <std::size_t N>
uint32_t Word(const VlWide<N>& p, int i) {
  return p[i];
}
inline void SetWord(IData& p, int, uint32_t v) { p = v; }
template <std::size_t N>
void SetWord(VlWide<N>& p, int i, uint32_t v) {
  p[i] = v;
}
inline bool Bit(CData p, int i) { return (p >> i) & 1; }
inline bool Bit(SData p, int i) { return (p >> i) & 1; }
inline bool Bit(IData p, int i) { return (p >> i) & 1; }
inline bool Bit(QData p, int i) { return (p >> i) & 1; }
}  // namespace port

// One run of the engine: rows [0, rows) of a bit stream of rows of `bpr`
// blocks of `block_bits` bits starting at bit `first_bit` of `data`.
struct EngineJob {
  const uint8_t* data = nullptr;
  uint64_t size = 0;  // bytes of data
  uint64_t first_bit = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t bpr = 0;
  int block_bits = 0;
  int block_weights = 0;               // C
  const float* field_scale = nullptr;  // 2^E entries (E = 0: one)
  int scale_entries = 1;
  const float* x = nullptr;  // cols floats
};

// Drives one Verilated seedlm_engine: reset at construction, then one job
// per Run. INTERNAL if the RTL misbehaves (a y for a row out of range or
// twice, or no progress by a generous cycle deadline).
template <typename V>
class VerilatedCore {
 public:
  VerilatedCore(EngineShape shape, int bpc, int lanes)
      : shape_(std::move(shape)),
        bpc_(bpc),
        lanes_(lanes),
        ctx_(std::make_unique<VerilatedContext>()),
        v_(std::make_unique<V>(ctx_.get(), "engine")) {
    v_->rst = 1;
    Tick();
    Tick();
    v_->rst = 0;
  }

  const EngineShape& shape() const { return shape_; }
  std::string description() const {
    return absl::StrCat("seedlm_engine ", shape_.name, ", ", lanes_, " lanes, ",
                        bpc_, " B/cycle");
  }

  absl::StatusOr<MatVecStats> Run(const EngineJob& job, float* y) {
    if (job.bpr > shape_.max_xblk || job.cols < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          job.cols, " columns: the engine's activation buffer holds ",
          shape_.max_xblk * job.block_weights));
    }
    MatVecStats stats;
    if (job.rows == 0) return stats;
    Setup(job);
    return Loop(job, y, &stats);
  }

 private:
  void Tick() {
    v_->clk = 0;
    v_->eval();
    v_->clk = 1;
    v_->eval();
  }

  void Setup(const EngineJob& job) {
    xmem_.assign(static_cast<size_t>(job.bpr * job.block_weights * 4), 0);
    std::memcpy(xmem_.data(), job.x, static_cast<size_t>(job.cols) * 4);
    w_base_ = (xmem_.size() + 63) / 64 * 64;
    payload_ = job.data;
    payload_size_ = job.size;
    v_->cfg_rows = static_cast<uint32_t>(job.rows);
    v_->cfg_cols = static_cast<uint32_t>(job.cols);
    v_->cfg_bpr = static_cast<uint32_t>(job.bpr);
    v_->cfg_lanes = static_cast<uint8_t>(lanes_);
    v_->cfg_bpc = static_cast<uint8_t>(bpc_);
    v_->cfg_x_addr = 0;
    v_->cfg_w_bit = w_base_ * 8 + job.first_bit;
    for (int f = 0; f < job.scale_entries; ++f) {
      uint32_t bits;
      std::memcpy(&bits, &job.field_scale[f], 4);
      port::SetWord(v_->cfg_scale, f, bits);
    }
  }

  uint8_t ReadByte(uint64_t addr) const {
    if (addr < w_base_) return addr < xmem_.size() ? xmem_[addr] : 0;
    addr -= w_base_;
    return addr < payload_size_ ? payload_[addr] : 0;
  }

  void Serve(MatVecStats* stats) {
    if (!v_->mem_req) return;
    const uint64_t addr = v_->mem_addr;
    const int len = v_->mem_len;
    stats->bytes_read += static_cast<uint64_t>(len);
    for (int w = 0; w < shape_.max_bpc / 4; ++w) {
      uint32_t word = 0;
      for (int b = 0; b < 4; ++b) {
        const int i = 4 * w + b;
        if (i < len) word |= uint32_t{ReadByte(addr + i)} << (8 * b);
      }
      port::SetWord(v_->mem_rdata, w, word);
    }
  }

  absl::StatusOr<MatVecStats> Loop(const EngineJob& job, float* y,
                                   MatVecStats* stats) {
    const int64_t rows = job.rows;
    std::vector<bool> seen(static_cast<size_t>(rows), false);
    int64_t got = 0;
    v_->start = 1;
    Tick();
    v_->start = 0;
    stats->cycles = 1;
    // Far above what the design needs (about bytes / bpc + x blocks +
    // rows * blocks / lanes + pipeline latency).
    const uint64_t bytes = static_cast<uint64_t>(rows * job.bpr) *
                           static_cast<uint64_t>(job.block_bits) / 8;
    const uint64_t deadline =
        10000 + 4 * (bytes / static_cast<uint64_t>(bpc_) +
                     static_cast<uint64_t>(job.bpr) *
                         static_cast<uint64_t>(rows / lanes_ + 2));
    while (got < rows) {
      Serve(stats);
      Tick();
      ++stats->cycles;
      for (int l = 0; l < shape_.max_lanes; ++l) {
        if (!port::Bit(v_->y_valid, l)) continue;
        const uint32_t r = port::Word(v_->y_row, l);
        if (r >= rows || seen[r]) {
          return absl::InternalError(
              absl::StrCat("engine: lane ", l, " emitted row ", r));
        }
        seen[r] = true;
        const uint32_t bits = port::Word(v_->y_data, l);
        std::memcpy(&y[r], &bits, 4);
        ++got;
      }
      if (stats->cycles > deadline) {
        return absl::InternalError(absl::StrCat("engine: ", got, " of ", rows,
                                                " rows after ", stats->cycles,
                                                " cycles"));
      }
    }
    Tick();  // back to idle
    if (v_->busy) return absl::InternalError("engine: busy after the last y");
    return *stats;
  }

  EngineShape shape_;
  int bpc_;
  int lanes_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> v_;
  std::vector<uint8_t> xmem_;
  uint64_t w_base_ = 0;
  const uint8_t* payload_ = nullptr;
  uint64_t payload_size_ = 0;
};

}  // namespace seedlm::fpga

#endif  // SEEDLM_FPGA_SIM_VERILATED_ENGINE_H_
