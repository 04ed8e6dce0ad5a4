#include "core/codec/seed_expander.h"

#include <memory>
#include <tuple>

#include "core/util/shared_cache.h"

namespace seedlm {

namespace {

// Raw entries of any K-bit value (0 allowed: it stays 0), as SeedMatrix
// draws them before centring.
void RawEntries(const CodecConfig& c, uint32_t seed, uint32_t* out) {
  const int n = c.C * c.P;
  uint32_t s = seed;
  for (int j = 0; j < n; ++j) {
    if (c.variant == Variant::kPaper) {
      s = LfsrStep(s, c.K);
      out[j] = s;
    } else {
      for (int k = 0; k < 8; ++k) s = LfsrStep(s, c.K);
      out[j] = s >> (c.K - 8);
    }
  }
}

}  // namespace

SeedExpander::SeedExpander(const CodecConfig& config)
    : cp_(config.C * config.P), chunks_((config.K + 7) / 8) {
  const int bits = config.variant == Variant::kPaper ? config.K : 8;
  flip_ = uint32_t{1} << (bits - 1);
  shift_ = 32 - bits;
  table_.resize(static_cast<size_t>(chunks_) * 256 * cp_);
  for (int k = 0; k < chunks_; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      const uint32_t part = (b << (8 * k)) & ((uint32_t{1} << config.K) - 1);
      RawEntries(config, part, &table_[((k << 8) + b) * cp_]);
    }
  }
}

std::shared_ptr<const SeedExpander> SeedExpander::Get(
    const CodecConfig& config) {
  // A few KB per codec: keep a handful of codecs around.
  static auto* cache =
      new SharedCache<std::tuple<int, int, int, int>, SeedExpander>(1 << 20);
  const auto key = std::make_tuple(config.C, config.P, config.K,
                                   static_cast<int>(config.variant));
  return *cache->GetOrBuild(
      key, [&] { return std::make_unique<SeedExpander>(config); });
}

}  // namespace seedlm
