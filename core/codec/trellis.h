// The seed trellis codec (docs/SPEC.md §13) beside the block codec: the
// data-free rotation, the per-row scale rule, the search targets, and the
// normative decode. The layout and the code live in trellis_format.h; the
// search (the Viterbi of spec §13.4) lives in core/search/trellis_search.h.
//
// Everything here is a pure function of its arguments and thread-safe.
#ifndef SEEDLM_CORE_CODEC_TRELLIS_H_
#define SEEDLM_CORE_CODEC_TRELLIS_H_

#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis_format.h"

namespace seedlm {

// --- Rotation (spec §13.3) ---

// Rot(v) in place, for a row of `cols` values: v[c] *= TrellisColumnSign(c)
// (exact), then on each block of b = TrellisRotationBlock(cols) consecutive
// values the Walsh-Hadamard butterflies (stage h = 1, 2, .., b/2: for each
// pair (j, j + h) with j mod 2h < h, (v[j], v[j+h]) <- (v[j] + v[j+h],
// v[j] - v[j+h]) in float32), then every value times (float)(1/sqrt(b)).
// The encoder rotates weight rows with it; kernels rotate activations with
// it (W x = Wrot Rot(x) since Rot is orthonormal).
void TrellisRotate(int64_t cols, float* v);
// The inverse, Rot^-1(v) = D H v: the same butterflies and normalisation per
// block first, then the signs. The normative decode ends with it.
void TrellisUnrotate(int64_t cols, float* v);

// --- The encoder's inputs (spec §13.4; normative, so that the search is a
// pure function of the row) ---

// Code units per row RMS, by R (index R, 1..8): scale = rms / divisor.
double TrellisScaleDivisor(int R);

// The scale of a (rotated) row u of `cols` values: rms = sqrt(sum u_c^2 /
// cols) summed in float64 in column order, scale = (float)(rms /
// TrellisScaleDivisor(R)); 0 for cols == 0 or an all-zero row.
// REQUIRES: u finite.
float TrellisRowScale(const TrellisParams& t, const float* u, int64_t cols);

// Prepares one row for the search: u = Rot(w) when t.rotate (else u = w),
// *scale = TrellisRowScale(u), and targets[c] = (float)((double)u_c /
// (double)*scale) for c < cols, 0 for the padding up to
// TrellisStoredWeights(cols) (all 0 when *scale == 0).
// INVALID_ARGUMENT if a weight is not finite (naming the column) or
// targets.size() != TrellisStoredWeights(cols).
absl::Status TrellisPrepareRow(const TrellisParams& t,
                               absl::Span<const float> w, float* scale,
                               absl::Span<float> targets);

// The code of every L-bit state as float32 (2^L values, exact integers),
// computed once per L and shared. REQUIRES: 8 <= L <= 16.
const float* TrellisCodeTable(int L);

// --- Decode (spec §13.5, normative) ---

// The scale field of a stored row.
float TrellisStoredScale(const uint8_t* row);

// The rotated-domain values of one stored row: out[c] = scale *
// (float)TrellisCode(s_c) for c < cols (padding not written).
void TrellisDecodeRowRotated(const TrellisLayout& l, int64_t cols,
                             const uint8_t* row, float* out);
// The row's weights: TrellisDecodeRowRotated, then TrellisUnrotate when
// t.rotate. The reference every trellis decoder is tested against.
void TrellisDecodeRow(const TrellisParams& t, int64_t cols, const uint8_t* row,
                      float* out);

// A stored row scale is valid iff finite and not negative (-0.0 included:
// spec §13.5).
inline bool TrellisScaleValid(float s) {
  return std::isfinite(s) && !std::signbit(s);
}

// OK iff every row scale of a trellis payload of geometry g is finite and
// >= 0 (+0.0 or positive); else DATA_LOSS (kStored) or INVALID_ARGUMENT
// (kCallerInput) naming the row. REQUIRES: payload.size() ==
// g.payload_bytes(). The trellis counterpart of CheckNoSeedZero.
absl::Status CheckTrellisScales(const PackedGeometry& g,
                                absl::Span<const uint8_t> payload,
                                PayloadOrigin origin,
                                absl::string_view what = "");

// Decodes rows [row_begin, row_end) of a trellis matrix (TrellisDecodeRow per
// row); DecodePackedRows calls it for trellis codecs. Errors as
// DecodePackedRows, and CheckTrellisScales (kCallerInput) for those rows.
absl::Status DecodeTrellisRows(const CodecConfig& codec,
                               const PackedGeometry& g,
                               absl::Span<const uint8_t> payload,
                               int64_t row_begin, int64_t row_end,
                               absl::Span<float> out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_CODEC_TRELLIS_H_
