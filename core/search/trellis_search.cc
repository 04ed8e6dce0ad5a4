#include "core/search/trellis_search.h"

#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/search/trellis_search_internal.h"

namespace seedlm {

const char* TrellisSearchImplName(TrellisSearchImpl impl) {
  switch (impl) {
    case TrellisSearchImpl::kAuto:
      return "auto";
    case TrellisSearchImpl::kReference:
      return "reference";
    case TrellisSearchImpl::kPortable:
      return "portable";
    case TrellisSearchImpl::kAvx2:
      return "avx2";
    case TrellisSearchImpl::kAvx512:
      return "avx512";
  }
  return "?";
}

bool TrellisSearchImplSupported(TrellisSearchImpl impl) {
  switch (impl) {
    case TrellisSearchImpl::kAuto:
    case TrellisSearchImpl::kReference:
    case TrellisSearchImpl::kPortable:
      return true;
    case TrellisSearchImpl::kAvx2:
      return SimdLevelSupported(SimdLevel::kAvx2);
    case TrellisSearchImpl::kAvx512:
      return SimdLevelSupported(SimdLevel::kAvx512);
  }
  return false;
}

TrellisSearchImpl ResolveTrellisSearchImpl(TrellisSearchImpl impl) {
  if (impl != TrellisSearchImpl::kAuto) return impl;
  switch (ResolveSimdLevel(SimdLevel::kAuto)) {
    case SimdLevel::kAvx512:
      return TrellisSearchImpl::kAvx512;
    case SimdLevel::kAvx2:
      return TrellisSearchImpl::kAvx2;
    default:
      return TrellisSearchImpl::kPortable;
  }
}

void TrellisViterbiPass(const TrellisLayout& l, const float* code,
                        const float* u, int64_t w, int64_t overlap,
                        uint32_t* states, TrellisSearchImpl impl) {
  namespace tsi = trellis_search_internal;
  [[maybe_unused]] const uint32_t G = 1u << (l.L - l.R);
  tsi::TrellisStepFn step = tsi::TrellisStepPortable;
  switch (ResolveTrellisSearchImpl(impl)) {
    case TrellisSearchImpl::kReference:
      TrellisViterbiPassReference(l, code, u, w, overlap, states);
      return;
#if defined(SEEDLM_HAVE_X86_KERNELS)
    case TrellisSearchImpl::kAvx512:
      if (G >= 16) step = tsi::TrellisStepAvx512;
      break;
    case TrellisSearchImpl::kAvx2:
      if (G >= 8) step = tsi::TrellisStepAvx2;
      break;
#endif
    default:
      break;
  }
  tsi::TrellisViterbiPassFused(l, code, u, w, overlap, states, step);
}

void TrellisViterbiPassReference(const TrellisLayout& l, const float* code,
                                 const float* u, int64_t w, int64_t overlap,
                                 uint32_t* states) {
  const uint32_t S = 1u << l.L;
  const uint32_t G = 1u << (l.L - l.R);
  const uint32_t H = 1u << l.R;
  const int gshift = l.L - l.R;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> cost(S), next(S), m(G);
  std::vector<uint8_t> bp(static_cast<size_t>(w) * G);
  for (uint32_t s = 0; s < S; ++s) {
    const float d = u[0] - code[s];
    cost[s] = (overlap < 0 || (s >> l.R) == static_cast<uint32_t>(overlap))
                  ? d * d
                  : inf;
  }
  for (int64_t j = 1; j < w; ++j) {
    uint8_t* bpj = &bp[static_cast<size_t>(j) * G];
    for (uint32_t g = 0; g < G; ++g) {
      float best = cost[g];
      uint32_t hi = 0;
      for (uint32_t h = 1; h < H; ++h) {
        const float c = cost[g | (h << gshift)];
        if (c < best) {
          best = c;
          hi = h;
        }
      }
      m[g] = best;
      bpj[g] = static_cast<uint8_t>(hi);
    }
    const float uj = u[j];
    for (uint32_t s = 0; s < S; ++s) {
      const float d = uj - code[s];
      next[s] = m[s >> l.R] + d * d;
    }
    cost.swap(next);
  }
  uint32_t best_s = 0;
  float best = inf;
  bool found = false;
  for (uint32_t s = 0; s < S; ++s) {
    if (overlap >= 0 && (s & (G - 1)) != static_cast<uint32_t>(overlap)) {
      continue;
    }
    if (!found || cost[s] < best) {
      best = cost[s];
      best_s = s;
      found = true;
    }
  }
  states[w - 1] = best_s;
  for (int64_t j = w - 1; j >= 1; --j) {
    const uint32_t g = states[j] >> l.R;
    const uint32_t h = bp[static_cast<size_t>(j) * G + g];
    states[j - 1] = g | (h << gshift);
  }
}

void TrellisEncodeRing(const TrellisLayout& l, const float* u, int64_t n,
                       uint8_t* stream, uint64_t ring_pos,
                       TrellisSearchImpl impl) {
  const float* code = TrellisCodeTable(l.L);
  const int64_t W = n < kTrellisSeamWindow ? n : kTrellisSeamWindow;
  const int64_t half = W / 2;
  std::vector<float> window(W);
  for (int64_t j = 0; j < W; ++j) window[j] = u[(n - half + j) % n];
  std::vector<uint32_t> states(n > W ? n : W);
  TrellisViterbiPass(l, code, window.data(), W, -1, states.data(), impl);
  const int64_t overlap =
      static_cast<int64_t>(states[half - 1] & ((1u << (l.L - l.R)) - 1u));
  TrellisViterbiPass(l, code, u, n, overlap, states.data(), impl);
  for (int64_t i = 0; i < n; ++i) {
    WriteBitsMsb(stream, ring_pos + static_cast<uint64_t>(i) * l.R, l.R,
                 states[i] & ((1u << l.R) - 1u));
  }
}

absl::Status TrellisEncodeRow(const TrellisParams& t, absl::Span<const float> w,
                              absl::Span<uint8_t> out, TrellisSearchImpl impl,
                              double* sq_error) {
  CodecConfig codec;
  codec.family = CodecFamily::kTrellis;
  codec.trellis = t;
  if (absl::Status s = codec.Validate(); !s.ok()) return s;
  if (!TrellisSearchImplSupported(impl)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trellis search '", TrellisSearchImplName(impl), "' is not supported"));
  }
  const TrellisLayout l = MakeTrellisLayout(t);
  const int64_t cols = static_cast<int64_t>(w.size());
  if (out.size() != TrellisRowBytes(l, cols)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trellis row output is ", out.size(), " bytes, expected ",
                     TrellisRowBytes(l, cols)));
  }
  std::vector<float> u(TrellisStoredWeights(l, cols));
  float scale = 0.0f;
  if (absl::Status s = TrellisPrepareRow(t, w, &scale, absl::MakeSpan(u));
      !s.ok()) {
    return s;
  }
  for (uint8_t& b : out) b = 0;
  uint32_t bits;
  static_assert(sizeof(bits) == sizeof(scale));
  std::memcpy(&bits, &scale, 4);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(bits >> (8 * i));
  if (scale != 0.0f) {
    uint8_t* stream = out.data() + kTrellisScaleBytes;
    const int64_t rings = TrellisRingsPerRow(l, cols);
    for (int64_t j = 0; j < rings; ++j) {
      TrellisEncodeRing(l, u.data() + j * l.T, TrellisRingLength(l, cols, j),
                        stream, static_cast<uint64_t>(j) * l.T * l.R, impl);
    }
  }
  if (sq_error != nullptr) {
    std::vector<float> dec(cols);
    TrellisDecodeRow(t, cols, out.data(), dec.data());
    double e = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      const double d = static_cast<double>(w[c]) - static_cast<double>(dec[c]);
      e += d * d;
    }
    *sq_error = e;
  }
  return absl::OkStatus();
}

}  // namespace seedlm
