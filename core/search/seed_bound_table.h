// Internal to the fast seed search (fast_search.h): the per-codec tables of
// the float32 lower bound (fast_search_bound.h), built once per codec and
// cached like SeedTable.
//
// Every seed's matrix is a window of ONE LFSR sequence: with z[n] the state n
// steps after seed 1 (period N = 2^K − 1) and x[n] its centred entry (paper:
// z − 2^(K−1); i8: (z >> (K−8)) − 128), the seed at position n, z[n], has
//   M[c][p] = x[n + st·(c·P + p + 1)],   st = 1 (paper) or 8 (i8).
// The table stores the sequence (as floats, wrapped past N so windows never
// wrap), the seed <-> position maps, and per position either
//   - a tile seed: its Ã (inverse Cholesky factor, float32) and μ, laid out
//     tile by tile for the SIMD kernels (fast_search_kernels.h), or
//   - a listed seed (badly conditioned): its orthonormal basis Q̃ and μ, or
//   - an always-scored seed (not certifiable; never for K = 16 presets).
// Build() checks every window against SeedTable's matrix of the seed.
//
// Immutable after construction; thread-safe.
#ifndef SEEDLM_CORE_SEARCH_SEED_BOUND_TABLE_H_
#define SEEDLM_CORE_SEARCH_SEED_BOUND_TABLE_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/codec.h"
#include "core/search/fast_search_kernels.h"
#include "core/search/seed_table.h"

namespace seedlm {
namespace fast_search_internal {

// A zero-initialised, 64-byte aligned array of T.
template <typename T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(size_t n)
      : n_(n),
        data_(static_cast<T*>(std::aligned_alloc(64, RoundUp(n))), &std::free) {
    for (size_t i = 0; i < n; ++i) data_.get()[i] = T();
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }
  size_t size() const { return n_; }

 private:
  static size_t RoundUp(size_t n) {
    return (n * sizeof(T) + 63) / 64 * 64 + 64;
  }
  size_t n_ = 0;
  std::unique_ptr<T, decltype(&std::free)> data_{nullptr, &std::free};
};

class SeedBoundTable {
 public:
  // Whether the fast search handles this codec (K <= 16; larger K would need
  // tables of hundreds of MB).
  static bool Supports(const CodecConfig& codec);

  // The table of `codec`, built on first use and shared by its users; freed
  // when unused and no longer retained (as SeedTable::Get; thread-safe).
  // UNIMPLEMENTED if !Supports(codec); errors of
  // SeedTable::Get; INTERNAL if a window disagrees with SeedMatrix.
  static absl::StatusOr<std::shared_ptr<const SeedBoundTable>> Get(
      const CodecConfig& codec);
  // Builds without caching (tests).
  static absl::StatusOr<std::unique_ptr<SeedBoundTable>> Build(
      const SeedTable& seeds);

  const CodecConfig& codec() const { return codec_; }
  uint32_t num_positions() const { return n_; }
  int num_tiles() const { return tiles_; }
  int stride() const { return stride_; }
  uint32_t seed_at(uint32_t pos) const { return seed_of_pos_[pos]; }
  uint32_t position_of(uint32_t seed) const { return pos_of_seed_[seed]; }

  TileView tile(int t) const;
  ListView list() const;
  int list_size() const { return static_cast<int>(list_pos_.size()); }
  // Seeds scored for every block, ascending.
  const std::vector<uint32_t>& always_scored() const { return always_; }
  int tile_seed_count() const { return tile_seeds_; }
  // max over seeds s and p of Σ_c |pinv(s)[p][c]| (SeedTable), rounded up.
  double max_pinv_row_l1() const { return max_pinv_l1_; }
  // Seeds ordered by that per-seed maximum R(s), largest first (ties by
  // seed): by_pinv_row_l1()[i]. CountPinvRowL1AtLeast(r): how many seeds
  // have R(s) >= r (a prefix). MinSeedFrom(i): the smallest seed among
  // by_pinv_row_l1()[i..], 0 if i = num_positions().
  const std::vector<uint32_t>& by_pinv_row_l1() const { return by_pinv_; }
  uint32_t CountPinvRowL1AtLeast(double r) const;
  uint32_t MinSeedFrom(uint32_t i) const { return suffix_min_seed_[i]; }
  // μ of a tile or listed seed; +inf for an always-scored seed.
  double margin_of(uint32_t seed) const;
  // Heap bytes of the table.
  size_t MemoryBytes() const;

 private:
  explicit SeedBoundTable(const CodecConfig& codec) : codec_(codec) {}
  absl::Status BuildSequence();
  absl::Status BuildSeeds(const SeedTable& seeds);
  void BuildPinvOrder(const std::vector<double>& pinv_l1);
  void PackList(const std::vector<float>& q, const std::vector<float>& mu);

  CodecConfig codec_;
  uint32_t n_ = 0;
  int tiles_ = 0;
  int stride_ = 1;
  int ncoef_ = 0;  // P(P+1)/2 + 1
  std::vector<uint32_t> seed_of_pos_;
  std::vector<uint32_t> pos_of_seed_;  // index: seed (0 unused)
  AlignedArray<float> seq_;
  AlignedArray<float> coef_;
  // List seeds.
  std::vector<uint32_t> list_pos_;
  int list_pad_ = 0;
  AlignedArray<float> list_q_;
  AlignedArray<float> list_mu_;
  AlignedArray<uint32_t> list_pos_pad_;
  std::vector<uint32_t> always_;
  std::vector<double> margin_;  // by position
  int tile_seeds_ = 0;
  double max_pinv_l1_ = 0.0;
  std::vector<uint32_t> by_pinv_;          // seeds, R(s) descending
  std::vector<double> pinv_l1_sorted_;     // R(s) in that order
  std::vector<uint32_t> suffix_min_seed_;  // num_positions() + 1 entries
};

}  // namespace fast_search_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEED_BOUND_TABLE_H_
