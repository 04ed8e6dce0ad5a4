#include "core/search/seed_table.h"

#include <Eigen/Dense>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/util/shared_cache.h"
#include "core/util/status_macros.h"

namespace seedlm {

void PseudoInverse(const CodecConfig& codec, const int32_t* m, double* out) {
  using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                            Eigen::ColMajor, kMaxC, kMaxC>;
  const double denom = static_cast<double>(codec.denominator());
  Mat u(codec.C, codec.P);
  for (int c = 0; c < codec.C; ++c) {
    for (int p = 0; p < codec.P; ++p) u(c, p) = m[c * codec.P + p] / denom;
  }
  const Mat pinv = u.completeOrthogonalDecomposition().pseudoInverse();
  for (int p = 0; p < codec.P; ++p) {
    for (int c = 0; c < codec.C; ++c) out[p * codec.C + c] = pinv(p, c);
  }
}

absl::StatusOr<std::unique_ptr<SeedTable>> SeedTable::Build(
    const CodecConfig& codec) {
  RETURN_IF_ERROR(codec.Validate());
  const uint64_t n = codec.num_seeds();
  const uint64_t cp = static_cast<uint64_t>(codec.C) * codec.P;
  const uint64_t bytes = n * cp * (sizeof(int32_t) + sizeof(double));
  if (bytes > (uint64_t{2} << 30)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the seed table of K=", codec.K, " C=", codec.C, " P=", codec.P,
        " needs ", bytes >> 20, " MiB (limit 2048 MiB)"));
  }
  std::unique_ptr<SeedTable> t(new SeedTable(codec));
  t->m_.resize(n * cp);
  t->pinv_.resize(n * cp);
  for (uint32_t s = 1; s <= n; ++s) {
    int32_t* m = &t->m_[(s - 1) * cp];
    SeedMatrix(codec, s, m);
    PseudoInverse(codec, m, &t->pinv_[(s - 1) * cp]);
  }
  return t;
}

absl::StatusOr<std::shared_ptr<const SeedTable>> SeedTable::Get(
    const CodecConfig& codec) {
  // The table depends on C, P, K and the variant only.
  using Key = std::tuple<int, int, int, int>;
  static auto* cache = new SharedCache<Key, SeedTable>(kRetainSeedTableBytes);
  const Key key{codec.C, codec.P, codec.K, static_cast<int>(codec.variant)};
  return cache->GetOrBuild(key, [&] { return Build(codec); });
}

}  // namespace seedlm
