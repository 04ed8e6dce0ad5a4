// The exact scoring of one seed for one block, shared by every search: the
// float64 least-squares coefficients t = pinv(U(s)) w (SeedTable), the
// exponent candidates of the mode, the rounding of the coefficients and the
// error of every candidate (Quantizer), in exactly the order and arithmetic
// the reference search (spec §5) defines.
//
// A faster search may visit seeds in any order and skip seeds it has proven
// cannot win, but it must obtain the (err, e, q) of every seed it keeps from
// this function, so that its result is bit for bit the reference's.
#ifndef SEEDLM_CORE_SEARCH_SEED_SCORE_H_
#define SEEDLM_CORE_SEARCH_SEED_SCORE_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/search/quantizer.h"
#include "core/search/search_options.h"
#include "core/search/seed_table.h"

namespace seedlm {

// Scores every exponent candidate of seed `s` (1-based) for the block `w`
// (C doubles) and replaces *best by a candidate whose err is strictly less
// than best->err. Candidates are tried in ascending e, so among equal errors
// the earlier candidate (the smaller e) is kept; a candidate never replaces
// an equal err already in *best. REQUIRES: quant and table share the codec.
inline void ScoreSeedCandidates(const SeedTable& table, const Quantizer& quant,
                                uint32_t s, const double* w,
                                BlockResult* best) {
  const CodecConfig& codec = quant.codec();
  const double* pinv = table.pinv(s);
  double t[kMaxP];
  int8_t q[kMaxP];
  int cand[3];
  double max_abs_t = 0.0;
  for (int p = 0; p < codec.P; ++p) {
    double acc = 0.0;
    for (int c = 0; c < codec.C; ++c) acc += pinv[p * codec.C + c] * w[c];
    t[p] = acc;
    max_abs_t = std::max(max_abs_t, std::fabs(acc));
  }
  const int n = quant.Candidates(max_abs_t, cand);
  for (int i = 0; i < n; ++i) {
    quant.Quantize(t, cand[i], q);
    const double err = quant.Error(table.matrix(s), q, cand[i], w);
    if (err < best->err) {
      best->err = err;
      best->block.seed = s;
      best->block.e = static_cast<int8_t>(cand[i]);
      for (int p = 0; p < kMaxP; ++p) best->block.q[p] = p < codec.P ? q[p] : 0;
    }
  }
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SEED_SCORE_H_
