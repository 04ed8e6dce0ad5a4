#include "core/codec/trellis.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"

namespace seedlm {
namespace {

// The butterflies and normalisation of one block of b values (b a power of
// two), in the order spec §13.3 fixes.
void HadamardBlock(float* v, int64_t b) {
  for (int64_t h = 1; h < b; h *= 2) {
    for (int64_t i = 0; i < b; i += 2 * h) {
      for (int64_t j = i; j < i + h; ++j) {
        const float a = v[j];
        const float c = v[j + h];
        v[j] = a + c;
        v[j + h] = a - c;
      }
    }
  }
  const float norm =
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(b)));
  for (int64_t j = 0; j < b; ++j) v[j] *= norm;
}

void HadamardRow(int64_t cols, float* v) {
  const int64_t b = TrellisRotationBlock(cols);
  if (b <= 1) return;
  for (int64_t c0 = 0; c0 < cols; c0 += b) HadamardBlock(v + c0, b);
}

void SignRow(int64_t cols, float* v) {
  for (int64_t c = 0; c < cols; ++c) {
    if (TrellisColumnSign(static_cast<uint64_t>(c)) < 0) v[c] = -v[c];
  }
}

}  // namespace

void TrellisRotate(int64_t cols, float* v) {
  SignRow(cols, v);
  HadamardRow(cols, v);
}

void TrellisUnrotate(int64_t cols, float* v) {
  HadamardRow(cols, v);
  SignRow(cols, v);
}

double TrellisScaleDivisor(int R) {
  // Tuned on i.i.d. Gaussian rows (docs/SPEC.md §13.4; 8 rows of 1024, L 16,
  // T 256): about the divisor of least error for each R. (The code's own
  // standard deviation is ~147.8; the trellis does best slightly wider.)
  static constexpr double kDivisor[9] = {150.0, 150.0, 150.0, 140.0, 135.0,
                                         135.0, 135.0, 135.0, 135.0};
  return kDivisor[R < 0 ? 0 : (R > 8 ? 8 : R)];
}

float TrellisRowScale(const TrellisParams& t, const float* u, int64_t cols) {
  if (cols <= 0) return 0.0f;
  double sum = 0.0;
  for (int64_t c = 0; c < cols; ++c) {
    sum += static_cast<double>(u[c]) * static_cast<double>(u[c]);
  }
  if (sum == 0.0) return 0.0f;
  const double rms = std::sqrt(sum / static_cast<double>(cols));
  return static_cast<float>(rms / TrellisScaleDivisor(t.R));
}

absl::Status TrellisPrepareRow(const TrellisParams& t,
                               absl::Span<const float> w, float* scale,
                               absl::Span<float> targets) {
  const int64_t cols = static_cast<int64_t>(w.size());
  const TrellisLayout l = MakeTrellisLayout(t);
  if (static_cast<int64_t>(targets.size()) != TrellisStoredWeights(l, cols)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trellis targets hold ", targets.size(),
                     " values, expected ", TrellisStoredWeights(l, cols)));
  }
  for (int64_t c = 0; c < cols; ++c) {
    if (!std::isfinite(w[c])) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight at column ", c, " is not finite"));
    }
  }
  std::vector<float> u(w.begin(), w.end());
  if (t.rotate) TrellisRotate(cols, u.data());
  *scale = TrellisRowScale(t, u.data(), cols);
  for (float& x : targets) x = 0.0f;
  if (*scale == 0.0f) return absl::OkStatus();
  const double s = static_cast<double>(*scale);
  for (int64_t c = 0; c < cols; ++c) {
    targets[c] = static_cast<float>(static_cast<double>(u[c]) / s);
  }
  return absl::OkStatus();
}

const float* TrellisCodeTable(int L) {
  static std::once_flag once[17];
  static std::unique_ptr<float[]> tables[17];
  std::call_once(once[L], [L] {
    const uint32_t n = 1u << L;
    tables[L] = std::make_unique<float[]>(n);
    for (uint32_t s = 0; s < n; ++s) {
      tables[L][s] = static_cast<float>(TrellisCode(s));
    }
  });
  return tables[L].get();
}

float TrellisStoredScale(const uint8_t* row) {
  uint32_t bits = static_cast<uint32_t>(row[0]) |
                  (static_cast<uint32_t>(row[1]) << 8) |
                  (static_cast<uint32_t>(row[2]) << 16) |
                  (static_cast<uint32_t>(row[3]) << 24);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void TrellisDecodeRowRotated(const TrellisLayout& l, int64_t cols,
                             const uint8_t* row, float* out) {
  const float scale = TrellisStoredScale(row);
  const uint8_t* stream = row + kTrellisScaleBytes;
  const int64_t rings = TrellisRingsPerRow(l, cols);
  for (int64_t j = 0; j < rings; ++j) {
    const int64_t n = TrellisRingLength(l, cols, j);
    const uint64_t pos = static_cast<uint64_t>(j) * l.T * l.R;
    for (int64_t i = 0; i < n && j * l.T + i < cols; ++i) {
      const uint32_t s = TrellisRingState(l, stream, pos, n, i);
      out[j * l.T + i] = scale * static_cast<float>(TrellisCode(s));
    }
  }
}

void TrellisDecodeRow(const TrellisParams& t, int64_t cols, const uint8_t* row,
                      float* out) {
  TrellisDecodeRowRotated(MakeTrellisLayout(t), cols, row, out);
  if (t.rotate) TrellisUnrotate(cols, out);
}

absl::Status CheckTrellisScales(const PackedGeometry& g,
                                absl::Span<const uint8_t> payload,
                                PayloadOrigin origin, absl::string_view what) {
  const uint64_t rb = g.trellis_row_bytes();
  for (int64_t r = 0; r < g.rows; ++r) {
    const float s = TrellisStoredScale(payload.data() + r * rb);
    if (TrellisScaleValid(s)) continue;
    const std::string msg =
        absl::StrCat(what, what.empty() ? "" : ": ", "row ", r,
                     " has an invalid trellis scale ", s);
    return origin == PayloadOrigin::kStored ? absl::DataLossError(msg)
                                            : absl::InvalidArgumentError(msg);
  }
  return absl::OkStatus();
}

absl::Status DecodeTrellisRows(const CodecConfig& codec,
                               const PackedGeometry& g,
                               absl::Span<const uint8_t> payload,
                               int64_t row_begin, int64_t row_end,
                               absl::Span<float> out) {
  if (absl::Status s = CheckDecodeRowsArgs(g, payload.size(), row_begin,
                                           row_end, out.size());
      !s.ok()) {
    return s;
  }
  const uint64_t rb = g.trellis_row_bytes();
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = payload.data() + r * rb;
    const float s = TrellisStoredScale(row);
    if (!TrellisScaleValid(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", r, " has an invalid trellis scale ", s));
    }
    TrellisDecodeRow(codec.trellis, g.cols, row,
                     out.data() + (r - row_begin) * g.cols);
  }
  return absl::OkStatus();
}

}  // namespace seedlm
