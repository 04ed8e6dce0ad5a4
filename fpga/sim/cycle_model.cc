#include "fpga/sim/cycle_model.h"

#include <algorithm>
#include <cstdio>

namespace seedlm::fpga {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Shape {
  int64_t rows, cols, count;  // per layer
};
struct ModelShape {
  const char* name;
  int layers;
  std::vector<Shape> linears;
};

const std::vector<ModelShape>& Models() {
  static const auto* m = new std::vector<ModelShape>{
      {"Llama-2-7B", 32, {{4096, 4096, 4}, {11008, 4096, 2}, {4096, 11008, 1}}},
      // Grouped-query attention: 8 kv heads of 128.
      {"Llama-2-70B",
       80,
       {{8192, 8192, 2}, {1024, 8192, 2}, {28672, 8192, 2}, {8192, 28672, 1}}},
  };
  return *m;
}

}  // namespace

CycleModel::CycleModel(int c, int block_bits, int port)
    : c_(c),
      block_bits_(block_bits),
      port_(port),
      lanes_(std::max(1, 8 * port / block_bits)) {}

CycleModel CycleModel::ForPreset(const std::string& preset, int port) {
  if (preset == "bf16") return CycleModel(8, 128, port);
  if (preset == "3bit" || preset == "3bit-i8") return CycleModel(12, 36, port);
  return CycleModel(8, 32, port);
}

double CycleModel::MatVecCycles(int64_t rows, int64_t cols) const {
  const int64_t bpr = CeilDiv(cols, c_);
  const int64_t row_bytes = CeilDiv(bpr * block_bits_, 8);
  const int64_t reader = rows * CeilDiv(row_bytes, port_);
  const int64_t lanes = CeilDiv(rows, lanes_) * bpr;
  return static_cast<double>(bpr + std::max(reader, lanes) + lanes_ + 8);
}

void PrintTokenTable(double clock_mhz, const std::vector<int>& ports) {
  std::printf(
      "| model | engine | port B/cycle | GB/s at %.0f MHz | weight GB/token | "
      "Mcycles/token | tokens/s |\n|---|---|---:|---:|---:|---:|---:|\n",
      clock_mhz);
  for (const ModelShape& m : Models()) {
    for (int port : ports) {
      for (const char* engine : {"4bit-p4", "3bit", "bf16"}) {
        const CycleModel cm = CycleModel::ForPreset(engine, port);
        double cycles = 0, weights = 0;
        for (const Shape& s : m.linears) {
          cycles += s.count * cm.MatVecCycles(s.rows, s.cols);
          weights += static_cast<double>(s.count * s.rows * s.cols);
        }
        cycles *= m.layers;
        weights *= m.layers;
        const double bits = std::string(engine) == "bf16"   ? 16
                            : std::string(engine) == "3bit" ? 3
                                                            : 4;
        std::printf("| %s | %s | %d | %.1f | %.2f | %.1f | %.2f |\n", m.name,
                    engine, port, port * clock_mhz / 1000.0,
                    weights * bits / 8 / 1e9, cycles / 1e6,
                    clock_mhz * 1e6 / cycles);
      }
    }
  }
}

}  // namespace seedlm::fpga
