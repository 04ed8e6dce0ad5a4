#include "core/search/trellis_search.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/trellis.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

// The fast implementations this build and CPU can run.
std::vector<TrellisSearchImpl> FastImpls() {
  std::vector<TrellisSearchImpl> v;
  for (TrellisSearchImpl i :
       {TrellisSearchImpl::kPortable, TrellisSearchImpl::kAvx2,
        TrellisSearchImpl::kAvx512}) {
    if (TrellisSearchImplSupported(i)) v.push_back(i);
  }
  return v;
}

enum class Kind {
  kGaussian,
  kStudentT,
  kZeros,
  kConstant,
  kOnCode,
  kFewValues,
  kHuge
};
constexpr Kind kKinds[] = {Kind::kGaussian, Kind::kStudentT, Kind::kZeros,
                           Kind::kConstant, Kind::kOnCode,   Kind::kFewValues,
                           Kind::kHuge};

// n targets of a kind, in code units (the scale rule makes rows ~150 wide).
std::vector<float> Targets(Kind kind, int L, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 150.0f);
  std::student_t_distribution<float> student(3.0f);
  std::uniform_int_distribution<uint32_t> state(0, (1u << L) - 1);
  const float* code = TrellisCodeTable(L);
  const float huge[] = {1e30f,
                        -1e30f,
                        std::numeric_limits<float>::max(),
                        -std::numeric_limits<float>::max(),
                        std::numeric_limits<float>::infinity(),
                        0.0f,
                        -3e5f};
  std::vector<float> u(n);
  for (int64_t i = 0; i < n; ++i) {
    switch (kind) {
      case Kind::kGaussian:
        u[i] = gauss(rng);
        break;
      case Kind::kStudentT:
        u[i] = 90.0f * student(rng);
        break;
      case Kind::kZeros:
        u[i] = 0.0f;
        break;
      case Kind::kConstant:
        u[i] = 17.25f;
        break;
      case Kind::kOnCode:
        u[i] = code[state(rng)];
        break;
      case Kind::kFewValues:  // many exact ties between paths
        u[i] = static_cast<float>(static_cast<int>(rng() % 3) - 1) * 64.0f;
        break;
      case Kind::kHuge:
        u[i] = huge[rng() % 7];
        break;
    }
  }
  return u;
}

std::string Where(TrellisSearchImpl impl, int L, int R, int64_t w,
                  int64_t overlap, Kind kind) {
  return absl::StrCat(TrellisSearchImplName(impl), " L=", L, " R=", R, " w=", w,
                      " overlap=", overlap, " kind=", static_cast<int>(kind));
}

// Every fast impl's pass equals the reference's, free and constrained.
void CheckPasses(int L, int R, const std::vector<int64_t>& lengths,
                 uint32_t seed) {
  const TrellisLayout l{L, R, 256};
  const float* code = TrellisCodeTable(L);
  const int64_t G = int64_t{1} << (L - R);
  std::mt19937 rng(seed);
  for (Kind kind : kKinds) {
    for (int64_t w : lengths) {
      const std::vector<float> u = Targets(kind, L, w, rng());
      for (int64_t overlap :
           {int64_t{-1}, int64_t{0}, G - 1, static_cast<int64_t>(rng() % G)}) {
        std::vector<uint32_t> want(w), got(w);
        TrellisViterbiPassReference(l, code, u.data(), w, overlap, want.data());
        for (TrellisSearchImpl impl : FastImpls()) {
          TrellisViterbiPass(l, code, u.data(), w, overlap, got.data(), impl);
          ASSERT_EQ(got, want) << Where(impl, L, R, w, overlap, kind);
        }
      }
    }
  }
}

TEST(TrellisSearchTest, FastPassesMatchReferenceL8) {
  for (int R = 1; R <= 7; ++R) CheckPasses(8, R, {1, 2, 3, 8, 17, 70}, R);
}

TEST(TrellisSearchTest, FastPassesMatchReferenceL12) {
  for (int R = 1; R <= 8; ++R) CheckPasses(12, R, {1, 4, 13, 40}, 100 + R);
}

TEST(TrellisSearchTest, FastPassesMatchReferenceL16) {
  for (int R = 1; R <= 4; ++R) CheckPasses(16, R, {1, 5, 19}, 200 + R);
}

TEST(TrellisSearchTest, NanTargetsMatchReference) {
  const TrellisLayout l{12, 3, 256};
  const float* code = TrellisCodeTable(12);
  std::vector<float> u = Targets(Kind::kGaussian, 12, 30, 7);
  for (int64_t nan_at : {0, 5, 29}) {
    std::vector<float> v = u;
    v[nan_at] = std::numeric_limits<float>::quiet_NaN();
    for (int64_t overlap : {-1, 77}) {
      std::vector<uint32_t> want(30), got(30);
      TrellisViterbiPassReference(l, code, v.data(), 30, overlap, want.data());
      for (TrellisSearchImpl impl : FastImpls()) {
        TrellisViterbiPass(l, code, v.data(), 30, overlap, got.data(), impl);
        EXPECT_EQ(got, want) << TrellisSearchImplName(impl) << " " << nan_at;
      }
    }
  }
}

// Ring streams of every impl equal the reference's; lengths include
// min_ring, odd ones, shorter than the seam window and longer than T.
TEST(TrellisSearchTest, FastRingsMatchReference) {
  struct Case {
    int L, R;
    std::vector<int64_t> lengths;
  };
  const Case cases[] = {{8, 2, {4, 5, 31, 64, 65, 257}},
                        {12, 3, {4, 9, 63, 100, 300}},
                        {12, 4, {3, 64, 129}},
                        {16, 4, {4, 33, 256}},
                        {16, 3, {6, 256}},
                        {16, 2, {8, 71}}};
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const TrellisLayout l{c.L, c.R, 256};
    for (int64_t n : c.lengths) {
      ASSERT_GE(n, l.min_ring());
      for (Kind kind : {Kind::kGaussian, Kind::kStudentT, Kind::kFewValues}) {
        const std::vector<float> u = Targets(kind, c.L, n, ++seed);
        const size_t bytes = (n * c.R + 7) / 8 + 1;
        std::vector<uint8_t> want(bytes, 0xA5), got(bytes, 0xA5);
        TrellisEncodeRing(l, u.data(), n, want.data(), 3,
                          TrellisSearchImpl::kReference);
        for (TrellisSearchImpl impl : FastImpls()) {
          std::fill(got.begin(), got.end(), 0xA5);
          TrellisEncodeRing(l, u.data(), n, got.data(), 3, impl);
          ASSERT_EQ(got, want) << Where(impl, c.L, c.R, n, -1, kind);
        }
      }
    }
  }
}

double PathCost(const TrellisLayout& l, const float* u,
                const std::vector<uint32_t>& s) {
  const float* code = TrellisCodeTable(l.L);
  double e = 0.0;
  for (size_t i = 0; i < s.size(); ++i) {
    const double d = static_cast<double>(u[i]) - code[s[i]];
    e += d * d;
  }
  return e;
}

// The encoded ring reads back (TrellisRingState, the circular definition)
// as exactly the constrained pass's states: the tail-biting closes.
TEST(TrellisSearchTest, RingDecodesToViterbiPath) {
  for (const TrellisLayout l :
       {TrellisLayout{16, 4, 256}, TrellisLayout{12, 3, 256},
        TrellisLayout{8, 1, 256}, TrellisLayout{16, 2, 256}}) {
    for (int64_t n : {int64_t{l.min_ring()}, int64_t{37}, int64_t{256}}) {
      const std::vector<float> u = Targets(Kind::kGaussian, l.L, n, n + l.R);
      const float* code = TrellisCodeTable(l.L);
      // The seam pass as TrellisEncodeRing runs it.
      const int64_t W = std::min<int64_t>(n, kTrellisSeamWindow);
      std::vector<float> window(W);
      for (int64_t j = 0; j < W; ++j) window[j] = u[(n - W / 2 + j) % n];
      std::vector<uint32_t> seam(W), path(n);
      TrellisViterbiPass(l, code, window.data(), W, -1, seam.data(),
                         TrellisSearchImpl::kAuto);
      const int64_t G = int64_t{1} << (l.L - l.R);
      const int64_t overlap = seam[W / 2 - 1] & (G - 1);
      TrellisViterbiPass(l, code, u.data(), n, overlap, path.data(),
                         TrellisSearchImpl::kAuto);
      EXPECT_EQ(path[0] >> l.R, overlap);
      EXPECT_EQ(path[n - 1] & (G - 1), overlap);
      std::vector<uint8_t> stream((n * l.R + 7) / 8 + 2, 0);
      TrellisEncodeRing(l, u.data(), n, stream.data(), 5,
                        TrellisSearchImpl::kAuto);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(TrellisRingState(l, stream.data(), 5, n, i), path[i])
            << "L=" << l.L << " R=" << l.R << " n=" << n << " i=" << i;
      }
    }
  }
}

// All paths of w states (s_j >> R == s_{j-1} mod 2^(L-R)) with the pass's
// start/end rule; returns the least float64 cost.
double BruteForceBest(const TrellisLayout& l, const float* u, int64_t w,
                      int64_t overlap) {
  const uint32_t G = 1u << (l.L - l.R);
  double best = std::numeric_limits<double>::infinity();
  const uint64_t starts = overlap < 0 ? (1u << l.L) : (1u << l.R);
  const uint64_t tails = uint64_t{1} << (l.R * (w - 1));
  for (uint64_t s0 = 0; s0 < starts; ++s0) {
    for (uint64_t t = 0; t < tails; ++t) {
      std::vector<uint32_t> s(w);
      s[0] = overlap < 0 ? static_cast<uint32_t>(s0)
                         : static_cast<uint32_t>((overlap << l.R) | s0);
      for (int64_t j = 1; j < w; ++j) {
        const uint32_t k = (t >> (l.R * (j - 1))) & ((1u << l.R) - 1);
        s[j] = ((s[j - 1] << l.R) | k) & ((1u << l.L) - 1);
      }
      if (overlap >= 0 && (s[w - 1] & (G - 1)) != overlap) continue;
      best = std::min(best, PathCost(l, u, s));
    }
  }
  return best;
}

// On tiny cases the Viterbi path is optimal (to float32 accumulation
// rounding): its recomputed float64 cost equals the brute-force minimum,
// free and constrained, and the path obeys the transition and the overlap.
TEST(TrellisSearchTest, ViterbiIsOptimalOnTinyCases) {
  const TrellisLayout l{8, 2, 256};
  const float* code = TrellisCodeTable(8);
  const uint32_t G = 1u << (l.L - l.R);
  for (int64_t w = 4; w <= 6; ++w) {
    for (uint32_t seed = 0; seed < 3; ++seed) {
      const std::vector<float> u = Targets(Kind::kGaussian, 8, w, 50 + seed);
      for (int64_t overlap : {int64_t{-1}, int64_t{seed * 21 % G}}) {
        std::vector<uint32_t> s(w);
        TrellisViterbiPass(l, code, u.data(), w, overlap, s.data(),
                           TrellisSearchImpl::kAuto);
        for (int64_t j = 1; j < w; ++j) {
          ASSERT_EQ(s[j] >> l.R, s[j - 1] & (G - 1));
        }
        if (overlap >= 0) {
          EXPECT_EQ(s[0] >> l.R, overlap);
          EXPECT_EQ(s[w - 1] & (G - 1), overlap);
        }
        const double got = PathCost(l, u.data(), s);
        const double want = BruteForceBest(l, u.data(), w, overlap);
        EXPECT_NEAR(got, want, 1e-5 * want + 1e-3)
            << "w=" << w << " overlap=" << overlap;
      }
    }
  }
}

std::vector<float> GaussianRow(int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 0.02f);
  std::vector<float> w(cols);
  for (float& x : w) x = gauss(rng);
  return w;
}

TEST(TrellisSearchTest, EncodeRowIsDeterministicAndImplIndependent) {
  const TrellisParams t{12, 3, 64, true};
  const TrellisLayout l = MakeTrellisLayout(t);
  const std::vector<float> w = GaussianRow(200, 3);
  std::vector<uint8_t> want(TrellisRowBytes(l, 200));
  double e_want = -1.0;
  ASSERT_TRUE(TrellisEncodeRow(t, w, absl::MakeSpan(want),
                               TrellisSearchImpl::kReference, &e_want)
                  .ok());
  EXPECT_GT(TrellisStoredScale(want.data()), 0.0f);
  for (TrellisSearchImpl impl : FastImpls()) {
    for (int rep = 0; rep < 2; ++rep) {
      std::vector<uint8_t> got(want.size(), 0xFF);
      double e = -1.0;
      ASSERT_TRUE(TrellisEncodeRow(t, w, absl::MakeSpan(got), impl, &e).ok());
      EXPECT_EQ(got, want) << TrellisSearchImplName(impl);
      EXPECT_EQ(e, e_want);
    }
  }
  // The reported error is the decode's.
  std::vector<float> dec(200);
  TrellisDecodeRow(t, 200, want.data(), dec.data());
  double e = 0.0;
  for (int c = 0; c < 200; ++c) e += std::pow(double{w[c]} - dec[c], 2);
  EXPECT_EQ(e, e_want);
}

TEST(TrellisSearchTest, ZeroRowGivesZeroScaleAndStream) {
  const TrellisParams t{16, 4, 256, true};
  const TrellisLayout l = MakeTrellisLayout(t);
  std::vector<float> w(300, 0.0f);
  std::vector<uint8_t> out(TrellisRowBytes(l, 300), 0xFF);
  double e = -1.0;
  ASSERT_TRUE(
      TrellisEncodeRow(t, w, absl::MakeSpan(out), TrellisSearchImpl::kAuto, &e)
          .ok());
  for (uint8_t b : out) EXPECT_EQ(b, 0);
  EXPECT_EQ(e, 0.0);
}

TEST(TrellisSearchTest, EncodeRowRejectsBadInput) {
  const TrellisParams t{12, 4, 64, true};
  const TrellisLayout l = MakeTrellisLayout(t);
  std::vector<uint8_t> out(TrellisRowBytes(l, 100));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    std::vector<float> w = GaussianRow(100, 1);
    w[42] = bad;
    EXPECT_EQ(TrellisEncodeRow(t, w, absl::MakeSpan(out)).code(),
              absl::StatusCode::kInvalidArgument);
  }
  const std::vector<float> w = GaussianRow(100, 1);
  std::vector<uint8_t> short_out(out.size() - 1);
  EXPECT_EQ(TrellisEncodeRow(t, w, absl::MakeSpan(short_out)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      TrellisEncodeRow(TrellisParams{12, 12, 64, true}, w, absl::MakeSpan(out))
          .code(),
      absl::StatusCode::kInvalidArgument);
  for (TrellisSearchImpl impl :
       {TrellisSearchImpl::kAvx2, TrellisSearchImpl::kAvx512}) {
    if (TrellisSearchImplSupported(impl)) continue;
    EXPECT_EQ(TrellisEncodeRow(t, w, absl::MakeSpan(out), impl).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(TrellisSearchTest, AutoResolvesToAFastImpl) {
  const TrellisSearchImpl impl =
      ResolveTrellisSearchImpl(TrellisSearchImpl::kAuto);
  EXPECT_NE(impl, TrellisSearchImpl::kAuto);
  EXPECT_NE(impl, TrellisSearchImpl::kReference);
  EXPECT_TRUE(TrellisSearchImplSupported(impl));
  EXPECT_EQ(ResolveTrellisSearchImpl(TrellisSearchImpl::kReference),
            TrellisSearchImpl::kReference);
}

}  // namespace
}  // namespace seedlm
