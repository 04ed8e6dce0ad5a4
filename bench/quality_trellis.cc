#include "bench/quality_trellis.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/codec/codec.h"
#include "core/codec/packed_matrix.h"
#include "core/codec/trellis.h"
#include "core/search/trellis_search.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// Encodes and decodes rows [0, rows) of m; adds the squared error and norm
// in row order, and the stored bits.
absl::Status MeasureMatrix(const CodecConfig& codec, const Matrix& m,
                           int64_t rows, ThreadPool* pool, double* err2,
                           double* norm2, double* bits) {
  const uint64_t rb = TrellisRowBytes(MakeTrellisLayout(codec.trellis), m.cols);
  std::vector<float> decoded(static_cast<size_t>(rows * m.cols));
  std::vector<absl::Status> status(static_cast<size_t>(rows));
  pool->ParallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    std::vector<uint8_t> row(rb);
    for (int64_t r = r0; r < r1; ++r) {
      const float* w = &m.w[static_cast<size_t>(r * m.cols)];
      status[r] = TrellisEncodeRow(
          codec.trellis, absl::MakeConstSpan(w, m.cols), absl::MakeSpan(row));
      if (status[r].ok()) {
        TrellisDecodeRow(codec.trellis, m.cols, row.data(),
                         &decoded[static_cast<size_t>(r * m.cols)]);
      }
    }
  });
  for (const absl::Status& s : status) RETURN_IF_ERROR(s);
  for (int64_t i = 0; i < rows * m.cols; ++i) {
    const double d = static_cast<double>(m.w[i]) - decoded[i];
    *err2 += d * d;
    *norm2 += static_cast<double>(m.w[i]) * m.w[i];
  }
  *bits += static_cast<double>(rb) * 8.0 * static_cast<double>(rows);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<QualityRow>> RunTrellisQuality(
    const std::string& preset, const std::vector<DataSet>& sets,
    int64_t gaussian_blocks, ThreadPool* pool,
    const TrellisProgress& progress) {
  ASSIGN_OR_RETURN(const CodecConfig codec, PresetByName(preset));
  if (!codec.is_trellis()) {
    return absl::InvalidArgumentError(
        absl::StrCat(preset, " is not a trellis preset"));
  }
  std::vector<QualityRow> out;
  for (const DataSet& d : sets) {
    double err2 = 0.0, norm2 = 0.0, bits = 0.0;
    int64_t weights = 0, rings = 0;
    for (const Matrix& m : d.matrices) {
      const int64_t rows =
          d.name == "model"
              ? m.rows
              : std::min(m.rows, (gaussian_blocks * 8 + m.cols - 1) / m.cols);
      RETURN_IF_ERROR(
          MeasureMatrix(codec, m, rows, pool, &err2, &norm2, &bits));
      weights += rows * m.cols;
      rings += MakeGeometry(codec, rows, m.cols).num_blocks();
      if (progress) progress(absl::StrCat(preset, " / ", d.name), rows, rows);
    }
    QualityRow row;
    row.method = "seedlm";
    row.preset = preset;
    row.mode = "-";
    row.data = d.name;
    row.bits_per_weight = weights > 0 ? bits / static_cast<double>(weights) : 0;
    row.rel_error = norm2 > 0 ? std::sqrt(err2 / norm2) : 0.0;
    row.blocks = rings;
    row.weights = weights;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace seedlm
