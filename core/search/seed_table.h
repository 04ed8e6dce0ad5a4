// Per-seed data of a codec that every search needs: each seed's centred
// integer matrix M (C x P) and the float64 pseudo-inverse of U = M / denom
// (P x C). Both depend only on the seed, so they are computed once per codec
// and shared (a few tens of MB for K = 16).
//
// The pseudo-inverse is part of the search's definition: t = pinv(U) w feeds
// the rounding of the coefficients, so every implementation that must match
// the reference bit for bit uses this table (or the same function).
#ifndef SEEDLM_CORE_SEARCH_SEED_TABLE_H_
#define SEEDLM_CORE_SEARCH_SEED_TABLE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/codec/codec.h"

namespace seedlm {

// Bytes of unused seed tables the process-wide cache keeps for reuse (the
// default presets' tables are 19-38 MB each).
inline constexpr size_t kRetainSeedTableBytes = size_t{256} << 20;

class SeedTable {
 public:
  // The table of `codec`, built on first use and shared by its users; freed
  // when no user holds it and it is no longer among the recently used
  // tables that the cache retains (up to kRetainSeedTableBytes, and always
  // the last one; core/util/shared_cache.h). Thread-safe.
  // RESOURCE_EXHAUSTED if it would exceed 2 GiB (large K with large C*P);
  // INVALID_ARGUMENT for an invalid codec.
  static absl::StatusOr<std::shared_ptr<const SeedTable>> Get(
      const CodecConfig& codec);

  // Builds a table without caching (tests, benchmarks).
  static absl::StatusOr<std::unique_ptr<SeedTable>> Build(
      const CodecConfig& codec);

  const CodecConfig& codec() const { return codec_; }
  // Heap bytes of the table.
  size_t MemoryBytes() const {
    return m_.size() * sizeof(int32_t) + pinv_.size() * sizeof(double);
  }
  uint32_t num_seeds() const { return codec_.num_seeds(); }
  // M of `seed` (1-based), row-major C x P.
  const int32_t* matrix(uint32_t seed) const {
    return &m_[static_cast<size_t>(seed - 1) * cp_];
  }
  // pinv(U) of `seed`, row-major P x C.
  const double* pinv(uint32_t seed) const {
    return &pinv_[static_cast<size_t>(seed - 1) * cp_];
  }

 private:
  explicit SeedTable(const CodecConfig& codec)
      : codec_(codec), cp_(static_cast<size_t>(codec.C) * codec.P) {}
  CodecConfig codec_;
  size_t cp_;
  std::vector<int32_t> m_;
  std::vector<double> pinv_;
};

// The pseudo-inverse of U = M / denom (M row-major C x P) into out (P x C),
// via Eigen's complete orthogonal decomposition in float64.
void PseudoInverse(const CodecConfig& codec, const int32_t* m, double* out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEED_TABLE_H_
