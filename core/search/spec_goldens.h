// The encoder golden vectors of spec §6 and §8, shared by the tests of every
// search implementation (test-only data).
#ifndef SEEDLM_CORE_SEARCH_SPEC_GOLDENS_H_
#define SEEDLM_CORE_SEARCH_SPEC_GOLDENS_H_

#include <cstdint>
#include <vector>

#include "core/codec/codec.h"

namespace seedlm {
namespace spec_goldens {

struct Golden {
  const char* preset;
  ExponentMode mode;
  std::vector<double> w;
  uint32_t seed;
  int e;
  std::vector<int> q;
  double err;
  int bias = 0;  // the tensor's exponent bias (spec §4)
};

inline const std::vector<double> kW83a = {
    2e-05, 0.00597, -0.00548, -0.01781, -0.00909, -0.01983, 0.0012, 0.0268};
inline const std::vector<double> kW83b = {
    -0.00984, -0.01241, 0.0098, 0.00714, 0.00211, -0.01861, -0.00059, 0.01391};
inline const std::vector<double> kW83c = {-0.02688, -0.00915, -0.03802,
                                          -0.02579, -0.03683, -0.0047,
                                          -0.02535, 0.00543};
inline const std::vector<double> kW124a = {
    0.00314, -0.00374, -0.05034, -0.01077, -0.00097, 0.00227,
    -0.0306, -0.00956, -0.01957, -0.01618, 0.02122,  -0.01615};
inline const std::vector<double> kW124b = {
    -0.00065, 0.01769, -0.01167, -0.00223, 0.00221, 0.00128,
    -0.0245,  0.00152, 0.02718,  -0.03094, 0.01719, 0.00239};
inline const std::vector<double> kW124c = {
    -0.01283, 0.04001, 0.01525,  -0.02399, 0.00149, 0.01153,
    -0.00378, 0.01366, -0.00133, 0.01334,  0.02877, -0.01351};
inline const std::vector<double> kWTie = {-0.02067, -0.00158, 0.00071, -0.02109,
                                          0.0052,   -0.01716, 0.01944, 0.00385};
inline const std::vector<double> kWI8 = {-0.01283, 0.04001, 0.01525,  -0.02399,
                                         0.00149,  0.01153, -0.00378, 0.01366};

inline constexpr ExponentMode kS = ExponentMode::kSearch;

inline std::vector<Golden> Goldens() {
  return {
      // Spec §6, mode search.
      {"4bit", kS, kW83a, 36390, -8, {-3, -6, 0}, 1.80133e-05},
      {"4bit", kS, kW83b, 17725, -8, {4, -7, 6}, 2.19583e-05},
      {"4bit", kS, kW83c, 610, -8, {-2, -7, -4}, 8.53044e-05},
      {"3bit", kS, kW124a, 56934, -8, {-7, -3, -4, 3}, 3.60185e-04},
      {"3bit", kS, kW124b, 30471, -8, {3, -6, 1, -5}, 1.54819e-04},
      {"3bit", kS, kW124c, 20317, -7, {4, -1, 2, 1}, 2.26026e-04},
      // Ties and the other modes.
      {"4bit", ExponentMode::kPaper, kW83a, 25457, -6, {0, -2, 1}, 4.70163e-05},
      {"4bit", kS, kWTie, 18925, -8, {2, -8, 6}, 2.61826e-05},
      {"4bit", ExponentMode::kFit, kWTie, 18925, -7, {1, -4, 3}, 2.61826e-05},
      {"4bit-i8", kS, kWI8, 36824, -8, {-8, 2, -7}, 6.33462e-05},
      {"4bit-i8", ExponentMode::kFit, kWI8, 32385, -8, {6, 3, -4}, 6.99707e-05},
      // Spec §8, i8, mode search.
      {"4bit-i8", kS, kW83a, 24314, -8, {-4, 7, -3}, 4.24333e-06},
      {"4bit-i8", kS, kW83b, 9426, -8, {3, -1, 6}, 1.14981e-05},
      {"4bit-i8", kS, kW83c, 65117, -7, {4, -5, -3}, 4.06861e-05},
      {"3bit-i8", kS, kW124a, 62571, -7, {-3, -1, -6, 1}, 3.20432e-04},
      {"3bit-i8", kS, kW124b, 15446, -8, {-4, 0, -3, -5}, 1.52507e-04},
      {"3bit-i8", kS, kW124c, 5849, -7, {2, 4, -1, 2}, 2.50825e-04},
      // docs/FORMAT.md, preset 4bit-p4 (no block exponent) at bias -8.
      {"4bit-p4", kS, kW83a, 53833, 0, {-3, 1, -1, -4}, 1.08298e-05, -8},
      {"4bit-p4", kS, kW83b, 5450, 0, {3, 2, -3, 1}, 4.25001e-06, -8},
      {"4bit-p4", kS, kW83c, 38730, 0, {1, -3, -3, -7}, 2.46061e-05, -8},
  };
}

}  // namespace spec_goldens
}  // namespace seedlm

#endif  // SEEDLM_CORE_SEARCH_SPEC_GOLDENS_H_
