#include "core/search/seed_bound_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/search/fast_search_bound.h"
#include "core/util/shared_cache.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace fast_search_internal {

bool SeedBoundTable::Supports(const CodecConfig& codec) {
  return codec.Validate().ok() && codec.K <= 16;
}

TileView SeedBoundTable::tile(int t) const {
  TileView v;
  v.seq = seq_.data() + static_cast<size_t>(t) * kTile + stride_;
  v.coef = coef_.data() + static_cast<size_t>(t) * ncoef_ * kTile;
  v.pos0 = static_cast<uint32_t>(t) * kTile;
  v.C = codec_.C;
  v.P = codec_.P;
  v.stride = stride_;
  return v;
}

ListView SeedBoundTable::list() const {
  ListView v;
  v.q = list_q_.data();
  v.mu = list_mu_.data();
  v.pos = list_pos_pad_.data();
  v.n_pad = list_pad_;
  v.C = codec_.C;
  v.P = codec_.P;
  return v;
}

double SeedBoundTable::margin_of(uint32_t seed) const {
  return margin_[pos_of_seed_[seed]];
}

absl::Status SeedBoundTable::BuildSequence() {
  const int K = codec_.K;
  n_ = codec_.num_seeds();
  stride_ = codec_.variant == Variant::kI8 ? 8 : 1;
  tiles_ = static_cast<int>((n_ + kTile - 1) / kTile);
  ncoef_ = codec_.P * (codec_.P + 1) / 2 + 1;
  seed_of_pos_.resize(n_);
  pos_of_seed_.assign(static_cast<size_t>(n_) + 1, 0);
  uint32_t z = 1;
  for (uint32_t n = 0; n < n_; ++n) {
    if (n > 0 && z == 1) {
      return absl::InternalError(absl::StrCat("LFSR K=", K, " has period ", n));
    }
    seed_of_pos_[n] = z;
    pos_of_seed_[z] = n;
    z = LfsrStep(z, K);
  }
  if (z != 1) return absl::InternalError("LFSR is not maximal-length");
  // Room for the last tile's correlation: kTile + st·P + 16 values past the
  // tile start, plus C·P·st for the taps.
  const size_t len = static_cast<size_t>(tiles_) * kTile + 2 * kTile +
                     static_cast<size_t>(stride_) * (codec_.C + 2) * codec_.P +
                     64;
  seq_ = AlignedArray<float>(len);
  for (size_t m = 0; m < len; ++m) {
    const uint32_t s = seed_of_pos_[m % n_];
    seq_[m] = codec_.variant == Variant::kI8
                  ? static_cast<float>(static_cast<int>(s >> (K - 8)) - 128)
                  : static_cast<float>(static_cast<int>(s) - (1 << (K - 1)));
  }
  return absl::OkStatus();
}

absl::Status SeedBoundTable::BuildSeeds(const SeedTable& seeds) {
  const int C = codec_.C, P = codec_.P;
  coef_ = AlignedArray<float>(static_cast<size_t>(tiles_) * ncoef_ * kTile);
  margin_.assign(n_, std::numeric_limits<double>::infinity());
  for (int t = 0; t < tiles_; ++t) {  // default: not a tile seed, Z = −inf
    float* mu =
        coef_.data() + (static_cast<size_t>(t) * ncoef_ + ncoef_ - 1) * kTile;
    std::fill(mu, mu + kTile, -std::numeric_limits<float>::infinity());
  }
  std::vector<float> list_q;
  std::vector<float> list_mu;
  std::vector<double> pinv_l1(static_cast<size_t>(n_) + 1, 0.0);
  float a[kMaxP * (kMaxP + 1) / 2];
  float q[kMaxC * kMaxP];
  for (uint32_t n = 0; n < n_; ++n) {
    const uint32_t s = seed_of_pos_[n];
    const int32_t* m = seeds.matrix(s);
    for (int j = 0; j < C * P; ++j) {
      const size_t idx = n + static_cast<size_t>(stride_) * (j + 1);
      if (seq_[idx] != static_cast<float>(m[j])) {
        return absl::InternalError(absl::StrCat(
            "seed ", s, ": sequence window disagrees with SeedMatrix at ", j));
      }
    }
    const double* pinv = seeds.pinv(s);
    for (int p = 0; p < P; ++p) {
      double l1 = 0.0;
      for (int c = 0; c < C; ++c) l1 += std::fabs(pinv[p * C + c]);
      pinv_l1[s] = std::max(pinv_l1[s], l1 * (1.0 + 1e-12));
    }
    max_pinv_l1_ = std::max(max_pinv_l1_, pinv_l1[s]);
    double mu;
    if (GoodSeedMargin(m, C, P, a, &mu)) {
      const size_t t = n / kTile, i = n % kTile;
      float* base = coef_.data() + t * ncoef_ * kTile + i;
      for (int k = 0; k + 1 < ncoef_; ++k) base[k * kTile] = a[k];
      base[(ncoef_ - 1) * kTile] = RoundUpToFloat(mu);
      margin_[n] = RoundUpToFloat(mu);
      ++tile_seeds_;
    } else if (ListSeedMargin(m, C, P, q, &mu)) {
      list_pos_.push_back(n);
      list_q.insert(list_q.end(), q, q + C * P);
      list_mu.push_back(RoundUpToFloat(mu));
      margin_[n] = RoundUpToFloat(mu);
    } else {
      always_.push_back(s);
    }
  }
  std::sort(always_.begin(), always_.end());
  BuildPinvOrder(pinv_l1);
  PackList(list_q, list_mu);
  return absl::OkStatus();
}

// The listed seeds' Q̃ and μ, transposed for the kernels and padded to a
// multiple of 16 entries with Z = −inf ones.
void SeedBoundTable::PackList(const std::vector<float>& q,
                              const std::vector<float>& mu) {
  const int C = codec_.C, P = codec_.P;
  const int nl = static_cast<int>(list_pos_.size());
  list_pad_ = (nl + 15) / 16 * 16;
  list_q_ = AlignedArray<float>(static_cast<size_t>(C) * P * list_pad_);
  list_mu_ = AlignedArray<float>(list_pad_);
  list_pos_pad_ = AlignedArray<uint32_t>(list_pad_);
  for (int i = 0; i < list_pad_; ++i) {
    list_mu_[i] = i < nl ? mu[i] : -std::numeric_limits<float>::infinity();
    list_pos_pad_[i] = i < nl ? list_pos_[i] : 0;
    for (int j = 0; j < C * P; ++j) {
      list_q_[static_cast<size_t>(j) * list_pad_ + i] =
          i < nl ? q[static_cast<size_t>(i) * C * P + j] : 0.0f;
    }
  }
}

void SeedBoundTable::BuildPinvOrder(const std::vector<double>& pinv_l1) {
  by_pinv_.resize(n_);
  for (uint32_t i = 0; i < n_; ++i) by_pinv_[i] = i + 1;
  std::sort(by_pinv_.begin(), by_pinv_.end(), [&](uint32_t a, uint32_t b) {
    return pinv_l1[a] > pinv_l1[b] || (pinv_l1[a] == pinv_l1[b] && a < b);
  });
  pinv_l1_sorted_.resize(n_);
  suffix_min_seed_.assign(static_cast<size_t>(n_) + 1, 0);
  uint32_t min_seed = 0;
  for (uint32_t i = n_; i-- > 0;) {
    pinv_l1_sorted_[i] = pinv_l1[by_pinv_[i]];
    min_seed = min_seed == 0 ? by_pinv_[i] : std::min(min_seed, by_pinv_[i]);
    suffix_min_seed_[i] = min_seed;
  }
}

uint32_t SeedBoundTable::CountPinvRowL1AtLeast(double r) const {
  // pinv_l1_sorted_ is descending: the first entry below r ends the prefix.
  return static_cast<uint32_t>(
      std::partition_point(pinv_l1_sorted_.begin(), pinv_l1_sorted_.end(),
                           [r](double x) { return x >= r; }) -
      pinv_l1_sorted_.begin());
}

absl::StatusOr<std::unique_ptr<SeedBoundTable>> SeedBoundTable::Build(
    const SeedTable& seeds) {
  if (!Supports(seeds.codec())) {
    return absl::UnimplementedError(
        absl::StrCat("the fast search's bound table supports K <= 16 (got K = ",
                     seeds.codec().K, ")"));
  }
  std::unique_ptr<SeedBoundTable> t(new SeedBoundTable(seeds.codec()));
  RETURN_IF_ERROR(t->BuildSequence());
  RETURN_IF_ERROR(t->BuildSeeds(seeds));
  return t;
}

size_t SeedBoundTable::MemoryBytes() const {
  auto bytes = [](const auto& v) { return v.size() * sizeof(v[0]); };
  return bytes(seed_of_pos_) + bytes(pos_of_seed_) + bytes(seq_) +
         bytes(coef_) + bytes(list_pos_) + bytes(list_q_) + bytes(list_mu_) +
         bytes(list_pos_pad_) + bytes(always_) + bytes(margin_) +
         bytes(by_pinv_) + bytes(pinv_l1_sorted_) + bytes(suffix_min_seed_);
}

absl::StatusOr<std::shared_ptr<const SeedBoundTable>> SeedBoundTable::Get(
    const CodecConfig& codec) {
  using Key = std::tuple<int, int, int, int>;
  static auto* cache =
      new SharedCache<Key, SeedBoundTable>(kRetainSeedTableBytes);
  const Key key{codec.C, codec.P, codec.K, static_cast<int>(codec.variant)};
  RETURN_IF_ERROR(codec.Validate());
  if (!Supports(codec)) {
    return absl::UnimplementedError(absl::StrCat(
        "the fast search's bound table supports K <= 16 (got K = ", codec.K,
        ")"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const SeedTable> seeds,
                   SeedTable::Get(codec));
  return cache->GetOrBuild(key, [&] { return Build(*seeds); });
}

}  // namespace fast_search_internal
}  // namespace seedlm
