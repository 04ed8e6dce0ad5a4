// The SeedLM codecs, exactly as docs/SPEC.md defines them: codec parameters
// and presets of both families (the block codec of spec §1-§11 and the seed
// trellis of spec §13, core/codec/trellis.h), the LFSR, the pseudo-random
// matrix of a seed (the paper's 16-bit entries and the `i8` byte variant,
// spec §8), and the block codec's normative decode of spec §4.
//
// Everything here is a pure function of its arguments and thread-compatible.
#ifndef SEEDLM_CORE_CODEC_CODEC_H_
#define SEEDLM_CORE_CODEC_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/codec/block_format.h"

namespace seedlm {

// Which matrix a seed generates.
enum class Variant : uint8_t {
  kPaper = 0,  // consecutive K-bit states, centred: V - 2^(K-1) (spec §3)
  kI8 = 1,     // top byte of every 8th state, as int8 (spec §8)
};

// How the encoder picks exponent candidates (spec §5). Not needed to decode.
enum class ExponentMode : uint8_t {
  kSearch = 0,  // {e0 - 1, e0, e0 + 1} (default)
  kFit = 1,     // {e0}
  kPaper = 2,   // floor(log2 m), the paper's printed rule
};

// The two codec families. The numbers are part of the container format.
enum class CodecFamily : uint8_t {
  kBlock = 0,    // a seed, exponent and coefficients per C weights (spec §1)
  kTrellis = 1,  // the seed trellis: overlapping L-bit seeds (spec §13)
};

// The parameters of the seed trellis (spec §13): each weight's value is the
// code of an L-bit state; a state shifts in R new bits per weight; rows are
// cut into tail-biting rings of T weights; `rotate` applies the data-free
// random Hadamard rotation to each row before quantization.
struct TrellisParams {
  int L = 16;          // state bits, 8..16
  int R = 4;           // bits per weight, 1..8 and < L
  int T = 256;         // ring length, a power of two in 16..4096
  bool rotate = true;  // spec §13.3

  friend bool operator==(const TrellisParams& a, const TrellisParams& b) {
    return a.L == b.L && a.R == b.R && a.T == b.T && a.rotate == b.rotate;
  }
  friend bool operator!=(const TrellisParams& a, const TrellisParams& b) {
    return !(a == b);
  }
};

// The parameters of a codec. Plain value type. For the trellis family only
// `family` and `trellis` matter (the block fields keep their defaults and
// are ignored); for the block family `trellis` keeps its defaults.
struct CodecConfig {
  CodecConfig() = default;
  // A block codec (C, P, K, Q, E, variant).
  constexpr CodecConfig(int c, int p, int k, int q, int e, Variant v)
      : C(c), P(p), K(k), Q(q), E(e), variant(v) {}

  int C = 8;   // weights per block, 1..64
  int P = 3;   // coefficients per block, 1..8
  int K = 16;  // LFSR length = seed bits, 2..24
  int Q = 4;   // bits per coefficient, 2..8
  int E = 4;   // exponent bits, 0..8
  Variant variant = Variant::kPaper;
  CodecFamily family = CodecFamily::kBlock;
  TrellisParams trellis;  // kTrellis only
  bool is_trellis() const { return family == CodecFamily::kTrellis; }

  // OK iff every parameter is in range and the exact-integer rule of spec §1
  // holds (trellis: the ranges of TrellisParams); otherwise INVALID_ARGUMENT
  // naming the parameter.
  absl::Status Validate() const;

  BlockLayout layout() const { return BlockLayout{K, E, P, Q}; }
  int bits_per_block() const { return K + E + P * Q; }
  uint32_t num_seeds() const { return (1u << K) - 1u; }
  int q_lo() const { return -(1 << (Q - 1)); }
  int q_hi() const { return (1 << (Q - 1)) - 1; }
  int e_lo() const { return E == 0 ? 0 : -(1 << (E - 1)); }
  int e_hi() const { return E == 0 ? 0 : (1 << (E - 1)) - 1; }
  // The divisor of the integer entries: U = M / denominator().
  // Paper: 2^(K-1) - 1; i8: 128.
  int64_t denominator() const;

  // Block family only (the methods above and below except Validate).
  friend bool operator==(const CodecConfig& a, const CodecConfig& b) {
    return a.family == b.family && a.trellis == b.trellis && a.C == b.C &&
           a.P == b.P && a.K == b.K && a.Q == b.Q && a.E == b.E &&
           a.variant == b.variant;
  }
  friend bool operator!=(const CodecConfig& a, const CodecConfig& b) {
    return !(a == b);
  }
};

// Named presets: "4bit" (8,3,16) "3bit" (12,4,16) "4bit-i8" "3bit-i8" (spec
// §1, §8), the project's "4bit-p4" (C 8, P 4, K 16, Q 4, E 0, i8: no block
// exponent, a per-tensor bias chosen by the encoder; docs/FORMAT.md), and the
// seed-trellis presets "4bit-t" "3bit-t" "2bit-t" (L 16, R 4/3/2, T 256,
// rotated; spec §13).
// NOT_FOUND (listing the names) for anything else.
absl::StatusOr<CodecConfig> PresetByName(absl::string_view name);
// The preset name of `c`, or "" if it is not a preset.
std::string PresetName(const CodecConfig& c);
// All preset names, in a stable order.
const std::vector<std::string>& PresetNames();
// The preset `seedlm compress` uses when none is given, chosen from the
// measured quality and decode speed (docs/QUALITY.md, "Default preset").
inline constexpr char kDefaultPreset[] = "4bit-p4";

absl::StatusOr<ExponentMode> ParseExponentMode(absl::string_view name);
const char* ExponentModeName(ExponentMode m);
const char* VariantName(Variant v);

// --- The LFSR (spec §2) ---

// The tap positions of the K-bit LFSR (0-based, bit 0 = least significant).
// REQUIRES: 2 <= K <= 24.
absl::Span<const int> LfsrTaps(int K);
// One Fibonacci step: feedback = XOR of the tapped bits, shifted in at the top.
uint32_t LfsrStep(uint32_t state, int K);

// --- The matrix of a seed (spec §3, §8) ---

// Raw states: out[j] = state number j + 1 after `seed`, for j < n. (V of spec
// §3 row-major when n = C * P.) REQUIRES: 1 <= seed < 2^K.
void LfsrStates(int K, uint32_t seed, int n, uint32_t* out);

// The centred integer matrix M of `seed`, row-major C x P, so that
// U(s) = M / denominator():
//   paper: M[c][p] = V[c][p] - 2^(K-1)
//   i8:    M[c][p] = (state 8*(j+1) after seed >> (K-8)) - 128, j = c*P + p
// REQUIRES: config valid, 1 <= seed <= num_seeds(), out has C * P entries.
void SeedMatrix(const CodecConfig& config, uint32_t seed, int32_t* out);

// --- Decode (spec §4, normative) ---

// The float32 scale of a block: (float)(2^(e+bias) / denominator()), computed
// in double and rounded once.
float BlockScale(const CodecConfig& config, int e, int bias);

// Decodes one block into C floats: out[c] = (float)sum_c * BlockScale(), where
// sum_c = sum_p M[c][p] * q_p is exact. Bit-exact reference for all kernels.
void DecodeBlock(const CodecConfig& config, int bias, const Block& block,
                 float* out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_CODEC_H_
