#include "core/search/equivalence.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/codec/codec.h"
#include "core/util/dtype.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

struct KindInfo {
  BlockKind kind;
  const char* name;
};

constexpr KindInfo kKinds[] = {
    {BlockKind::kGauss02, "gauss-0.02"},
    {BlockKind::kGauss01, "gauss-0.01"},
    {BlockKind::kGauss005, "gauss-0.005"},
    {BlockKind::kStudentT3, "student-t3"},
    {BlockKind::kOutliers, "outliers"},
    {BlockKind::kZero, "zero"},
    {BlockKind::kSmall, "small"},
    {BlockKind::kTiny, "tiny"},
    {BlockKind::kHuge, "huge"},
    {BlockKind::kDecoded, "decoded"},
    {BlockKind::kShiftedTie, "shifted-tie"},
    {BlockKind::kBf16, "bf16"},
    {BlockKind::kPadded, "padded"},
    {BlockKind::kSparse, "sparse"},
};

double Bf16(double x) {
  return BFloat16ToFloat(FloatToBFloat16(static_cast<float>(x)));
}

// One decoded block; when `tie`, q_0 or q_{P-1} is 0 so that the next or
// previous window of the sequence reconstructs it identically.
void DecodedBlock(const SearchOptions& opt, bool tie, std::mt19937_64* rng,
                  double* w) {
  const CodecConfig& c = opt.codec;
  std::uniform_int_distribution<uint32_t> seed(1, c.num_seeds());
  std::uniform_int_distribution<int> e(c.e_lo(),
                                       std::min(c.e_hi(), c.e_lo() + 3));
  std::uniform_int_distribution<int> q(c.q_lo(), c.q_hi());
  Block b;
  b.seed = seed(*rng);
  b.e = static_cast<int8_t>(e(*rng));
  bool nonzero = false;
  while (!nonzero) {
    for (int p = 0; p < c.P; ++p) {
      b.q[p] = static_cast<int8_t>(q(*rng));
      nonzero = nonzero || b.q[p] != 0;
    }
    if (tie && c.P > 1) {
      b.q[((*rng)() & 1) ? 0 : c.P - 1] = 0;
      nonzero = false;
      for (int p = 0; p < c.P; ++p) nonzero = nonzero || b.q[p] != 0;
    }
  }
  float out[kMaxC];
  DecodeBlock(c, opt.exponent_bias, b, out);
  for (int i = 0; i < c.C; ++i) w[i] = out[i];
}

void FillBlock(const SearchOptions& opt, BlockKind kind, std::mt19937_64* rng,
               double* w) {
  const int C = opt.codec.C;
  std::normal_distribution<double> g(0.0, 1.0);
  auto gauss = [&](double sigma) {
    for (int i = 0; i < C; ++i) w[i] = static_cast<float>(sigma * g(*rng));
  };
  switch (kind) {
    case BlockKind::kGauss02:
      return gauss(0.02);
    case BlockKind::kGauss01:
      return gauss(0.01);
    case BlockKind::kGauss005:
      return gauss(0.005);
    case BlockKind::kStudentT3: {
      std::chi_squared_distribution<double> chi(3.0);
      for (int i = 0; i < C; ++i) {
        w[i] = static_cast<float>(0.01 * g(*rng) / std::sqrt(chi(*rng) / 3.0));
      }
      return;
    }
    case BlockKind::kOutliers: {
      gauss(0.01);
      std::uniform_int_distribution<int> idx(0, C - 1);
      std::uniform_real_distribution<double> mag(10.0, 30.0);
      const int n = 1 + static_cast<int>((*rng)() & 1);
      for (int k = 0; k < n; ++k) {
        const int i = idx(*rng);
        w[i] = static_cast<float>(w[i] * mag(*rng));
      }
      return;
    }
    case BlockKind::kZero:
      for (int i = 0; i < C; ++i) w[i] = 0.0;
      return;
    case BlockKind::kSmall:
      return gauss(1e-5);
    case BlockKind::kTiny:
      for (int i = 0; i < C; ++i) w[i] = static_cast<float>(2e-32 * g(*rng));
      return;
    case BlockKind::kHuge:
      for (int i = 0; i < C; ++i) w[i] = static_cast<float>(2e28 * g(*rng));
      return;
    case BlockKind::kDecoded:
      return DecodedBlock(opt, false, rng, w);
    case BlockKind::kShiftedTie:
      return DecodedBlock(opt, true, rng, w);
    case BlockKind::kBf16:
      for (int i = 0; i < C; ++i) w[i] = Bf16(0.02 * g(*rng));
      return;
    case BlockKind::kPadded: {
      std::uniform_int_distribution<int> len(1, std::max(1, C - 1));
      const int r = len(*rng);
      for (int i = 0; i < C; ++i) {
        w[i] = i < r ? static_cast<float>(0.02 * g(*rng)) : 0.0;
      }
      return;
    }
    case BlockKind::kSparse: {
      for (int i = 0; i < C; ++i) w[i] = 0.0;
      std::uniform_int_distribution<int> idx(0, C - 1);
      const int n = 1 + static_cast<int>((*rng)() & 1);
      for (int k = 0; k < n; ++k)
        w[idx(*rng)] = static_cast<float>(0.02 * g(*rng));
      return;
    }
  }
}

std::string FormatResult(const BlockResult& r, int P) {
  std::vector<int> q(r.block.q, r.block.q + P);
  return absl::StrFormat("seed %u e %d q [%s] err %.17g", r.block.seed,
                         r.block.e, absl::StrJoin(q, " "), r.err);
}

}  // namespace

const std::vector<BlockKind>& AllBlockKinds() {
  static const auto* kinds = [] {
    auto* v = new std::vector<BlockKind>();
    for (const KindInfo& k : kKinds) v->push_back(k.kind);
    return v;
  }();
  return *kinds;
}

const char* BlockKindName(BlockKind kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

absl::StatusOr<BlockKind> ParseBlockKind(absl::string_view name) {
  for (const KindInfo& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  std::vector<std::string> names;
  for (const KindInfo& k : kKinds) names.push_back(k.name);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown block kind '", name,
                   "' (kinds: ", absl::StrJoin(names, ", "), ")"));
}

std::vector<double> GenerateBlocks(const SearchOptions& options, BlockKind kind,
                                   int64_t n, uint64_t seed) {
  const int C = options.codec.C;
  std::seed_seq seq{static_cast<uint32_t>(seed),
                    static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(kind) + 1u, 0x5eed1u};
  std::mt19937_64 rng(seq);
  std::vector<double> w(static_cast<size_t>(n) * C);
  for (int64_t b = 0; b < n; ++b) FillBlock(options, kind, &rng, &w[b * C]);
  return w;
}

bool SameResult(const BlockResult& a, const BlockResult& b) {
  return a.block == b.block && std::memcmp(&a.err, &b.err, sizeof(double)) == 0;
}

std::string FormatMismatches(const EquivalenceReport& report,
                             const SearchOptions& options) {
  std::string out;
  for (const Mismatch& m : report.first) {
    std::vector<std::string> ws;
    for (double x : m.w) ws.push_back(absl::StrFormat("%.17g", x));
    absl::StrAppend(
        &out, "  ", report.data, " block ", m.index, ": w = [",
        absl::StrJoin(ws, " "),
        "]\n    fast:      ", FormatResult(m.fast, options.codec.P),
        "\n    reference: ", FormatResult(m.reference, options.codec.P), "\n");
  }
  return out;
}

absl::StatusOr<EquivalenceReport> CompareSearchersOnBlocks(
    const BlockSearcher& fast, const BlockSearcher& reference,
    const std::vector<double>& w, const std::string& label, ThreadPool* pool,
    int max_reported) {
  const SearchOptions& opt = fast.options();
  const SearchOptions& ropt = reference.options();
  if (opt.codec != ropt.codec || opt.mode != ropt.mode ||
      opt.exponent_bias != ropt.exponent_bias) {
    return absl::InvalidArgumentError(
        "CompareSearchers: the searchers' options differ");
  }
  const int C = opt.codec.C;
  const int64_t n_blocks = static_cast<int64_t>(w.size()) / C;
  std::vector<BlockResult> a(n_blocks), b(n_blocks);
  using Clock = std::chrono::steady_clock;
  EquivalenceReport report;
  report.data = label;
  report.blocks = n_blocks;
  auto t0 = Clock::now();
  RETURN_IF_ERROR(fast.Search(w, absl::MakeSpan(a), pool, {}));
  auto t1 = Clock::now();
  RETURN_IF_ERROR(reference.Search(w, absl::MakeSpan(b), pool, {}));
  auto t2 = Clock::now();
  report.fast_seconds = std::chrono::duration<double>(t1 - t0).count();
  report.reference_seconds = std::chrono::duration<double>(t2 - t1).count();
  for (int64_t i = 0; i < n_blocks; ++i) {
    if (SameResult(a[i], b[i])) continue;
    ++report.mismatches;
    if (static_cast<int>(report.first.size()) < max_reported) {
      Mismatch m;
      m.index = i;
      m.w.assign(w.begin() + i * C, w.begin() + (i + 1) * C);
      m.fast = a[i];
      m.reference = b[i];
      report.first.push_back(std::move(m));
    }
  }
  return report;
}

absl::StatusOr<EquivalenceReport> CompareSearchers(
    const BlockSearcher& fast, const BlockSearcher& reference, BlockKind kind,
    int64_t n_blocks, uint64_t seed, ThreadPool* pool, int max_reported) {
  const std::vector<double> w =
      GenerateBlocks(fast.options(), kind, n_blocks, seed);
  ASSIGN_OR_RETURN(
      EquivalenceReport report,
      CompareSearchersOnBlocks(fast, reference, w, BlockKindName(kind), pool,
                               max_reported));
  report.kind = kind;
  return report;
}

}  // namespace seedlm
