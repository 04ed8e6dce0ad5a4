#include "core/search/fast_search_bound.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cfloat>
#include <cmath>

namespace seedlm {
namespace fast_search_internal {
namespace {

// Widening of float64 sums of nonnegative terms (each such sum below has a
// relative error far below 1e-12).
constexpr double kUp = 1.0 + 1e-12;

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                           Eigen::ColMajor, kMaxC, kMaxP>;

}  // namespace

double Gamma32(int n) {
  const double nu = n * 0x1p-24;
  return nu / (1.0 - nu);
}

double Gamma64(int n) {
  const double nu = n * 0x1p-53;
  return nu / (1.0 - nu);
}

float RoundUpToFloat(double x) {
  float f = static_cast<float>(x);
  if (static_cast<double>(f) < x) f = std::nextafter(f, FLT_MAX);
  return f;
}

float RoundDownToFloat(double x) {
  float f = static_cast<float>(x);
  if (static_cast<double>(f) > x) f = std::nextafter(f, -FLT_MAX);
  return f;
}

double MarginCoefficient(double h, double h1, double nu, int P) {
  const double g = Gamma32(P);
  const double rho = 1.0 / (1.0 - h);
  // ρ/(1 − γ_P) − 1 without cancellation.
  const double excess = (h + g - h * g) / ((1.0 - h) * (1.0 - g));
  const double beta = std::sqrt(1.0 + h1) + nu;
  const double mu =
      excess * (1.0 + g) * beta * beta + rho * (2.0 * nu * beta + nu * nu);
  return mu * (1.0 + 1e-9) + 0x1p-90;
}

namespace {

// Ã = float32(L⁻¹) with G = LLᵀ (Cholesky in float64), lower triangle, as
// doubles. False if G is not numerically positive definite.
bool InverseCholesky32(const double (*g)[kMaxP], int P, double (*at)[kMaxP]) {
  double l[kMaxP][kMaxP] = {};
  for (int j = 0; j < P; ++j) {
    double d = g[j][j];
    for (int k = 0; k < j; ++k) d -= l[j][k] * l[j][k];
    if (!(d > 0.0)) return false;
    l[j][j] = std::sqrt(d);
    for (int i = j + 1; i < P; ++i) {
      double s = g[i][j];
      for (int k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
      l[i][j] = s / l[j][j];
    }
  }
  for (int i = 0; i < P; ++i) {
    double inv[kMaxP] = {};
    inv[i] = 1.0 / l[i][i];
    for (int r = i + 1; r < P; ++r) {
      double s = 0.0;
      for (int k = i; k < r; ++k) s += l[r][k] * inv[k];
      inv[r] = -s / l[r][r];
    }
    for (int r = 0; r < P; ++r) {
      at[r][i] = r < i ? 0.0 : static_cast<double>(static_cast<float>(inv[r]));
      if (!std::isfinite(at[r][i])) return false;
    }
  }
  return true;
}

// h >= ‖ÃGÃᵀ − I‖_F: H in float64 with the bound (2γ_P + γ_P²)|Ã||G||Ãᵀ| on
// its rounding, doubled to cover the rounding of |Ã||G||Ãᵀ| itself.
double GramResidual(const double (*g)[kMaxP], const double (*at)[kMaxP],
                    int P) {
  double t1[kMaxP][kMaxP], t1abs[kMaxP][kMaxP];
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j < P; ++j) {
      double s = 0.0, sa = 0.0;
      for (int k = 0; k < P; ++k) {
        s += at[i][k] * g[k][j];
        sa += std::fabs(at[i][k]) * std::fabs(g[k][j]);
      }
      t1[i][j] = s;
      t1abs[i][j] = sa;
    }
  }
  const double gh = 2.0 * Gamma64(2 * P + 1);
  double h2 = 0.0;
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j < P; ++j) {
      double s = 0.0, sa = 0.0;
      for (int k = 0; k < P; ++k) {
        s += t1[i][k] * at[j][k];
        sa += t1abs[i][k] * std::fabs(at[j][k]);
      }
      const double d = std::fabs(s - (i == j ? 1.0 : 0.0)) + gh * sa;
      h2 += d * d;
    }
  }
  return std::sqrt(h2) * kUp;
}

// ε1 >= ‖Q̃ᵀQ̃ − I‖_F: products of floats are exact in float64, the C-term
// sums are bounded by 2γ_C Σ|q||q|.
double OrthonormalityResidual(const float* q, int C, int P) {
  const double gq = 2.0 * Gamma64(C);
  double e1 = 0.0;
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j < P; ++j) {
      double s = 0.0, sa = 0.0;
      for (int c = 0; c < C; ++c) {
        const double prod = static_cast<double>(q[c * P + i]) * q[c * P + j];
        s += prod;
        sa += std::fabs(prod);
      }
      const double d = std::fabs(s - (i == j ? 1.0 : 0.0)) + gq * sa;
      e1 += d * d;
    }
  }
  return std::sqrt(e1) * kUp;
}

}  // namespace

bool GoodSeedMargin(const int32_t* m, int C, int P, float* a, double* mu) {
  // G = MᵀM is exact in float64 (entries < 2^40).
  double g[kMaxP][kMaxP];
  double norm_m2 = 0.0;  // exact
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j < P; ++j) {
      double acc = 0.0;
      for (int c = 0; c < C; ++c) {
        acc += static_cast<double>(m[c * P + i]) * m[c * P + j];
      }
      g[i][j] = acc;
    }
    norm_m2 += g[i][i];
  }
  double at[kMaxP][kMaxP];
  if (!InverseCholesky32(g, P, at)) return false;
  double norm_a2 = 0.0;
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j <= i; ++j) norm_a2 += at[i][j] * at[i][j];
  }
  const double kappa = std::sqrt(norm_a2 * norm_m2) * kUp;
  if (!(kappa <= kMaxTileKappa)) return false;
  const double h = GramResidual(g, at, P);
  if (!(h < 0.25)) return false;
  const double nu = kappa * (Gamma32(P) * (1.0 + Gamma32(C)) + Gamma32(C));
  *mu = MarginCoefficient(h, h, nu, P);
  int k = 0;
  for (int i = 0; i < P; ++i) {
    for (int j = 0; j <= i; ++j) a[k++] = static_cast<float>(at[i][j]);
  }
  return true;
}

bool ListSeedMargin(const int32_t* m, int C, int P, float* q, double* mu) {
  MatD md(C, P);
  for (int c = 0; c < C; ++c) {
    for (int p = 0; p < P; ++p) md(c, p) = m[c * P + p];
  }
  const Eigen::HouseholderQR<MatD> qr(md);
  // X = R⁻¹ (upper triangular), by columns.
  double x[kMaxP][kMaxP] = {};
  double rmax = 0.0;
  for (int i = 0; i < P; ++i)
    rmax = std::max(rmax, std::fabs(qr.matrixQR()(i, i)));
  for (int j = 0; j < P; ++j) {
    for (int i = j; i >= 0; --i) {
      const double rii = qr.matrixQR()(i, i);
      if (!(std::fabs(rii) > 1e-9 * rmax)) return false;
      double s = i == j ? 1.0 : 0.0;
      for (int k = i + 1; k <= j; ++k) s -= qr.matrixQR()(i, k) * x[k][j];
      x[i][j] = s / rii;
    }
  }
  // Q̃ = float32(M X); ε2 from the residual Q̃ − M X, bounded with
  // 2γ_{P+1}(|Q̃| + |M||X|) for its float64 evaluation.
  const double gr = 2.0 * Gamma64(P + 1);
  double e2 = 0.0, qnorm2 = 0.0;
  for (int c = 0; c < C; ++c) {
    for (int j = 0; j < P; ++j) {
      double s = 0.0, sa = 0.0;
      for (int p = 0; p <= j; ++p) {
        s += md(c, p) * x[p][j];
        sa += std::fabs(md(c, p)) * std::fabs(x[p][j]);
      }
      const float qf = static_cast<float>(s);
      if (!std::isfinite(qf)) return false;
      q[c * P + j] = qf;
      const double r = std::fabs(static_cast<double>(qf) - s) +
                       gr * (std::fabs(static_cast<double>(qf)) + sa);
      e2 += r * r;
      qnorm2 += static_cast<double>(qf) * qf;
    }
  }
  const double eps2 = std::sqrt(e2) * kUp;
  const double eps1 = OrthonormalityResidual(q, C, P);
  const double h = eps1 + eps2 * eps2 * kUp;
  if (!(h < 0.25)) return false;
  const double nu = eps2 + Gamma32(C) * std::sqrt(qnorm2) * kUp;
  *mu = MarginCoefficient(h, eps1, nu, P);
  return true;
}

bool NormalizeBlock(const double* w, int C, NormalizedBlock* out) {
  double mx = 0.0;
  for (int c = 0; c < C; ++c) mx = std::max(mx, std::fabs(w[c]));
  if (!(mx >= 0x1p-400 && mx <= 0x1p400)) return false;
  const int k = -std::ilogb(mx);  // max |w| · 2^k in [1, 2)
  double n2 = 0.0, d2 = 0.0;
  for (int c = 0; c < C; ++c) {
    // x is w̃_c exactly unless |x| < 2^-1022 (then flushed below anyway).
    const double x = std::ldexp(w[c], k);
    const float f = std::fabs(x) < 0x1p-100 ? 0.0f : static_cast<float>(x);
    const double d = x - static_cast<double>(f);  // exact
    n2 += static_cast<double>(f) * f;             // exact squares
    d2 += d * d;
    out->w[c] = f;
  }
  for (int c = C; c < kMaxC; ++c) out->w[c] = 0.0f;
  out->k = k;
  // The C-term sum n2 has relative error < C·2^-53 <= 2^-46.
  out->n_lo = n2 * (1.0 - 0x1p-45);
  out->n_hi = RoundUpToFloat(n2 * (1.0 + 0x1p-45));
  const double delta = std::sqrt(d2) * (1.0 + 0x1p-40);
  const double norm_w = std::sqrt(n2) * (1.0 + 0x1p-40) + delta;
  // (C+6)u_d‖w̃‖ of step (2), doubled; 2^-100 absorbs every underflow.
  out->slack = delta + (C + 6) * 0x1p-52 * norm_w + 0x1p-100;
  return true;
}

float PruneThreshold(const NormalizedBlock& b, double T) {
  if (!(T < HUGE_VAL)) return -FLT_MAX;
  // T·4^k rounded up (ldexp may round only when the result underflows).
  const double t = std::ldexp(T, 2 * b.k) * (1.0 + 0x1p-50) + 0x1p-1000;
  const double d = std::sqrt(t) * (1.0 + 0x1p-50) + b.slack;
  const double a = b.n_lo - d * d * (1.0 + 0x1p-50);
  if (!(a > 0.0)) return -FLT_MAX;
  // (1 − 2^-20) covers the rounding of the subtraction above and of Z.
  return RoundDownToFloat(a * (1.0 - 0x1p-20));
}

double ErrLowerBound(const NormalizedBlock& b, float z) {
  if (!(z < FLT_MAX)) return 0.0;
  const double proj = static_cast<double>(z) * (1.0 + 0x1p-21);
  const double d2 = (b.n_lo - proj) * (1.0 - 0x1p-50);
  if (!(d2 > 0.0)) return 0.0;
  const double d = std::sqrt(d2) * (1.0 - 0x1p-50) - b.slack;
  if (!(d > 0.0)) return 0.0;
  const double lb = std::ldexp(d * d * (1.0 - 0x1p-50), -2 * b.k);
  return std::max(0.0, lb * (1.0 - 0x1p-50) - 0x1p-1074);
}

}  // namespace fast_search_internal
}  // namespace seedlm
