// seedlm_trellis_code (fpga/rtl) against core's TrellisCode: every 16-bit
// state in every one of the 8 positions, and random stream windows.
#include <cstdint>
#include <random>

#include "Vtrellis_code.h"
#include "core/codec/trellis_format.h"
#include "gtest/gtest.h"
#include "verilated.h"

namespace seedlm::fpga {
namespace {

constexpr int kN = 8, kR = 4, kW = 16 - kR + kN * kR;  // 44 bits

// The code of weight i from the window (MSB = the earliest bit), as the RTL
// reads it, sign-extended from 11 bits.
int32_t RtlCode(Vtrellis_code& v, uint64_t bits, int i) {
  v.bits = bits;
  v.eval();
  uint32_t c = 0;  // bits [11i, 11i + 11) of the 88-bit port
  for (int b = 0; b < 11; ++b) {
    const int n = 11 * i + b;
    c |= ((v.code[n / 32] >> (n % 32)) & 1u) << b;
  }
  return static_cast<int32_t>(c ^ 0x400) - 0x400;
}

uint32_t StateOf(uint64_t bits, int i) {
  return static_cast<uint32_t>(bits >> (kW - 16 - i * kR)) & 0xFFFF;
}

TEST(TrellisCodeTest, EveryStateInEveryPosition) {
  VerilatedContext ctx;
  Vtrellis_code v(&ctx);
  for (int i = 0; i < kN; ++i) {
    for (uint32_t s = 0; s < 65536; ++s) {
      const uint64_t bits = uint64_t{s} << (kW - 16 - i * kR);
      ASSERT_EQ(RtlCode(v, bits, i), TrellisCode(s))
          << "weight " << i << " state " << s;
    }
  }
}

TEST(TrellisCodeTest, RandomWindows) {
  VerilatedContext ctx;
  Vtrellis_code v(&ctx);
  std::mt19937_64 rng(18);
  for (int t = 0; t < 20000; ++t) {
    const uint64_t bits = rng() & ((uint64_t{1} << kW) - 1);
    for (int i = 0; i < kN; ++i) {
      ASSERT_EQ(RtlCode(v, bits, i), TrellisCode(StateOf(bits, i)))
          << "window " << bits << " weight " << i;
    }
  }
}

}  // namespace
}  // namespace seedlm::fpga
