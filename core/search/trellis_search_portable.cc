// The fused Viterbi pass of the trellis search (trellis_search_internal.h)
// and its portable step: runs of 16 groups with per-lane running minima,
// written so that compilers can vectorise the lane loops.
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/search/trellis_search.h"
#include "core/search/trellis_search_internal.h"

namespace seedlm {
namespace trellis_search_internal {
namespace {

constexpr uint32_t kLanes = 16;

// The step for G >= kLanes; lane l of a run reads m[(s0 >> R) + (l >> kShift)]
// with kShift = min(R, 4) (l >> R == 0 for every lane once 2^R >= kLanes).
template <int kShift>
void StepRuns(const TrellisLayout& l, const float* code, float uj,
              const float* m, float* next, uint8_t* bp) {
  const int gshift = l.L - l.R;
  const uint32_t G = 1u << gshift;
  const uint32_t H = 1u << l.R;
  for (uint32_t g0 = 0; g0 < G; g0 += kLanes) {
    float best[kLanes];
    uint32_t arg[kLanes];
    {
      const float* cs = code + g0;
      const float* ms = m + (g0 >> l.R);
      for (uint32_t k = 0; k < kLanes; ++k) {
        const float d = uj - cs[k];
        best[k] = ms[k >> kShift] + d * d;
        arg[k] = 0;
      }
    }
    for (uint32_t h = 1; h < H; ++h) {
      const uint32_t s0 = g0 | (h << gshift);
      const float* cs = code + s0;
      const float* ms = m + (s0 >> l.R);
      for (uint32_t k = 0; k < kLanes; ++k) {
        const float d = uj - cs[k];
        const float c = ms[k >> kShift] + d * d;
        // Branch-free so that the lane loop vectorises: the mask is all
        // ones where c < best (strict: the first h stays on ties).
        const uint32_t lt = 0u - static_cast<uint32_t>(c < best[k]);
        best[k] = c < best[k] ? c : best[k];
        arg[k] = (arg[k] & ~lt) | (h & lt);
      }
    }
    for (uint32_t k = 0; k < kLanes; ++k) {
      next[g0 + k] = best[k];
      bp[g0 + k] = static_cast<uint8_t>(arg[k]);
    }
  }
}

// The step written as the definition, for G < kLanes.
void StepScalar(const TrellisLayout& l, const float* code, float uj,
                const float* m, float* next, uint8_t* bp) {
  const int gshift = l.L - l.R;
  const uint32_t G = 1u << gshift;
  const uint32_t H = 1u << l.R;
  for (uint32_t g = 0; g < G; ++g) {
    float best = 0.0f;
    uint32_t arg = 0;
    for (uint32_t h = 0; h < H; ++h) {
      const uint32_t s = g | (h << gshift);
      const float d = uj - code[s];
      const float c = m[s >> l.R] + d * d;
      if (h == 0 || c < best) {
        best = c;
        arg = h;
      }
    }
    next[g] = best;
    bp[g] = static_cast<uint8_t>(arg);
  }
}

// Per-thread scratch of the fused pass.
struct Scratch {
  std::vector<float> m, next;
  std::vector<uint8_t> bp;
};

Scratch& ThreadScratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

void TrellisStepPortable(const TrellisLayout& l, const float* code, float uj,
                         const float* m, float* next, uint8_t* bp) {
  if ((1u << (l.L - l.R)) < kLanes) {
    StepScalar(l, code, uj, m, next, bp);
    return;
  }
  switch (l.R) {
    case 1:
      StepRuns<1>(l, code, uj, m, next, bp);
      return;
    case 2:
      StepRuns<2>(l, code, uj, m, next, bp);
      return;
    case 3:
      StepRuns<3>(l, code, uj, m, next, bp);
      return;
    default:
      StepRuns<4>(l, code, uj, m, next, bp);
      return;
  }
}

void TrellisViterbiPassFused(const TrellisLayout& l, const float* code,
                             const float* u, int64_t w, int64_t overlap,
                             uint32_t* states, TrellisStepFn step) {
  for (int64_t j = 0; j < w; ++j) {
    if (std::isnan(u[j])) {
      TrellisViterbiPassReference(l, code, u, w, overlap, states);
      return;
    }
  }
  const int gshift = l.L - l.R;
  const uint32_t G = 1u << gshift;
  const uint32_t H = 1u << l.R;
  const float inf = std::numeric_limits<float>::infinity();
  Scratch& sc = ThreadScratch();
  sc.m.assign(G + kMPad, 0.0f);
  sc.next.assign(G + kMPad, 0.0f);
  if (sc.bp.size() < static_cast<size_t>(w + 1) * G) {
    sc.bp.resize(static_cast<size_t>(w + 1) * G);
  }
  float* m = sc.m.data();
  float* next = sc.next.data();
  if (overlap >= 0) {
    for (uint32_t g = 0; g < G; ++g) {
      m[g] = g == static_cast<uint32_t>(overlap) ? 0.0f : inf;
    }
  }
  // Step j turns m_j into m_{j+1} and the backpointers of weight j + 1.
  for (int64_t j = 0; j + 1 < w; ++j) {
    step(l, code, u[j], m, next, &sc.bp[static_cast<size_t>(j + 1) * G]);
    std::swap(m, next);
  }
  const float ul = u[w - 1];
  uint32_t best_s = 0;
  if (overlap >= 0) {
    // The allowed end states overlap | h << (L-R), in ascending order.
    float best = 0.0f;
    for (uint32_t h = 0; h < H; ++h) {
      const uint32_t s = static_cast<uint32_t>(overlap) | (h << gshift);
      const float d = ul - code[s];
      const float c = m[s >> l.R] + d * d;
      if (h == 0 || c < best) {
        best = c;
        best_s = s;
      }
    }
  } else {
    // One more step gives each group's smallest cost and its first h; the
    // smallest state of least cost is the smallest h << (L-R) | g among
    // the groups that reach the least cost (no NaN: costs are ordered).
    uint8_t* last = &sc.bp[static_cast<size_t>(w) * G];
    step(l, code, ul, m, next, last);
    float best = next[0];
    best_s = static_cast<uint32_t>(last[0]) << gshift;
    for (uint32_t g = 1; g < G; ++g) {
      const uint32_t s = g | (static_cast<uint32_t>(last[g]) << gshift);
      if (next[g] < best || (next[g] == best && s < best_s)) {
        best = next[g];
        best_s = s;
      }
    }
  }
  states[w - 1] = best_s;
  for (int64_t j = w - 1; j >= 1; --j) {
    const uint32_t g = states[j] >> l.R;
    const uint32_t h = sc.bp[static_cast<size_t>(j) * G + g];
    states[j - 1] = g | (h << gshift);
  }
}

}  // namespace trellis_search_internal
}  // namespace seedlm
