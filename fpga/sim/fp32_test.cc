// fpga_fp32_test: the Verilated fp32 RTL (fpga/rtl/fp32_fma.v,
// fp32_from_int.v) against the CPU, bit for bit: fp32_fma vs std::fmaf,
// mul(a, b) = fma(a, b, -0) vs a * b, add(a, b) = fma(a, 1, b) vs a + b,
// fp32_from_int vs (float)v. Inputs: a grid of special values over every
// (a, b, c), and millions of random ones from a fixed seed (printed) through
// several generators that aim at the hard cases (cancellation, ties, the
// subnormal range, overflow). A NaN result must be the canonical quiet NaN
// 0x7fc00000 in the RTL (the CPU's payload is not compared). The first
// mismatching input is printed as hex. Built with -ffp-contract=off (project
// default), so a * b and a + b are single IEEE operations.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "Vfp32_fma.h"
#include "Vfp32_from_int.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "verilated.h"

namespace seedlm::fpga {
namespace {

constexpr uint64_t kSeed = 0x5eed18f9;
constexpr uint32_t kQuietNan = 0x7fc00000u;
constexpr uint32_t kNegZero = 0x80000000u;
constexpr uint32_t kOne = 0x3f800000u;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

float Float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// Both Verilated models, one evaluation per call.
class Fp32Rtl {
 public:
  Fp32Rtl() : fma_(&context_), from_int_(&context_) {}
  ~Fp32Rtl() {
    fma_.final();
    from_int_.final();
  }

  uint32_t Fma(uint32_t a, uint32_t b, uint32_t c) {
    fma_.a = a;
    fma_.b = b;
    fma_.c = c;
    fma_.eval();
    return fma_.y;
  }

  uint32_t FromInt(int32_t v) {
    from_int_.v = static_cast<uint32_t>(v);
    from_int_.eval();
    return from_int_.y;
  }

 private:
  VerilatedContext context_;
  Vfp32_fma fma_;
  Vfp32_from_int from_int_;
};

// True when the RTL's bits are the CPU's result (any CPU NaN: the canonical
// quiet NaN).
bool Same(uint32_t rtl, float cpu) {
  return std::isnan(cpu) ? rtl == kQuietNan : rtl == Bits(cpu);
}

// Counts mismatches; keeps a description of the first.
class Mismatches {
 public:
  // in: the operands (a, b, c for fma; v alone for from_int).
  void Check(const char* op, uint32_t rtl, float cpu, uint32_t a,
             uint32_t b = 0, uint32_t c = 0) {
    ++checked_;
    if (Same(rtl, cpu)) return;
    if (count_++ == 0) {
      first_ = absl::StrFormat("%s a=%08x b=%08x c=%08x: rtl %08x cpu %08x", op,
                               a, b, c, rtl, Bits(cpu));
    }
  }
  void Expect(const char* name) const {
    EXPECT_EQ(count_, 0u) << name << ": " << count_ << " of " << checked_
                          << " differ (seed 0x" << std::hex << kSeed
                          << "); first: " << first_;
  }
  uint64_t checked() const { return checked_; }

 private:
  uint64_t checked_ = 0;
  uint64_t count_ = 0;
  std::string first_;
};

uint32_t Pack(uint32_t sign, uint32_t exp_field, uint32_t frac) {
  return (sign & 1u) << 31 | (exp_field & 0xffu) << 23 | (frac & 0x7fffffu);
}

// Random float32 bit patterns for the hard cases.
class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  uint32_t Bits32() { return static_cast<uint32_t>(rng_()); }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Below(hi - lo + 1));
  }

  // A fraction with 1 to 3 bits set (makes exact ties and exact
  // cancellations likely).
  uint32_t SparseFrac() {
    uint32_t f = 0;
    for (int i = Between(1, 3); i > 0; --i) f |= 1u << Below(23);
    return f;
  }
  // A fraction: uniform, sparse, or all ones / zero give or take a few.
  uint32_t Frac() {
    switch (Below(4)) {
      case 0:
      case 1:
        return Bits32() & 0x7fffffu;
      case 2:
        return SparseFrac();
      default:
        return Below(2) ? 0x7fffffu - Below(4) : Below(4);
    }
  }
  // A finite float, random sign, exponent field clamped into [0, 254].
  uint32_t WithExp(int exp_field, uint32_t frac) {
    exp_field = exp_field < 0 ? 0 : (exp_field > 254 ? 254 : exp_field);
    return Pack(Below(2), static_cast<uint32_t>(exp_field), frac);
  }
  uint32_t WithExp(int exp_field) { return WithExp(exp_field, Frac()); }

  // A nonzero finite a, b (a subnormal one time in four, often with a tiny
  // fraction, so that the product has up to 24 leading zeros); returns the
  // exponent of the product's leading one, floor(log2|a*b|).
  int Product(uint32_t* a, uint32_t* b) {
    if (Below(4) == 0) {
      uint32_t f = Below(2) ? Frac() : Bits32() >> Between(9, 31);
      *a = Pack(Below(2), 0, f == 0 ? 1 : f);
      *b = WithExp(Between(60, 254));
    } else {
      *a = WithExp(Between(1, 254));
      *b = WithExp(Between(1, 254));
    }
    int e;
    std::frexp(static_cast<double>(Float(*a)) * Float(*b), &e);  // exact
    return e - 1;
  }

  // One fma triple; kind picks the generator (kKinds of them).
  static constexpr int kKinds = 6;
  void Triple(int kind, uint32_t* a, uint32_t* b, uint32_t* c) {
    switch (kind) {
      case 0:  // uniform bits (NaNs and infs included)
        *a = Bits32(), *b = Bits32(), *c = Bits32();
        return;
      case 1: {  // c near -a*b: cancellation
        int e = Product(a, b);
        float p = Float(*a) * Float(*b);
        if (Below(2) && std::isfinite(p) && p != 0) {  // a few ulps off
          *c = (Bits(-p) + Between(-3, 3)) ^ (Below(8) == 0 ? 0x80000000u : 0);
        } else {
          uint32_t opposite = (*a ^ *b ^ 0x80000000u) & 0x80000000u;
          *c = (WithExp(e + 127 + Between(-3, 1)) & 0x7fffffffu) | opposite;
        }
        return;
      }
      case 2: {  // product and c near the subnormal range
        int ea = Between(0, 127);
        *a = WithExp(ea), *b = WithExp(127 - ea + Between(-40, 2));
        *c = Below(4) == 0 ? (Bits32() & 0x807fffffu) : WithExp(Between(0, 30));
        return;
      }
      case 3: {  // near overflow
        int ea = Between(127, 254);
        *a = WithExp(ea), *b = WithExp(254 - ea + 127 + Between(-3, 2));
        *c = WithExp(Between(230, 254));
        return;
      }
      case 4: {  // c's exponent 2 to 60 above or below the product's (or 0)
        int e = Product(a, b);
        if (Below(32) == 0) *a &= 0x80000000u;  // a zero product
        int gap = Between(2, 60) * (Below(2) ? 1 : -1);
        *c = WithExp(e + 127 + gap);
        return;
      }
      default: {  // ties: sparse mantissas, c zero, tiny or near a tie
        *a = Pack(Below(2), Between(67, 187), SparseFrac());
        *b = Pack(Below(2), Between(67, 187), SparseFrac());
        int e = static_cast<int>((*a >> 23 & 0xff) + (*b >> 23 & 0xff)) - 127;
        switch (Below(3)) {
          case 0:
            *c = Below(2) << 31;
            return;
          case 1:
            *c = WithExp(e - Between(24, 60));
            return;
          default:
            *c = WithExp(e - Between(0, 25), SparseFrac());
            return;
        }
      }
    }
  }

  // One float for mul/add pairs: uniform bits or a generator-shaped value.
  uint32_t Operand() {
    return Below(4) == 0 ? Bits32() : WithExp(Between(0, 254));
  }

 private:
  std::mt19937_64 rng_;
};

std::vector<uint32_t> SpecialValues() {
  const uint32_t magnitudes[] = {
      0x00000000,  // 0
      0x00000001,  // min subnormal
      0x00000003,  //
      0x00400000,  // half min normal
      0x007fffff,  // max subnormal
      0x00800000,  // min normal
      0x00800001,  //
      0x1a000000,  // 2^-75: squares to 2^-150 (half min subnormal)
      0x1a400000,  // 1.5 * 2^-75
      0x20000000,  // 2^-63: squares to 2^-126
      0x33800000,  // 2^-24
      0x3f000000,  // 0.5
      0x3f7fffff,  // 1 - ulp/2
      0x3f800000,  // 1
      0x3f800001,  // 1 + ulp
      0x3f800800,  // 1 + 2^-12: squares to a tie
      0x3fc00000,  // 1.5
      0x3fc00002,  // 1.5 + 2 ulp: times 1.5, a tie with a product >= 2
      0x40400000,  // 3
      0x4b800000,  // 2^24
      0x5f800000,  // 2^64: squares to 2^128 (overflow)
      0x5f7fffff,  //
      0x7f000000,  // 2^127
      0x7f7fffff,  // max finite
      0x7f800000,  // inf
  };
  std::vector<uint32_t> values;
  for (uint32_t m : magnitudes) {
    values.push_back(m);
    values.push_back(m | 0x80000000u);
  }
  values.push_back(kQuietNan);
  values.push_back(0x7f800001u);  // signalling NaN
  values.push_back(0xffc00001u);  // negative NaN with payload
  return values;
}

TEST(Fp32Test, FmaSpecialGrid) {
  Fp32Rtl rtl;
  Mismatches bad;
  const std::vector<uint32_t> v = SpecialValues();
  for (uint32_t a : v) {
    for (uint32_t b : v) {
      for (uint32_t c : v) {
        float cpu = std::fmaf(Float(a), Float(b), Float(c));
        bad.Check("fma", rtl.Fma(a, b, c), cpu, a, b, c);
      }
    }
  }
  // The alignment window's tightest case (see fp32_fma.v): a subnormal a
  // puts the product's leading one 24 bits low, c is shifted out by one bit
  // and decides the rounding.
  // The second group: a carry out of the sum, then a tie that only the bits
  // shifted below the window break: (1 + 2^-12) * (2^-23 * 0xfff001) +
  // (2 - 2^-23) = 2 + 2^-23 + 2^-58, which rounds up.
  const uint32_t triples[][3] = {{0x00000001, 0x4e800001, 0x82800002},
                                 {0x00000001, 0x4e800001, 0x82800003},
                                 {0x80000001, 0x4e800003, 0x02800001},
                                 {0x3f800800, 0x347ff001, 0x3fffffff},
                                 {0xbf800800, 0x347ff001, 0xbfffffff},
                                 {0x3f800800, 0x347ff001, 0x3ffffffe}};
  for (const auto& t : triples) {
    float cpu = std::fmaf(Float(t[0]), Float(t[1]), Float(t[2]));
    bad.Check("fma", rtl.Fma(t[0], t[1], t[2]), cpu, t[0], t[1], t[2]);
  }
  bad.Expect("fma special grid");
}

TEST(Fp32Test, FmaRandom) {
  Fp32Rtl rtl;
  Gen gen(kSeed);
  std::printf("seed 0x%llx\n", static_cast<unsigned long long>(kSeed));
  constexpr int kBatch = 1 << 16, kBatches = 8;  // per generator
  std::vector<uint32_t> a(kBatch), b(kBatch), c(kBatch), y(kBatch);
  Mismatches bad[Gen::kKinds];
  double rtl_seconds = 0;
  for (int kind = 0; kind < Gen::kKinds; ++kind) {
    for (int batch = 0; batch < kBatches; ++batch) {
      for (int i = 0; i < kBatch; ++i) gen.Triple(kind, &a[i], &b[i], &c[i]);
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kBatch; ++i) y[i] = rtl.Fma(a[i], b[i], c[i]);
      rtl_seconds += std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
      for (int i = 0; i < kBatch; ++i) {
        float cpu = std::fmaf(Float(a[i]), Float(b[i]), Float(c[i]));
        bad[kind].Check("fma", y[i], cpu, a[i], b[i], c[i]);
      }
    }
  }
  const double evals = double{Gen::kKinds} * kBatches * kBatch;
  std::printf("fp32_fma: %.0f Verilated evaluations in %.3f s: %.1f M/s\n",
              evals, rtl_seconds, evals / rtl_seconds / 1e6);
  const char* names[Gen::kKinds] = {"uniform",  "cancellation",  "subnormal",
                                    "overflow", "far exponents", "ties"};
  for (int kind = 0; kind < Gen::kKinds; ++kind) bad[kind].Expect(names[kind]);
}

TEST(Fp32Test, MulAndAddIdentities) {
  Fp32Rtl rtl;
  Gen gen(kSeed + 1);
  Mismatches mul, add;
  for (int i = 0; i < 500000; ++i) {
    uint32_t a = gen.Operand(), b = gen.Operand();
    if (gen.Below(8) == 0) b = (a ^ 0x80000000u) + gen.Between(-2, 2);
    mul.Check("mul fma", rtl.Fma(a, b, kNegZero), Float(a) * Float(b), a, b,
              kNegZero);
    add.Check("add fma", rtl.Fma(a, kOne, b), Float(a) + Float(b), a, kOne, b);
  }
  mul.Expect("mul = fma(a, b, -0)");
  add.Expect("add = fma(a, 1, b)");
}

TEST(Fp32Test, FromInt) {
  Fp32Rtl rtl;
  Mismatches bad;
  auto check = [&](int32_t v) {
    bad.Check("from_int (v in a)", rtl.FromInt(v), static_cast<float>(v),
              static_cast<uint32_t>(v));
  };
  // Every |v| <= 2^24 + 2^12 (what the engine converts, and past it), and
  // +-16 around every +-2^k and +-3 * 2^k.
  for (int32_t v = -(1 << 24) - 4096; v <= (1 << 24) + 4096; ++v) check(v);
  for (int k = 0; k < 31; ++k) {
    for (int32_t m : {1, 3}) {
      int64_t base = static_cast<int64_t>(m) << k;
      for (int64_t d = -16; d <= 16; ++d) {
        for (int64_t s : {base + d, -(base + d)}) {
          if (s >= INT32_MIN && s <= INT32_MAX) check(static_cast<int32_t>(s));
        }
      }
    }
  }
  check(std::numeric_limits<int32_t>::min());
  check(std::numeric_limits<int32_t>::max());
  // Random: uniform bits, and a random bit length (so every range appears).
  Gen gen(kSeed + 2);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t u = gen.Bits32();
    if (i & 1)
      u = static_cast<uint32_t>(static_cast<int32_t>(u) >> gen.Below(32));
    check(static_cast<int32_t>(u));
  }
  EXPECT_GT(bad.checked(), 34000000u);
  bad.Expect("(float)v");
}

}  // namespace
}  // namespace seedlm::fpga
