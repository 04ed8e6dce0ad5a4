#include "core/search/fast_search.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/search/fast_search_bound.h"
#include "core/search/reference_search.h"
#include "core/search/seed_score.h"
#include "core/util/status_macros.h"

namespace seedlm {

using fast_search_internal::kTile;
using fast_search_internal::ListView;
using fast_search_internal::NormalizedBlock;
using fast_search_internal::PruneThreshold;
using fast_search_internal::ScanTarget;
using fast_search_internal::SeedBoundTable;
using fast_search_internal::TileView;

namespace {

// Bounds kept per block during the scan, and the buffer that holds them plus
// one tile's (or list chunk's) emissions and the vector-store overhang.
constexpr int kKeep = 64;
constexpr int kBufCap = 2 * kKeep + kTile + 32;

// (Z, position) as one sortable key: Z >= +0 so its bits order like Z.
inline uint64_t Key(float z, uint32_t pos) {
  const float zp = z + 0.0f;  // no −0
  uint32_t bits;
  std::memcpy(&bits, &zp, sizeof(bits));
  return (static_cast<uint64_t>(bits) << 32) | pos;
}
inline float KeyZ(uint64_t key) {
  const uint32_t bits = static_cast<uint32_t>(key >> 32);
  float z;
  std::memcpy(&z, &bits, sizeof(z));
  return z;
}
inline uint32_t KeyPos(uint64_t key) { return static_cast<uint32_t>(key); }

// The reference's order: least err, then smallest seed (a seed's own best
// candidate already has the smallest e among its equal errors).
inline bool Better(const BlockResult& a, const BlockResult& b) {
  return a.err < b.err || (a.err == b.err && a.block.seed < b.block.seed);
}

}  // namespace

// One block in a batch: its bound form, its candidate buffer and the seeds
// scored so far. Invariants: every seed with Z >= t->thr whose Z was
// computed is in the buffer (t->count entries) or scored; and
// af = PruneThreshold(best.err), so seeds with Z < af are proven strictly
// worse than `best`.
struct FastSearcher::Work {
  static constexpr int kMaxEarly = 16;  // seeds scored during the scan
  const double* w;
  BlockResult* out;
  NormalizedBlock nb;
  ScanTarget* t;  // thr, buffer (z, pos) and count
  float af;
  BlockResult best;
  int n_early;
  uint32_t early[kMaxEarly];
};

struct FastSearcher::Scratch {
  std::vector<ScanTarget> targets;  // one per Work, contiguous for the kernels
  std::vector<float> z;
  std::vector<uint32_t> pos;
  std::vector<uint64_t> keys;
  std::vector<uint32_t> scored;
};

FastSearcher::FastSearcher(const SearchOptions& options,
                           std::shared_ptr<const SeedTable> seeds,
                           std::shared_ptr<const SeedBoundTable> bounds,
                           SimdLevel level)
    : options_(options),
      seeds_(std::move(seeds)),
      bounds_(std::move(bounds)),
      level_(level),
      kernels_(fast_search_internal::KernelsFor(level)),
      quant_(options.codec, options.mode, options.exponent_bias) {
  const CodecConfig& c = options.codec;
  const int lo = c.e_lo() + options.exponent_bias;
  const int hi = c.e_hi() + options.exponent_bias;
  if (bounds_ != nullptr) {
    // |t_p| <= (1 + γ_C) Σ_c |pinv_pc| max|w|; below 2^(lo−1) every rounded
    // coefficient of every candidate is 0.
    tiny_limit_ =
        std::ldexp(0.5, lo) / (bounds_->max_pinv_row_l1() * (1.0 + 0x1p-40)) -
        0x1p-1000;
  }
  // |ŵ_c| <= P · max|M| · 2^(Q−1) / denominator · 2^(e_hi+bias), widened.
  const double max_m =
      c.variant == Variant::kI8 ? 128.0 : std::ldexp(1.0, c.K - 1);
  saturate_limit_ = c.P * max_m * std::ldexp(1.0, c.Q - 1) /
                    static_cast<double>(c.denominator()) * std::ldexp(1.0, hi) *
                    (1.0 + 0x1p-40);
}

absl::StatusOr<std::unique_ptr<FastSearcher>> FastSearcher::Create(
    const SearchOptions& options, SimdLevel simd) {
  RETURN_IF_ERROR(options.Validate());
  if (!SimdLevelSupported(simd)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SIMD level ", SimdLevelName(simd), " is not supported here"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const SeedTable> seeds,
                   SeedTable::Get(options.codec));
  std::shared_ptr<const SeedBoundTable> bounds;
  SimdLevel level = SimdLevel::kScalar;
  if (SeedBoundTable::Supports(options.codec)) {
    ASSIGN_OR_RETURN(bounds, SeedBoundTable::Get(options.codec));
    level = ResolveSimdLevel(simd);
  }
  return std::unique_ptr<FastSearcher>(
      new FastSearcher(options, std::move(seeds), std::move(bounds), level));
}

void FastSearcher::ScoreInto(uint32_t seed, const double* w,
                             BlockResult* best) const {
  BlockResult r;
  r.err = std::numeric_limits<double>::infinity();
  ScoreSeedCandidates(*seeds_, quant_, seed, w, &r);
  if (Better(r, *best)) *best = r;
}

// Every seed provably has the same err for every candidate (so seed 1 and
// its first candidate win): all coefficients round to 0 (tiny or zero
// blocks), or no reconstruction can change any float64 difference w_c − ŵ_c
// (|ŵ_c| < a quarter ulp of every w_c, so fl(w_c − ŵ_c) = w_c).
bool FastSearcher::TieShortcut(const double* w, BlockResult* out) const {
  const int C = options_.codec.C;
  double mx = 0.0;
  bool saturated = true;
  for (int c = 0; c < C; ++c) {
    mx = std::max(mx, std::fabs(w[c]));
    saturated = saturated && w[c] != 0.0 &&
                saturate_limit_ < std::ldexp(1.0, std::ilogb(w[c]) - 54);
  }
  if (!(mx < tiny_limit_) && !saturated) return false;
  BlockResult r;
  r.err = std::numeric_limits<double>::infinity();
  ScoreSeedCandidates(*seeds_, quant_, 1, w, &r);
  *out = r;
  return true;
}

void FastSearcher::SearchBatch(const double* w, int64_t n, BlockResult* out,
                               FastSearchStats* stats) const {
  const int C = options_.codec.C;
  stats->blocks += n;
  if (bounds_ == nullptr) {
    for (int64_t i = 0; i < n; ++i) {
      out[i] = ReferenceSearchBlock(*seeds_, options_, w + i * C);
    }
    stats->reference_blocks += n;
    return;
  }
  Scratch scratch;
  scratch.z.resize(static_cast<size_t>(n) * kBufCap);
  scratch.pos.resize(static_cast<size_t>(n) * kBufCap);
  scratch.targets.reserve(n);
  std::vector<Work> works;
  works.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const double* wi = w + i * C;
    if (TieShortcut(wi, &out[i])) {
      ++stats->tie_blocks;
      ++stats->scored_seeds;
      continue;
    }
    works.emplace_back();
    Work& wk = works.back();
    if (!fast_search_internal::NormalizeBlock(wi, C, &wk.nb)) {
      works.pop_back();
      out[i] = ReferenceSearchBlock(*seeds_, options_, wi);
      ++stats->reference_blocks;
      continue;
    }
    const size_t k = works.size() - 1;
    scratch.targets.push_back({wk.nb.w, wk.nb.n_hi, -FLT_MAX,
                               &scratch.z[k * kBufCap],
                               &scratch.pos[k * kBufCap], 0});
    wk.t = &scratch.targets.back();
    wk.w = wi;
    wk.out = &out[i];
    wk.af = -FLT_MAX;
    wk.best.err = std::numeric_limits<double>::infinity();
    wk.n_early = 0;
  }
  if (works.empty()) return;
  ScanAll(works.data(), static_cast<int>(works.size()), &scratch);
  for (const Work& wk : works) Finish(wk, &scratch, wk.out, stats);
}

// Called when the buffer holds more than 2·kKeep bounds. Scores the
// largest-Z seed if it is new, which sets the proven threshold af (usually
// high enough to drop most of the buffer for good); then, if still more than
// 2·kKeep remain, keeps the kKeep largest Z (and any equal to the smallest
// kept, unless such ties would overfill the buffer) and raises thr to match.
void FastSearcher::Shrink(Work* wk, Scratch* scratch) const {
  ScanTarget& t = *wk->t;
  int top = 0;
  for (int i = 1; i < t.count; ++i) top = t.z[i] > t.z[top] ? i : top;
  const uint32_t seed = bounds_->seed_at(t.pos[top]);
  if (wk->n_early < Work::kMaxEarly &&
      std::find(wk->early, wk->early + wk->n_early, seed) ==
          wk->early + wk->n_early) {
    ScoreInto(seed, wk->w, &wk->best);
    wk->early[wk->n_early++] = seed;
    wk->af = PruneThreshold(wk->nb, wk->best.err);
  }
  float thr = std::max(t.thr, wk->af);
  int n = 0;
  for (int i = 0; i < t.count; ++i) {
    if (t.z[i] >= thr) {
      t.z[n] = t.z[i];
      t.pos[n] = t.pos[i];
      ++n;
    }
  }
  t.count = n;
  if (n > 2 * kKeep) {
    std::vector<uint64_t>& keys = scratch->keys;
    keys.resize(n);
    for (int i = 0; i < n; ++i) keys[i] = Key(t.z[i], t.pos[i]);
    std::nth_element(keys.begin(), keys.begin() + (kKeep - 1), keys.end(),
                     std::greater<uint64_t>());
    float kth = KeyZ(keys[kKeep - 1]);
    int kept = 0;
    for (uint64_t k : keys) kept += KeyZ(k) >= kth;
    if (kept > 2 * kKeep) kth = std::nextafter(kth, FLT_MAX);
    thr = std::max(thr, kth);
    n = 0;
    for (uint64_t k : keys) {
      if (KeyZ(k) >= thr) {
        t.z[n] = KeyZ(k);
        t.pos[n] = KeyPos(k);
        ++n;
      }
    }
    t.count = n;
  }
  t.thr = thr;
}

// The bound pass of a batch: every tile (its tables are reused by all blocks
// of the batch while in cache; the kernels pair blocks), then the listed
// seeds, by then against high thresholds.
void FastSearcher::ScanAll(Work* works, int n, Scratch* scratch) const {
  ScanTarget* targets = scratch->targets.data();
  for (int t = 0; t < bounds_->num_tiles(); ++t) {
    kernels_.scan_tile(bounds_->tile(t), targets, n);
    for (int i = 0; i < n; ++i) {
      if (targets[i].count > 2 * kKeep) Shrink(&works[i], scratch);
    }
  }
  const ListView lv = bounds_->list();
  for (int b0 = 0; b0 < lv.n_pad; b0 += kTile) {
    const int b1 = std::min(lv.n_pad, b0 + kTile);
    for (int i = 0; i < n; ++i) {
      kernels_.scan_list(lv, b0, b1, &targets[i]);
      if (targets[i].count > 2 * kKeep) Shrink(&works[i], scratch);
    }
  }
}

// Scores the kept seeds best bound first until the bound proves the rest
// strictly worse; then the always-scored seeds; then, if seeds dropped from
// the buffer are not yet proven worse, a rescan.
void FastSearcher::Finish(const Work& wk, Scratch* scratch, BlockResult* out,
                          FastSearchStats* stats) const {
  const ScanTarget& t = *wk.t;
  std::vector<uint64_t>& keys = scratch->keys;
  keys.resize(t.count);
  for (int i = 0; i < t.count; ++i) keys[i] = Key(t.z[i], t.pos[i]);
  std::sort(keys.begin(), keys.end(), std::greater<uint64_t>());
  BlockResult best = wk.best;
  float af = wk.af;
  std::vector<uint32_t>& scored = scratch->scored;
  scored.assign(wk.early, wk.early + wk.n_early);
  for (uint64_t k : keys) {
    if (KeyZ(k) < af) break;  // this and all later seeds: every err > best
    const uint32_t seed = bounds_->seed_at(KeyPos(k));
    if (std::find(wk.early, wk.early + wk.n_early, seed) !=
        wk.early + wk.n_early) {
      continue;
    }
    ScoreInto(seed, wk.w, &best);
    scored.push_back(seed);
    af = PruneThreshold(wk.nb, best.err);
  }
  for (uint32_t seed : bounds_->always_scored()) ScoreInto(seed, wk.w, &best);
  stats->scored_seeds += scored.size() + bounds_->always_scored().size();
  af = PruneThreshold(wk.nb, best.err);
  // Seeds not in the buffer nor scored have Z < t.thr; they are proven
  // worse iff t.thr <= af.
  if (t.thr > -FLT_MAX && af < t.thr) Rescan(wk, af, scratch, &best, stats);
  *out = best;
}

// Second pass for one block with the proven threshold af: collects every
// seed with Z >= af not scored yet and scores them best bound first. With
// af = −FLT_MAX nothing can be pruned by the bound: ScoreUnprunable.
void FastSearcher::Rescan(const Work& wk, float af, Scratch* scratch,
                          BlockResult* best, FastSearchStats* stats) const {
  if (af == -FLT_MAX) {
    ScoreUnprunable(wk.w, best, stats);
    return;
  }
  ++stats->rescans;
  std::vector<uint32_t>& scored = scratch->scored;
  std::sort(scored.begin(), scored.end());
  std::vector<uint64_t> keys;
  float z[kTile + 32];
  uint32_t pos[kTile + 32];
  ScanTarget t{wk.nb.w, wk.nb.n_hi, af, z, pos, 0};
  auto collect = [&] {
    for (int i = 0; i < t.count; ++i) {
      if (!std::binary_search(scored.begin(), scored.end(),
                              bounds_->seed_at(pos[i]))) {
        keys.push_back(Key(z[i], pos[i]));
      }
    }
    t.count = 0;
  };
  const ListView lv = bounds_->list();
  for (int b0 = 0; b0 < lv.n_pad; b0 += kTile) {
    kernels_.scan_list(lv, b0, std::min(lv.n_pad, b0 + kTile), &t);
    collect();
  }
  for (int i = 0; i < bounds_->num_tiles(); ++i) {
    kernels_.scan_tile(bounds_->tile(i), &t, 1);
    collect();
  }
  std::sort(keys.begin(), keys.end(), std::greater<uint64_t>());
  for (uint64_t k : keys) {
    if (KeyZ(k) < af) break;
    ScoreInto(bounds_->seed_at(KeyPos(k)), wk.w, best);
    ++stats->scored_seeds;
    af = PruneThreshold(wk.nb, best->err);
  }
}

// For blocks whose best error is close to ‖w‖² (the least-squares bound
// prunes nothing): a seed s with R(s)·max|w|·(1 + 2^-40) < 2^(e_lo+b−1)
// (R(s): its largest pinv row 1-norm) rounds every coefficient of every
// candidate to 0, so all its errors equal fl(Σ w_c²) exactly (as in
// TieShortcut); of those seeds only the smallest can win. So the smallest
// such seed and every seed with a larger R(s) are scored: for small-magnitude
// blocks only the badly conditioned seeds, otherwise every seed.
void FastSearcher::ScoreUnprunable(const double* w, BlockResult* best,
                                   FastSearchStats* stats) const {
  double mx = 0.0;
  for (int c = 0; c < options_.codec.C; ++c) mx = std::max(mx, std::fabs(w[c]));
  const int lo = options_.codec.e_lo() + options_.exponent_bias;
  const double r =
      std::ldexp(0.5, lo) / (mx * (1.0 + 0x1p-40)) * (1.0 - 0x1p-40) -
      0x1p-1000;
  const uint32_t k = bounds_->CountPinvRowL1AtLeast(r);
  const std::vector<uint32_t>& order = bounds_->by_pinv_row_l1();
  if (k < order.size()) ScoreInto(bounds_->MinSeedFrom(k), w, best);
  for (uint32_t i = 0; i < k; ++i) ScoreInto(order[i], w, best);
  stats->scored_seeds += k + 1;
  ++stats->exhaustive_blocks;
}

BlockResult FastSearcher::SearchBlock(const double* w) const {
  BlockResult r;
  FastSearchStats s;
  SearchBatch(w, 1, &r, &s);
  AddStats(s);
  return r;
}

void FastSearcher::AddStats(const FastSearchStats& s) const {
  const int64_t v[6] = {s.blocks,     s.scored_seeds,
                        s.rescans,    s.exhaustive_blocks,
                        s.tie_blocks, s.reference_blocks};
  for (int i = 0; i < 6; ++i) {
    if (v[i] != 0) stat_[i].fetch_add(v[i], std::memory_order_relaxed);
  }
}

FastSearchStats FastSearcher::stats() const {
  FastSearchStats s;
  s.blocks = stat_[0].load();
  s.scored_seeds = stat_[1].load();
  s.rescans = stat_[2].load();
  s.exhaustive_blocks = stat_[3].load();
  s.tie_blocks = stat_[4].load();
  s.reference_blocks = stat_[5].load();
  return s;
}

absl::Status FastSearcher::Search(absl::Span<const double> weights,
                                  absl::Span<BlockResult> out, ThreadPool* pool,
                                  const SearchCallbacks& callbacks) const {
  const int C = options_.codec.C;
  if (weights.size() != out.size() * static_cast<size_t>(C)) {
    return absl::InvalidArgumentError(absl::StrCat("search: ", weights.size(),
                                                   " weights for ", out.size(),
                                                   " blocks of ", C));
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search: weight ", i, " is not finite (", weights[i], ")"));
    }
  }
  return RunBlockChunks(static_cast<int64_t>(out.size()), pool, callbacks,
                        [&](int64_t begin, int64_t end) {
                          FastSearchStats s;
                          SearchBatch(&weights[begin * C], end - begin,
                                      &out[begin], &s);
                          AddStats(s);
                        });
}

}  // namespace seedlm
