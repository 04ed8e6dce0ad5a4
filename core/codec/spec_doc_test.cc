// Keeps docs/SPEC.md honest: every line of its ```golden blocks is recomputed
// here with the codec's and the reference encoder's own functions, and the
// test fails on any difference (a wrong number, a missing preset, a golden
// block that went missing). The grammar of a golden line is docs/SPEC.md §6
// ("Golden vectors"):
//
//   kind key=value ... : result tokens
//
// To regenerate the results after an intended change, run the test with
// SEEDLM_PRINT_SPEC_GOLDENS=1: it prints every line with the computed
// results (the test still fails where they differ from the document).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/codec/block_format.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/spec_trellis_goldens.h"
#include "core/search/quantizer.h"
#include "core/search/reference_search.h"
#include "core/search/search_options.h"
#include "core/search/seed_table.h"
#include "gtest/gtest.h"

// CMake passes the absolute path; Bazel the runfiles-relative one. ctest and
// Bazel both run tests from the repository root (of the runfiles).
#ifndef SEEDLM_SPEC_DOC
#define SEEDLM_SPEC_DOC "docs/SPEC.md"
#endif

namespace seedlm {
namespace {

struct GoldenLine {
  int line_no = 0;
  std::string kind;
  std::vector<std::pair<std::string, std::string>> args;
  std::vector<std::string> result;

  const std::string* Find(const std::string& key) const {
    for (const auto& kv : args) {
      if (kv.first == key) return &kv.second;
    }
    return nullptr;
  }
  std::string Lhs() const {
    std::string s = kind;
    for (const auto& kv : args)
      absl::StrAppend(&s, " ", kv.first, "=", kv.second);
    return s;
  }
};

// The ```golden blocks of the document, one GoldenLine per non-empty,
// non-comment line.
absl::StatusOr<std::vector<GoldenLine>> ReadGoldens(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<GoldenLine> out;
  std::string text;
  bool inside = false;
  for (int n = 1; std::getline(in, text); ++n) {
    absl::string_view line = absl::StripAsciiWhitespace(text);
    if (!inside) {
      inside = line == "```golden";
      continue;
    }
    if (absl::StartsWith(line, "```")) {
      inside = false;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    GoldenLine g;
    g.line_no = n;
    bool rhs = false;
    for (absl::string_view tok :
         absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
      if (g.kind.empty()) {
        g.kind = std::string(tok);
      } else if (rhs) {
        g.result.emplace_back(tok);
      } else if (tok == ":") {
        rhs = true;
      } else {
        const size_t eq = tok.find('=');
        if (eq == absl::string_view::npos) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ":", n, ": argument '", tok, "' is not key=value"));
        }
        g.args.emplace_back(std::string(tok.substr(0, eq)),
                            std::string(tok.substr(eq + 1)));
      }
    }
    if (!rhs) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": no ' : ' before the results"));
    }
    out.push_back(std::move(g));
  }
  if (inside) return absl::InvalidArgumentError("unterminated ```golden block");
  return out;
}

// --- Parsing of argument values ---

absl::StatusOr<int64_t> ParseInt(absl::string_view s) {
  if (absl::StartsWith(s, "0x")) {
    uint64_t v;
    if (!absl::SimpleHexAtoi(s.substr(2), &v)) {
      return absl::InvalidArgumentError(absl::StrCat("bad hex '", s, "'"));
    }
    return static_cast<int64_t>(v);
  }
  int64_t v;
  if (!absl::SimpleAtoi(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("bad integer '", s, "'"));
  }
  return v;
}

absl::StatusOr<double> ParseDouble(absl::string_view s) {
  // strtod: correctly rounded decimal -> binary64 (absl's SimpleAtod is too).
  const std::string str(s);
  char* end = nullptr;
  const double v = std::strtod(str.c_str(), &end);
  if (str.empty() || *end != '\0') {
    return absl::InvalidArgumentError(absl::StrCat("bad number '", s, "'"));
  }
  return v;
}

absl::StatusOr<std::vector<double>> ParseDoubles(absl::string_view s) {
  std::vector<double> v;
  for (absl::string_view t : absl::StrSplit(s, ',')) {
    absl::StatusOr<double> d = ParseDouble(t);
    if (!d.ok()) return d.status();
    v.push_back(*d);
  }
  return v;
}

class Args {
 public:
  explicit Args(const GoldenLine& g) : g_(g) {}

  absl::StatusOr<std::string> Str(const std::string& key) const {
    const std::string* v = g_.Find(key);
    if (v == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("missing ", key, "="));
    }
    return *v;
  }
  absl::StatusOr<int64_t> Int(const std::string& key) const {
    absl::StatusOr<std::string> s = Str(key);
    if (!s.ok()) return s.status();
    return ParseInt(*s);
  }
  absl::StatusOr<std::vector<double>> Doubles(const std::string& key) const {
    absl::StatusOr<std::string> s = Str(key);
    if (!s.ok()) return s.status();
    return ParseDoubles(*s);
  }
  // preset=NAME, or codec=C,P,K,Q,E,variant.
  absl::StatusOr<CodecConfig> Codec() const {
    if (const std::string* p = g_.Find("preset")) return PresetByName(*p);
    absl::StatusOr<std::string> s = Str("codec");
    if (!s.ok()) return s.status();
    std::vector<std::string> f = absl::StrSplit(*s, ',');
    if (f.size() != 6)
      return absl::InvalidArgumentError("codec needs 6 fields");
    CodecConfig c;
    int* fields[5] = {&c.C, &c.P, &c.K, &c.Q, &c.E};
    for (int i = 0; i < 5; ++i) {
      if (!absl::SimpleAtoi(f[i], fields[i])) {
        return absl::InvalidArgumentError(absl::StrCat("bad codec ", *s));
      }
    }
    if (f[5] == "paper") {
      c.variant = Variant::kPaper;
    } else if (f[5] == "i8") {
      c.variant = Variant::kI8;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("bad variant ", f[5]));
    }
    absl::Status v = c.Validate();
    if (!v.ok()) return v;
    return c;
  }
  absl::StatusOr<ExponentMode> Mode() const {
    absl::StatusOr<std::string> s = Str("mode");
    if (!s.ok()) return s.status();
    return ParseExponentMode(*s);
  }

 private:
  const GoldenLine& g_;
};

// seed/e/q0,q1,... (P coefficients).
absl::StatusOr<Block> ParseBlock(const CodecConfig& c, absl::string_view s) {
  std::vector<absl::string_view> f = absl::StrSplit(s, '/');
  if (f.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat("bad block '", s, "'"));
  }
  Block b;
  absl::StatusOr<int64_t> seed = ParseInt(f[0]);
  absl::StatusOr<int64_t> e = ParseInt(f[1]);
  if (!seed.ok()) return seed.status();
  if (!e.ok()) return e.status();
  std::vector<absl::string_view> q = absl::StrSplit(f[2], ',');
  if (static_cast<int>(q.size()) != c.P) {
    return absl::InvalidArgumentError(
        absl::StrCat("block '", s, "' needs ", c.P, " coefficients"));
  }
  if (*seed < 1 || *seed > c.num_seeds() || *e < c.e_lo() || *e > c.e_hi()) {
    return absl::InvalidArgumentError(
        absl::StrCat("block '", s, "' out of range"));
  }
  b.seed = static_cast<uint32_t>(*seed);
  b.e = static_cast<int8_t>(*e);
  for (int p = 0; p < c.P; ++p) {
    absl::StatusOr<int64_t> v = ParseInt(q[p]);
    if (!v.ok()) return v.status();
    if (*v < c.q_lo() || *v > c.q_hi()) {
      return absl::InvalidArgumentError(
          absl::StrCat("block '", s, "': q out of range"));
    }
    b.q[p] = static_cast<int8_t>(*v);
  }
  return b;
}

absl::StatusOr<std::vector<Block>> ParseBlocks(const CodecConfig& c,
                                               absl::string_view s) {
  std::vector<Block> v;
  for (absl::string_view t : absl::StrSplit(s, ';')) {
    absl::StatusOr<Block> b = ParseBlock(c, t);
    if (!b.ok()) return b.status();
    v.push_back(*b);
  }
  return v;
}

// --- Canonical formatting of results ---

std::string FormatBlock(const CodecConfig& c, const Block& b) {
  std::vector<int> q(b.q, b.q + c.P);
  return absl::StrCat(b.seed, "/", static_cast<int>(b.e), "/",
                      absl::StrJoin(q, ","));
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}
// A float32 with 9 significant digits: reads back to the same float.
std::string F32(float v) { return Fmt("%.9g", v); }
// A float64 error as printed in the document: 6 significant digits.
std::string Err(double v) { return "err=" + Fmt("%.6g", v); }
std::string Hex8(uint32_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02x", byte);
  return buf;
}

using Tokens = std::vector<std::string>;

// --- The kinds of golden lines ---

absl::StatusOr<Tokens> ComputePreset(const Args& a) {
  absl::StatusOr<std::string> name = a.Str("name");
  if (!name.ok()) return name.status();
  absl::StatusOr<CodecConfig> c = PresetByName(*name);
  if (!c.ok()) return c.status();
  if (c->is_trellis()) {  // §13.1
    return Tokens{"family=trellis", absl::StrCat("L=", c->trellis.L),
                  absl::StrCat("R=", c->trellis.R),
                  absl::StrCat("T=", c->trellis.T),
                  absl::StrCat("rotate=", c->trellis.rotate ? 1 : 0)};
  }
  return Tokens{absl::StrCat("C=", c->C),
                absl::StrCat("P=", c->P),
                absl::StrCat("K=", c->K),
                absl::StrCat("Q=", c->Q),
                absl::StrCat("E=", c->E),
                absl::StrCat("variant=", VariantName(c->variant)),
                absl::StrCat("bits=", c->bits_per_block())};
}

absl::StatusOr<Tokens> ComputeLfsr(const Args& a) {
  absl::StatusOr<int64_t> K = a.Int("K"), seed = a.Int("seed"),
                          from = a.Int("from"), count = a.Int("count");
  for (const auto* s : {&K, &seed, &from, &count}) {
    if (!s->ok()) return s->status();
  }
  if (*K < kMinK || *K > kMaxK || *seed < 1 || *seed >= (int64_t{1} << *K) ||
      *from < 1 || *count < 1) {
    return absl::InvalidArgumentError("lfsr arguments out of range");
  }
  Tokens out;
  uint32_t s = static_cast<uint32_t>(*seed);
  for (int64_t n = 1; n < *from + *count; ++n) {
    s = LfsrStep(s, static_cast<int>(*K));
    if (n >= *from) out.push_back(absl::StrCat(s));
  }
  return out;
}

absl::StatusOr<Tokens> ComputePeriod(const Args& a) {
  absl::StatusOr<int64_t> K = a.Int("K");
  if (!K.ok()) return K.status();
  if (*K < kMinK || *K > kMaxK) return absl::InvalidArgumentError("bad K");
  const int64_t limit = int64_t{1} << *K;
  uint32_t s = 1;
  int64_t n = 0;
  do {
    s = LfsrStep(s, static_cast<int>(*K));
    ++n;
  } while (s != 1 && n < limit);
  return Tokens{absl::StrCat(n)};
}

absl::StatusOr<Tokens> ComputeMatrix(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> seed = a.Int("seed");
  if (!seed.ok()) return seed.status();
  if (*seed < 1 || *seed > c->num_seeds()) {
    return absl::InvalidArgumentError("seed out of range");
  }
  std::vector<int32_t> m(c->C * c->P);
  SeedMatrix(*c, static_cast<uint32_t>(*seed), m.data());
  Tokens out;
  for (int r = 0; r < c->C; ++r) {
    if (r > 0) out.push_back("|");
    for (int p = 0; p < c->P; ++p) out.push_back(absl::StrCat(m[r * c->P + p]));
  }
  return out;
}

absl::StatusOr<Tokens> ComputeScale(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> e = a.Int("e"), bias = a.Int("bias");
  if (!e.ok()) return e.status();
  if (!bias.ok()) return bias.status();
  const float s = BlockScale(*c, static_cast<int>(*e), static_cast<int>(*bias));
  uint32_t bits;
  std::memcpy(&bits, &s, 4);
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", bits);
  return Tokens{F32(s), hex};
}

absl::StatusOr<Tokens> ComputeDecode(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> bias = a.Int("bias");
  if (!bias.ok()) return bias.status();
  absl::StatusOr<std::string> bs = a.Str("block");
  if (!bs.ok()) return bs.status();
  absl::StatusOr<Block> b = ParseBlock(*c, *bs);
  if (!b.ok()) return b.status();
  std::vector<int32_t> m(c->C * c->P);
  SeedMatrix(*c, b->seed, m.data());
  Tokens out;
  for (int r = 0; r < c->C; ++r) {
    int64_t sum = 0;
    for (int p = 0; p < c->P; ++p) sum += int64_t{m[r * c->P + p]} * b->q[p];
    out.push_back(absl::StrCat(sum));
  }
  out.push_back("->");
  std::vector<float> w(c->C);
  DecodeBlock(*c, static_cast<int>(*bias), *b, w.data());
  for (float v : w) out.push_back(F32(v));
  return out;
}

absl::StatusOr<Tokens> ComputePack(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<std::string> bs = a.Str("blocks");
  if (!bs.ok()) return bs.status();
  absl::StatusOr<std::vector<Block>> blocks = ParseBlocks(*c, *bs);
  if (!blocks.ok()) return blocks.status();
  const BlockLayout l = c->layout();
  std::vector<uint8_t> bytes(PackedBytes(blocks->size(), l.bits()), 0);
  for (size_t i = 0; i < blocks->size(); ++i) {
    PackBlock(l, (*blocks)[i], bytes.data(), i);
  }
  for (size_t i = 0; i < blocks->size(); ++i) {
    if (UnpackBlock(l, bytes.data(), i) != (*blocks)[i]) {
      return absl::InternalError("pack/unpack round trip failed");
    }
  }
  Tokens out;
  for (uint8_t v : bytes) out.push_back(Hex8(v));
  return out;
}

absl::StatusOr<Tokens> ComputeExponents(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<ExponentMode> mode = a.Mode();
  if (!mode.ok()) return mode.status();
  absl::StatusOr<int64_t> bias = a.Int("bias");
  if (!bias.ok()) return bias.status();
  absl::StatusOr<std::string> ms = a.Str("maxt");
  if (!ms.ok()) return ms.status();
  absl::StatusOr<double> m = ParseDouble(*ms);
  if (!m.ok()) return m.status();
  const Quantizer quant(*c, *mode, static_cast<int>(*bias));
  int cand[3];
  const int n = quant.Candidates(*m, cand);
  Tokens out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(cand[i]));
  return out;
}

absl::StatusOr<Tokens> ComputeQuantize(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> bias = a.Int("bias"), e = a.Int("e");
  if (!bias.ok()) return bias.status();
  if (!e.ok()) return e.status();
  absl::StatusOr<std::vector<double>> t = a.Doubles("t");
  if (!t.ok()) return t.status();
  if (static_cast<int>(t->size()) != c->P) {
    return absl::InvalidArgumentError("t needs P values");
  }
  const Quantizer quant(*c, ExponentMode::kSearch, static_cast<int>(*bias));
  int8_t q[kMaxP];
  quant.Quantize(t->data(), static_cast<int>(*e), q);
  Tokens out;
  for (int p = 0; p < c->P; ++p) out.push_back(absl::StrCat(q[p]));
  return out;
}

SearchOptions MakeOptions(const CodecConfig& c, ExponentMode mode, int bias) {
  SearchOptions o;
  o.codec = c;
  o.mode = mode;
  o.exponent_bias = bias;
  return o;
}

absl::StatusOr<Tokens> ComputeEncode(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<ExponentMode> mode = a.Mode();
  if (!mode.ok()) return mode.status();
  absl::StatusOr<int64_t> bias = a.Int("bias");
  if (!bias.ok()) return bias.status();
  absl::StatusOr<std::vector<double>> w = a.Doubles("w");
  if (!w.ok()) return w.status();
  if (static_cast<int>(w->size()) != c->C) {
    return absl::InvalidArgumentError("w needs C values");
  }
  absl::StatusOr<std::shared_ptr<const SeedTable>> table = SeedTable::Get(*c);
  if (!table.ok()) return table.status();
  const BlockResult r = ReferenceSearchBlock(
      **table, MakeOptions(*c, *mode, static_cast<int>(*bias)), w->data());
  return Tokens{FormatBlock(*c, r.block), Err(r.err)};
}

absl::StatusOr<Tokens> ComputeTie(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> bias = a.Int("bias");
  if (!bias.ok()) return bias.status();
  absl::StatusOr<std::vector<double>> w = a.Doubles("w");
  if (!w.ok()) return w.status();
  absl::StatusOr<std::string> as = a.Str("a"), bs = a.Str("b");
  if (!as.ok()) return as.status();
  if (!bs.ok()) return bs.status();
  absl::StatusOr<Block> ba = ParseBlock(*c, *as), bb = ParseBlock(*c, *bs);
  if (!ba.ok()) return ba.status();
  if (!bb.ok()) return bb.status();
  if (static_cast<int>(w->size()) != c->C) {
    return absl::InvalidArgumentError("w needs C values");
  }
  const Quantizer quant(*c, ExponentMode::kSearch, static_cast<int>(*bias));
  std::vector<int32_t> ma(c->C * c->P), mb(c->C * c->P);
  SeedMatrix(*c, ba->seed, ma.data());
  SeedMatrix(*c, bb->seed, mb.data());
  const double ea = quant.Error(ma.data(), ba->q, ba->e, w->data());
  const double eb = quant.Error(mb.data(), bb->q, bb->e, w->data());
  return Tokens{Err(ea), ea == eb ? "equal" : Err(eb)};
}

absl::StatusOr<Tokens> ComputeTensor(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<ExponentMode> mode = a.Mode();
  if (!mode.ok()) return mode.status();
  absl::StatusOr<int64_t> bias = a.Int("bias"), rows = a.Int("rows"),
                          cols = a.Int("cols");
  for (const auto* s : {&bias, &rows, &cols}) {
    if (!s->ok()) return s->status();
  }
  absl::StatusOr<std::vector<double>> w = a.Doubles("w");
  if (!w.ok()) return w.status();
  if (static_cast<int64_t>(w->size()) != *rows * *cols) {
    return absl::InvalidArgumentError("w needs rows * cols values");
  }
  absl::StatusOr<std::shared_ptr<const SeedTable>> table = SeedTable::Get(*c);
  if (!table.ok()) return table.status();
  const SearchOptions o = MakeOptions(*c, *mode, static_cast<int>(*bias));
  // The tensor's elements are float32 (the nearest to the decimals written),
  // widened exactly to float64; each row is cut into blocks of C, the last
  // one padded with zeros.
  const int64_t bpr = (*cols + c->C - 1) / c->C;
  Tokens out;
  for (int64_t r = 0; r < *rows; ++r) {
    for (int64_t b = 0; b < bpr; ++b) {
      std::vector<double> block(c->C, 0.0);
      for (int i = 0; i < c->C && b * c->C + i < *cols; ++i) {
        block[i] = static_cast<double>(
            static_cast<float>((*w)[r * *cols + b * c->C + i]));
      }
      const BlockResult res = ReferenceSearchBlock(**table, o, block.data());
      out.push_back(FormatBlock(*c, res.block));
    }
  }
  return out;
}

absl::StatusOr<Tokens> ComputePayload(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> rows = a.Int("rows"), cols = a.Int("cols");
  if (!rows.ok()) return rows.status();
  if (!cols.ok()) return cols.status();
  absl::StatusOr<std::string> bs = a.Str("blocks");
  if (!bs.ok()) return bs.status();
  absl::StatusOr<std::vector<Block>> blocks = ParseBlocks(*c, *bs);
  if (!blocks.ok()) return blocks.status();
  const PackedGeometry g = MakeGeometry(*c, *rows, *cols);
  if (static_cast<int64_t>(blocks->size()) != g.num_blocks()) {
    return absl::InvalidArgumentError("blocks must be rows * blocks_per_row");
  }
  std::vector<uint8_t> bytes(g.payload_bytes(), 0);
  for (int64_t i = 0; i < g.num_blocks(); ++i) {
    PackBlock(c->layout(), (*blocks)[i], bytes.data(),
              static_cast<uint64_t>(i));
  }
  Tokens out;
  for (uint8_t v : bytes) out.push_back(Hex8(v));
  return out;
}

absl::StatusOr<Tokens> ComputeRows(const Args& a) {
  absl::StatusOr<CodecConfig> c = a.Codec();
  if (!c.ok()) return c.status();
  absl::StatusOr<int64_t> bias = a.Int("bias"), rows = a.Int("rows"),
                          cols = a.Int("cols");
  for (const auto* s : {&bias, &rows, &cols}) {
    if (!s->ok()) return s->status();
  }
  absl::StatusOr<std::string> hex = a.Str("payload");
  if (!hex.ok()) return hex.status();
  std::vector<uint8_t> bytes;
  for (absl::string_view h : absl::StrSplit(*hex, ',')) {
    uint32_t v;
    if (h.size() != 2 || !absl::SimpleHexAtoi(h, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("bad byte '", h, "'"));
    }
    bytes.push_back(static_cast<uint8_t>(v));
  }
  const PackedGeometry g = MakeGeometry(*c, *rows, *cols);
  std::vector<float> out(static_cast<size_t>(*rows * *cols));
  absl::Status s = DecodePackedRows(*c, static_cast<int>(*bias), g, bytes, 0,
                                    *rows, absl::MakeSpan(out));
  if (!s.ok()) return s;
  Tokens t;
  for (int64_t r = 0; r < *rows; ++r) {
    if (r > 0) t.push_back("|");
    for (int64_t i = 0; i < *cols; ++i) t.push_back(F32(out[r * *cols + i]));
  }
  return t;
}

absl::StatusOr<Tokens> ComputeInitialBias(const Args& a) {
  absl::StatusOr<std::string> s = a.Str("rms");
  if (!s.ok()) return s.status();
  absl::StatusOr<double> rms = ParseDouble(*s);
  if (!rms.ok()) return rms.status();
  return Tokens{absl::StrCat(InitialExponentBias(*rms))};
}

absl::StatusOr<Tokens> Compute(const GoldenLine& g) {
  using Fn = absl::StatusOr<Tokens> (*)(const Args&);
  static const auto* kinds = new std::map<std::string, Fn>{
      {"preset", ComputePreset},
      {"lfsr", ComputeLfsr},
      {"period", ComputePeriod},
      {"matrix", ComputeMatrix},
      {"scale", ComputeScale},
      {"decode", ComputeDecode},
      {"pack", ComputePack},
      {"exponents", ComputeExponents},
      {"quantize", ComputeQuantize},
      {"encode", ComputeEncode},
      {"tie", ComputeTie},
      {"tensor", ComputeTensor},
      {"payload", ComputePayload},
      {"rows", ComputeRows},
      {"initial_bias", ComputeInitialBias},
  };
  if (IsTrellisGoldenKind(g.kind)) {
    std::map<std::string, std::string> args(g.args.begin(), g.args.end());
    return ComputeTrellisGolden(g.kind, args);
  }
  auto it = kinds->find(g.kind);
  if (it == kinds->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown golden kind '", g.kind, "'"));
  }
  return it->second(Args(g));
}

const std::vector<GoldenLine>& Goldens() {
  static const auto* goldens = [] {
    absl::StatusOr<std::vector<GoldenLine>> g = ReadGoldens(SEEDLM_SPEC_DOC);
    if (!g.ok()) {
      ADD_FAILURE() << g.status();
      return new std::vector<GoldenLine>();
    }
    return new std::vector<GoldenLine>(*std::move(g));
  }();
  return *goldens;
}

TEST(SpecDocTest, EveryGoldenLineMatchesTheCode) {
  const bool print = std::getenv("SEEDLM_PRINT_SPEC_GOLDENS") != nullptr;
  ASSERT_FALSE(Goldens().empty()) << SEEDLM_SPEC_DOC << " has no golden lines";
  for (const GoldenLine& g : Goldens()) {
    absl::StatusOr<Tokens> got = Compute(g);
    ASSERT_TRUE(got.ok()) << SEEDLM_SPEC_DOC << ":" << g.line_no << ": "
                          << got.status();
    const std::string computed =
        absl::StrCat(g.Lhs(), " : ", absl::StrJoin(*got, " "));
    if (print) std::printf("%s\n", computed.c_str());
    EXPECT_EQ(g.result, *got)
        << SEEDLM_SPEC_DOC << ":" << g.line_no << ": the document says\n  "
        << g.Lhs() << " : " << absl::StrJoin(g.result, " ")
        << "\nthe code computes\n  " << computed;
  }
}

// The document covers every preset the code has (and no other), every K,
// every exponent mode, and every kind of golden vector, so deleting lines
// cannot make the test above pass vacuously.
TEST(SpecDocTest, GoldensCoverEveryPresetKAndMode) {
  std::map<std::string, std::set<std::string>> presets_by_kind;
  std::set<std::string> preset_lines;
  std::set<int64_t> lfsr_k, period_k;
  std::set<std::string> modes;
  for (const GoldenLine& g : Goldens()) {
    if (g.kind == "preset") {
      const std::string* n = g.Find("name");
      ASSERT_NE(n, nullptr);
      EXPECT_TRUE(preset_lines.insert(*n).second) << "duplicate preset " << *n;
    }
    if (const std::string* p = g.Find("preset")) {
      presets_by_kind[g.kind].insert(*p);
    }
    const std::string* k = g.Find("K");
    absl::StatusOr<int64_t> K = ParseInt(k != nullptr ? *k : "");
    if (g.kind == "lfsr" && K.ok()) lfsr_k.insert(*K);
    if (g.kind == "period" && K.ok()) period_k.insert(*K);
    const std::string* mode = g.Find("mode");
    if (g.kind == "encode" && mode != nullptr) modes.insert(*mode);
  }
  const std::set<std::string> all(PresetNames().begin(), PresetNames().end());
  std::set<std::string> block, trellis;
  for (const std::string& n : all) {
    (PresetByName(n)->is_trellis() ? trellis : block).insert(n);
  }
  EXPECT_EQ(preset_lines, all) << "a 'preset' line for every preset";
  for (const char* kind : {"matrix", "scale", "decode", "pack", "encode"}) {
    EXPECT_EQ(presets_by_kind[kind], block) << "'" << kind << "' lines";
  }
  for (const char* kind :
       {"trellis_layout", "trellis_encode", "trellis_decode"}) {
    EXPECT_EQ(presets_by_kind[kind], trellis) << "'" << kind << "' lines";
  }
  for (int K = kMinK; K <= kMaxK; ++K) {
    EXPECT_EQ(lfsr_k.count(K), 1u) << "lfsr K=" << K;
    EXPECT_EQ(period_k.count(K), 1u) << "period K=" << K;
  }
  EXPECT_EQ(modes, (std::set<std::string>{"search", "fit", "paper"}));
  for (const char* kind :
       {"exponents", "quantize", "tie", "tensor", "payload", "rows",
        "initial_bias", "trellis_code", "trellis_rotate", "trellis_states"}) {
    bool found = false;
    for (const GoldenLine& g : Goldens()) found |= g.kind == kind;
    EXPECT_TRUE(found) << "no '" << kind << "' line";
  }
}

// The tensor examples chain: each `payload` line packs the blocks its
// `tensor` line encodes, and each `rows` line decodes that payload.
TEST(SpecDocTest, TensorExamplesChain) {
  auto key = [](const GoldenLine& g) {
    const std::string* p = g.Find("preset");
    const std::string* r = g.Find("rows");
    const std::string* c = g.Find("cols");
    return absl::StrCat(p ? *p : "?", " ", r ? *r : "?", "x", c ? *c : "?");
  };
  std::map<std::string, std::string> encoded, packed;
  for (const GoldenLine& g : Goldens()) {
    if (g.kind == "tensor") encoded[key(g)] = absl::StrJoin(g.result, ";");
    if (g.kind == "payload") packed[key(g)] = absl::StrJoin(g.result, ",");
  }
  int chained = 0;
  for (const GoldenLine& g : Goldens()) {
    if (g.kind == "payload") {
      ASSERT_EQ(encoded.count(key(g)), 1u) << "no tensor line for " << key(g);
      EXPECT_EQ(*g.Find("blocks"), encoded[key(g)]) << key(g);
      ++chained;
    }
    if (g.kind == "rows") {
      ASSERT_EQ(packed.count(key(g)), 1u) << "no payload line for " << key(g);
      EXPECT_EQ(*g.Find("payload"), packed[key(g)]) << key(g);
      ++chained;
    }
  }
  EXPECT_GE(chained, 2);
}

// The checker itself notices a wrong number.
TEST(SpecDocTest, AWrongNumberIsCaught) {
  for (const GoldenLine& g : Goldens()) {
    if (g.kind != "lfsr") continue;
    GoldenLine bad = g;
    bad.result[0] = absl::StrCat(*ParseInt(bad.result[0]) + 1);
    EXPECT_NE(*Compute(bad), bad.result);
    return;
  }
  FAIL() << "no lfsr line";
}

}  // namespace
}  // namespace seedlm
