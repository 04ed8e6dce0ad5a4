#include "core/codec/codec.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace seedlm {
namespace {

// Spec §2: maximal-length tap sets, 0-based bit positions.
struct TapSet {
  int n;
  int taps[4];
};
constexpr TapSet kTaps[kMaxK + 1] = {
    {0, {}},
    {0, {}},
    {2, {0, 1}},
    {2, {0, 1}},
    {2, {0, 1}},
    {2, {0, 2}},
    {2, {0, 1}},
    {2, {0, 1}},
    {4, {0, 2, 3, 4}},
    {2, {0, 4}},
    {2, {0, 3}},
    {2, {0, 2}},
    {4, {0, 1, 2, 8}},
    {4, {0, 1, 2, 5}},
    {4, {0, 1, 2, 12}},
    {2, {0, 1}},
    {4, {0, 1, 3, 12}},
    {2, {0, 3}},
    {2, {0, 7}},
    {4, {0, 1, 2, 5}},
    {2, {0, 3}},
    {2, {0, 2}},
    {2, {0, 1}},
    {2, {0, 5}},
    {4, {0, 1, 2, 7}},
};

int CeilLog2(int x) {
  int r = 0;
  while ((1 << r) < x) ++r;
  return r;
}

absl::Status OutOfRange(const char* name, int v, int lo, int hi) {
  return absl::InvalidArgumentError(absl::StrCat(
      "codec parameter ", name, " = ", v, " is outside ", lo, "..", hi));
}

absl::Status ValidateTrellis(const TrellisParams& t) {
  if (t.L < 8 || t.L > 16) return OutOfRange("L", t.L, 8, 16);
  if (t.R < 1 || t.R > 8) return OutOfRange("R", t.R, 1, 8);
  if (t.R >= t.L) {
    return absl::InvalidArgumentError(absl::StrCat(
        "codec parameter R = ", t.R, " must be less than L = ", t.L));
  }
  if (t.T < 16 || t.T > 4096 || (t.T & (t.T - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "codec parameter T = ", t.T, " is not a power of two in 16..4096"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CodecConfig::Validate() const {
  if (family == CodecFamily::kTrellis) return ValidateTrellis(trellis);
  if (family != CodecFamily::kBlock) {
    return absl::InvalidArgumentError("unknown codec family");
  }
  if (C < 1 || C > kMaxC) return OutOfRange("C", C, 1, kMaxC);
  if (P < 1 || P > kMaxP) return OutOfRange("P", P, 1, kMaxP);
  if (K < kMinK || K > kMaxK) return OutOfRange("K", K, kMinK, kMaxK);
  if (Q < kMinQ || Q > kMaxQ) return OutOfRange("Q", Q, kMinQ, kMaxQ);
  if (E < 0 || E > kMaxE) return OutOfRange("E", E, 0, kMaxE);
  if (P > C) {
    return absl::InvalidArgumentError(
        absl::StrCat("codec parameter P = ", P, " exceeds C = ", C,
                     " (more coefficients than weights per block)"));
  }
  if (variant != Variant::kPaper && variant != Variant::kI8) {
    return absl::InvalidArgumentError("unknown codec variant");
  }
  if (variant == Variant::kI8 && K < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("variant i8 needs K >= 8 (got K = ", K, ")"));
  }
  if ((K - 1) + (Q - 1) + CeilLog2(P) > 24) {
    return absl::InvalidArgumentError(absl::StrCat(
        "codec (K=", K, ", Q=", Q, ", P=", P,
        ") breaks the exact-float rule (K-1)+(Q-1)+ceil(log2 P) <= 24"));
  }
  return absl::OkStatus();
}

int64_t CodecConfig::denominator() const {
  return variant == Variant::kI8 ? 128 : (int64_t{1} << (K - 1)) - 1;
}

const std::vector<std::string>& PresetNames() {
  static const auto* names =
      new std::vector<std::string>{"4bit",    "3bit",   "4bit-i8", "3bit-i8",
                                   "4bit-p4", "4bit-t", "3bit-t",  "2bit-t"};
  return *names;
}

absl::StatusOr<CodecConfig> PresetByName(absl::string_view name) {
  CodecConfig c;
  if (name == "4bit-t" || name == "3bit-t" || name == "2bit-t") {  // §13
    c.family = CodecFamily::kTrellis;
    c.trellis = TrellisParams{16, name[0] - '0', 256, true};
    return c;
  }
  if (name == "4bit-p4") {  // docs/FORMAT.md: no block exponent, 4 coefficients
    c.C = 8;
    c.P = 4;
    c.K = 16;
    c.Q = 4;
    c.E = 0;
    c.variant = Variant::kI8;
    return c;
  }
  if (name == "4bit" || name == "4bit-i8") {
    c.C = 8;
    c.P = 3;
  } else if (name == "3bit" || name == "3bit-i8") {
    c.C = 12;
    c.P = 4;
  } else {
    return absl::NotFoundError(
        absl::StrCat("unknown preset '", name,
                     "' (presets: ", absl::StrJoin(PresetNames(), ", "), ")"));
  }
  c.K = 16;
  c.Q = 4;
  c.E = 4;
  c.variant = absl::EndsWith(name, "-i8") ? Variant::kI8 : Variant::kPaper;
  return c;
}

std::string PresetName(const CodecConfig& c) {
  for (const std::string& n : PresetNames()) {
    if (*PresetByName(n) == c) return n;
  }
  return "";
}

absl::StatusOr<ExponentMode> ParseExponentMode(absl::string_view name) {
  if (name == "search") return ExponentMode::kSearch;
  if (name == "fit") return ExponentMode::kFit;
  if (name == "paper") return ExponentMode::kPaper;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown exponent mode '", name, "' (expected search, fit or paper)"));
}

const char* ExponentModeName(ExponentMode m) {
  switch (m) {
    case ExponentMode::kSearch:
      return "search";
    case ExponentMode::kFit:
      return "fit";
    case ExponentMode::kPaper:
      return "paper";
  }
  return "?";
}

const char* VariantName(Variant v) {
  return v == Variant::kI8 ? "i8" : "paper";
}

absl::Span<const int> LfsrTaps(int K) {
  return absl::Span<const int>(kTaps[K].taps, kTaps[K].n);
}

uint32_t LfsrStep(uint32_t state, int K) {
  const TapSet& t = kTaps[K];
  uint32_t b = 0;
  for (int i = 0; i < t.n; ++i) b ^= (state >> t.taps[i]) & 1u;
  return (state >> 1) | (b << (K - 1));
}

void LfsrStates(int K, uint32_t seed, int n, uint32_t* out) {
  uint32_t s = seed;
  for (int j = 0; j < n; ++j) {
    s = LfsrStep(s, K);
    out[j] = s;
  }
}

void SeedMatrix(const CodecConfig& config, uint32_t seed, int32_t* out) {
  const int n = config.C * config.P;
  const int K = config.K;
  uint32_t s = seed;
  if (config.variant == Variant::kPaper) {
    const int32_t half = int32_t{1} << (K - 1);
    for (int j = 0; j < n; ++j) {
      s = LfsrStep(s, K);
      out[j] = static_cast<int32_t>(s) - half;
    }
    return;
  }
  for (int j = 0; j < n; ++j) {
    for (int k = 0; k < 8; ++k) s = LfsrStep(s, K);
    out[j] = static_cast<int32_t>(s >> (K - 8)) - 128;
  }
}

float BlockScale(const CodecConfig& config, int e, int bias) {
  return static_cast<float>(std::ldexp(1.0, e + bias) /
                            static_cast<double>(config.denominator()));
}

void DecodeBlock(const CodecConfig& config, int bias, const Block& block,
                 float* out) {
  int32_t m[kMaxC * kMaxP];
  SeedMatrix(config, block.seed, m);
  const float scale = BlockScale(config, block.e, bias);
  for (int c = 0; c < config.C; ++c) {
    int32_t sum = 0;  // |sum| < 2^24 by the rule checked in Validate()
    for (int p = 0; p < config.P; ++p) sum += m[c * config.P + p] * block.q[p];
    out[c] = static_cast<float>(sum) * scale;
  }
}

}  // namespace seedlm
