// fpga_decode_test: the Verilated block decoder (fpga/rtl/seedlm_block_decode.v
// and seedlm_seed_matrix.v) against the core's normative decode, bit for bit:
//  (a) every `matrix`, `scale` and `decode` golden line of docs/SPEC.md for
//      the model's preset;
//  (b) random blocks (PackBlock'ed) under random tensor biases: the sums,
//      the coefficient sum, the raw e field and the weights of DecodeBlock;
//  (c) the xor-network (GEN=0) and stepped-LFSR (GEN=1) generators give the
//      same matrix for every seed, and SeedMatrix's.
// Random inputs come from a fixed seed, printed with the first mismatch.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "Vdecode_3bit_g0.h"
#include "Vdecode_3bit_i8_g0.h"
#include "Vdecode_4bit_g0.h"
#include "Vdecode_4bit_g1.h"
#include "Vdecode_4bit_i8_g0.h"
#include "Vdecode_4bit_p4_g0.h"
#include "Vdecode_4bit_p4_g1.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/codec/block_format.h"
#include "core/codec/codec.h"
#include "gtest/gtest.h"
#include "verilated.h"

#ifndef SEEDLM_SPEC_DOC
#define SEEDLM_SPEC_DOC "docs/SPEC.md"
#endif

namespace seedlm {
namespace {

constexpr uint32_t kRngSeed = 0x5EED18u;  // the random blocks' generator
constexpr int kRandomBlocks = 10000;      // per model
constexpr int kBlocksPerBias = 100;       // a new tensor bias every ... blocks

// What the RTL gives for one block.
struct RtlOut {
  std::vector<int32_t> sum;
  int32_t qsum = 0;
  uint32_t e_field = 0;
  std::vector<uint32_t> weight;
};

// A Verilated seedlm_block_decode of one configuration.
class DecodeModel {
 public:
  virtual ~DecodeModel() = default;
  // Drives the block's bits (bit 0 first, spec §10) and the 2^E scale
  // entries (float32 bits), evaluates, reads every output.
  virtual RtlOut Eval(uint64_t block_bits,
                      const std::vector<uint32_t>& scales) = 0;
};

void SetPort(uint32_t& port, const std::vector<uint32_t>& w) { port = w[0]; }
template <std::size_t N>
void SetPort(VlWide<N>& port, const std::vector<uint32_t>& w) {
  for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}

template <class V>
class Verilated final : public DecodeModel {
 public:
  explicit Verilated(int c) : c_(c), top_(std::make_unique<V>(&ctx_, "top")) {}
  ~Verilated() override { top_->final(); }

  RtlOut Eval(uint64_t block_bits,
              const std::vector<uint32_t>& scales) override {
    top_->block = static_cast<std::decay_t<decltype(top_->block)>>(block_bits);
    SetPort(top_->scale_table, scales);
    top_->eval();
    RtlOut r;
    for (int c = 0; c < c_; ++c) {
      r.sum.push_back(static_cast<int32_t>(top_->sum[c]));
      r.weight.push_back(top_->weight[c]);
    }
    r.qsum = static_cast<int32_t>(top_->qsum);
    r.e_field = top_->e_field;
    return r;
  }

 private:
  int c_;
  VerilatedContext ctx_;
  std::unique_ptr<V> top_;
};

struct ModelSpec {
  const char* preset;
  int gen;
  std::function<std::unique_ptr<DecodeModel>(int c)> make;
};

template <class V>
std::unique_ptr<DecodeModel> Make(int c) {
  return std::make_unique<Verilated<V>>(c);
}

const std::vector<ModelSpec>& Models() {
  static const auto* models = new std::vector<ModelSpec>{
      {"4bit-p4", 0, Make<Vdecode_4bit_p4_g0>},
      {"4bit-p4", 1, Make<Vdecode_4bit_p4_g1>},
      {"4bit-i8", 0, Make<Vdecode_4bit_i8_g0>},
      {"4bit", 0, Make<Vdecode_4bit_g0>},
      {"4bit", 1, Make<Vdecode_4bit_g1>},
      {"3bit", 0, Make<Vdecode_3bit_g0>},
      {"3bit-i8", 0, Make<Vdecode_3bit_i8_g0>},
  };
  return *models;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The host's per-tensor table (as core/runtime/linear.cc's field_scale):
// entry i = BlockScale(e = field i read as E-bit two's complement, bias).
std::vector<uint32_t> ScaleTable(const CodecConfig& c, int bias) {
  std::vector<uint32_t> t;
  for (uint32_t i = 0; i < (1u << c.E); ++i) {
    t.push_back(Bits(BlockScale(c, SignExtend(i, c.E), bias)));
  }
  return t;
}

uint64_t Packed(const CodecConfig& c, const Block& b) {
  uint8_t bytes[16] = {};
  PackBlock(c.layout(), b, bytes, 0);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | bytes[i];
  return v;
}

std::string BlockText(const CodecConfig& c, const Block& b) {
  std::vector<int> q(b.q, b.q + c.P);
  return absl::StrCat(b.seed, "/", b.e, "/", absl::StrJoin(q, ","));
}

// Compares one block's RTL outputs with SeedMatrix's sums and DecodeBlock's
// weights; returns "" or a description of the first difference.
std::string Check(const CodecConfig& c, int bias, const Block& b,
                  const RtlOut& r) {
  std::vector<int32_t> m(c.C * c.P);
  SeedMatrix(c, b.seed, m.data());
  std::vector<float> w(c.C);
  DecodeBlock(c, bias, b, w.data());
  int32_t qsum = 0;
  for (int p = 0; p < c.P; ++p) qsum += b.q[p];
  const uint32_t e_field = static_cast<uint32_t>(b.e) & ((1u << c.E) - 1u);
  if (r.qsum != qsum) return absl::StrCat("qsum ", r.qsum, " != ", qsum);
  if (r.e_field != e_field) {
    return absl::StrCat("e_field ", r.e_field, " != ", e_field);
  }
  for (int row = 0; row < c.C; ++row) {
    int32_t sum = 0;
    for (int p = 0; p < c.P; ++p) sum += m[row * c.P + p] * b.q[p];
    if (r.sum[row] != sum) {
      return absl::StrCat("sum_", row, " ", r.sum[row], " != ", sum);
    }
    if (r.weight[row] != Bits(w[row])) {
      char msg[96];
      std::snprintf(msg, sizeof(msg), "weight_%d 0x%08x != 0x%08x", row,
                    r.weight[row], Bits(w[row]));
      return msg;
    }
  }
  return "";
}

// One line of a ```golden block of docs/SPEC.md: kind key=value.. : result.
struct Golden {
  int line = 0;
  std::string kind;
  std::map<std::string, std::string> args;
  std::vector<std::string> result;  // without the "|" row separators
};

std::vector<Golden> ReadGoldens() {
  std::ifstream in(SEEDLM_SPEC_DOC);
  EXPECT_TRUE(in.good()) << "cannot open " << SEEDLM_SPEC_DOC;
  std::vector<Golden> out;
  std::string text;
  bool inside = false;
  for (int n = 1; std::getline(in, text); ++n) {
    if (text.rfind("```", 0) == 0) {
      inside = !inside && text == "```golden";
      continue;
    }
    if (!inside || text.empty() || text[0] == '#') continue;
    Golden g;
    g.line = n;
    bool rhs = false;
    for (absl::string_view tok : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      if (g.kind.empty()) {
        g.kind = std::string(tok);
      } else if (tok == ":") {
        rhs = true;
      } else if (rhs) {
        if (tok != "|") g.result.emplace_back(tok);
      } else {
        std::vector<std::string> kv =
            absl::StrSplit(tok, absl::MaxSplits('=', 1));
        g.args[kv[0]] = kv.size() > 1 ? kv[1] : "";
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

int64_t Int(const std::string& s) {
  return std::strtoll(s.c_str(), nullptr, 0);
}
uint32_t F32Bits(const std::string& s) {
  return Bits(std::strtof(s.c_str(), nullptr));
}

// seed/e/q0,q1,.. of a `decode` line.
Block ParseBlock(const std::string& s) {
  std::vector<std::string> f = absl::StrSplit(s, '/');
  Block b;
  b.seed = static_cast<uint32_t>(Int(f[0]));
  b.e = static_cast<int8_t>(Int(f[1]));
  int p = 0;
  for (absl::string_view q : absl::StrSplit(f[2], ',')) {
    b.q[p++] = static_cast<int8_t>(Int(std::string(q)));
  }
  return b;
}

class DecodeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    spec_ = &Models()[GetParam()];
    config_ = *PresetByName(spec_->preset);
    model_ = spec_->make(config_.C);
  }
  const ModelSpec* spec_ = nullptr;
  CodecConfig config_;
  std::unique_ptr<DecodeModel> model_;
};

// (a) The spec's matrix, scale and decode lines of the model's preset.
TEST_P(DecodeTest, SpecGoldenLines) {
  const CodecConfig& c = config_;
  std::map<std::string, int> seen;
  for (const Golden& g : ReadGoldens()) {
    auto preset = g.args.find("preset");
    if (preset == g.args.end() || preset->second != spec_->preset) continue;
    SCOPED_TRACE(absl::StrCat("docs/SPEC.md:", g.line, " GEN=", spec_->gen));
    if (g.kind == "matrix") {
      ASSERT_EQ(g.result.size(), static_cast<size_t>(c.C * c.P));
      Block b;
      b.seed = static_cast<uint32_t>(Int(g.args.at("seed")));
      for (int p = 0; p < c.P; ++p) {
        for (int q = 0; q < c.P; ++q) b.q[q] = q == p ? 1 : 0;
        const RtlOut r = model_->Eval(Packed(c, b), ScaleTable(c, 0));
        for (int row = 0; row < c.C; ++row) {
          EXPECT_EQ(r.sum[row], Int(g.result[row * c.P + p]))
              << "entry [" << row << "][" << p << "]";
        }
      }
    } else if (g.kind == "scale") {
      // The host's table holds the golden scale at the e field, and the RTL
      // multiplies by it: w_c = fl32(sum_c) * scale, one rounding.
      const int e = static_cast<int>(Int(g.args.at("e")));
      const int bias = static_cast<int>(Int(g.args.at("bias")));
      const uint32_t golden = static_cast<uint32_t>(Int(g.result[1]));
      ASSERT_EQ(F32Bits(g.result[0]), golden);
      const std::vector<uint32_t> table = ScaleTable(c, bias);
      ASSERT_EQ(table[static_cast<uint32_t>(e) & ((1u << c.E) - 1u)], golden);
      float scale;
      std::memcpy(&scale, &golden, 4);
      Block b;
      b.e = static_cast<int8_t>(e);
      for (uint32_t seed : {1u, 0xACE1u, 0xFFFFu}) {
        b.seed = seed;
        for (int p = 0; p < c.P; ++p)
          b.q[p] = static_cast<int8_t>(c.q_lo() + p);
        const RtlOut r = model_->Eval(Packed(c, b), table);
        for (int row = 0; row < c.C; ++row) {
          EXPECT_EQ(r.weight[row], Bits(static_cast<float>(r.sum[row]) * scale))
              << "seed " << seed << " row " << row;
        }
        EXPECT_EQ(Check(c, bias, b, r), "");
      }
    } else if (g.kind == "decode") {
      ASSERT_EQ(g.result.size(), static_cast<size_t>(2 * c.C + 1));
      const int bias = static_cast<int>(Int(g.args.at("bias")));
      const Block b = ParseBlock(g.args.at("block"));
      const RtlOut r = model_->Eval(Packed(c, b), ScaleTable(c, bias));
      for (int row = 0; row < c.C; ++row) {
        EXPECT_EQ(r.sum[row], Int(g.result[row])) << "sum_" << row;
        EXPECT_EQ(r.weight[row], F32Bits(g.result[c.C + 1 + row]))
            << "w_" << row;
      }
      EXPECT_EQ(Check(c, bias, b, r), "");
    } else {
      continue;
    }
    ++seen[g.kind];
  }
  // Every preset has lines of the three kinds (spec §3, §4, §8).
  for (const char* kind : {"matrix", "scale", "decode"}) {
    EXPECT_GE(seen[kind], 1) << "no " << kind << " line for " << spec_->preset;
  }
}

// (b) Random blocks under random biases in [-20, 10].
TEST_P(DecodeTest, RandomBlocksMatchDecodeBlock) {
  const CodecConfig& c = config_;
  std::mt19937 rng(kRngSeed + static_cast<uint32_t>(GetParam()));
  auto uniform = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int bias = 0;
  std::vector<uint32_t> scales;
  for (int i = 0; i < kRandomBlocks; ++i) {
    if (i % kBlocksPerBias == 0) {
      bias = uniform(-20, 10);
      scales = ScaleTable(c, bias);
    }
    Block b;
    b.seed = static_cast<uint32_t>(uniform(1, static_cast<int>(c.num_seeds())));
    b.e = static_cast<int8_t>(uniform(c.e_lo(), c.e_hi()));
    for (int p = 0; p < c.P; ++p) {
      b.q[p] = static_cast<int8_t>(uniform(c.q_lo(), c.q_hi()));
    }
    const std::string diff =
        Check(c, bias, b, model_->Eval(Packed(c, b), scales));
    ASSERT_EQ(diff, "") << spec_->preset << " GEN=" << spec_->gen
                        << " rng seed " << kRngSeed + GetParam() << " block "
                        << i << " = " << BlockText(c, b) << " bias " << bias;
  }
}

// (c) Every seed's matrix, read through the sums with unit coefficient
// vectors (q_p = 1, the others 0: sum_c = M[c][p]).
TEST_P(DecodeTest, EverySeedMatrixMatchesSeedMatrix) {
  const CodecConfig& c = config_;
  const std::vector<uint32_t> scales = ScaleTable(c, 0);
  std::vector<int32_t> m(c.C * c.P);
  for (uint32_t seed = 1; seed <= c.num_seeds(); ++seed) {
    SeedMatrix(c, seed, m.data());
    for (int p = 0; p < c.P; ++p) {
      Block b;
      b.seed = seed;
      b.q[p] = 1;
      const RtlOut r = model_->Eval(Packed(c, b), scales);
      for (int row = 0; row < c.C; ++row) {
        ASSERT_EQ(r.sum[row], m[row * c.P + p])
            << spec_->preset << " GEN=" << spec_->gen << " seed " << seed
            << " entry [" << row << "][" << p << "]";
      }
    }
  }
}

// (c) The two generators agree on every seed, with random e and q fields.
TEST(DecodeGenerators, XorNetworkEqualsSteppedLfsr) {
  const std::vector<ModelSpec>& models = Models();
  for (size_t i = 0; i < models.size(); ++i) {
    for (size_t j = i + 1; j < models.size(); ++j) {
      if (std::string(models[i].preset) != models[j].preset) continue;
      const CodecConfig c = *PresetByName(models[i].preset);
      std::unique_ptr<DecodeModel> a = models[i].make(c.C);
      std::unique_ptr<DecodeModel> b = models[j].make(c.C);
      std::mt19937 rng(kRngSeed);
      const std::vector<uint32_t> scales = ScaleTable(c, -8);
      for (uint32_t seed = 1; seed <= c.num_seeds(); ++seed) {
        // seed in [0, K), the other B - K bits random.
        const uint64_t mask = (uint64_t{1} << c.bits_per_block()) - 1;
        const uint64_t bits = seed | ((uint64_t{rng()} << c.K) & mask);
        const RtlOut ra = a->Eval(bits, scales), rb = b->Eval(bits, scales);
        ASSERT_TRUE(ra.sum == rb.sum && ra.weight == rb.weight &&
                    ra.qsum == rb.qsum && ra.e_field == rb.e_field)
            << models[i].preset << " rng seed " << kRngSeed << " block bits 0x"
            << std::hex << bits;
      }
    }
  }
}

std::string Name(const ::testing::TestParamInfo<int>& info) {
  const ModelSpec& s = Models()[info.param];
  std::string n = absl::StrCat(s.preset, "_gen", s.gen);
  for (char& ch : n) {
    if (ch == '-') ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Models, DecodeTest,
                         ::testing::Range(0, static_cast<int>(Models().size())),
                         Name);

}  // namespace
}  // namespace seedlm
