#include "core/compress/unit_rows.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// OUT_OF_RANGE unless [row_begin, row_end) is a non-empty range of rows of a
// `rows`-row matrix (kCompressRows only; a bias unit reads its sample).
absl::Status CheckUnitRange(UnitKind kind, int64_t rows, int64_t row_begin,
                            int64_t row_end) {
  if (kind != UnitKind::kCompressRows) return absl::OkStatus();
  if (row_begin < 0 || row_end <= row_begin || row_end > rows) {
    return absl::OutOfRangeError(absl::StrCat(
        "rows ", row_begin, "..", row_end, " of a matrix of ", rows, " rows"));
  }
  return absl::OkStatus();
}

// n rows of `cols` elements of `es` bytes, or INVALID_ARGUMENT on overflow.
absl::StatusOr<uint64_t> RowBytes(uint64_t n, int64_t cols, size_t es) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max() / 2;
  if (static_cast<uint64_t>(cols) > kMax / es) {
    return absl::InvalidArgumentError(absl::StrCat(cols, " columns overflow"));
  }
  const uint64_t row = static_cast<uint64_t>(cols) * es;
  if (row != 0 && n > kMax / row) {
    return absl::InvalidArgumentError(
        absl::StrCat(n, " rows of ", cols, " elements overflow"));
  }
  return n * row;
}

}  // namespace

std::vector<int64_t> UnitRowIndices(UnitKind kind, int64_t rows,
                                    int64_t row_begin, int64_t row_end) {
  if (kind == UnitKind::kChooseBias) return BiasSampleRowIndices(rows);
  std::vector<int64_t> out;
  for (int64_t r = row_begin; r < row_end; ++r) out.push_back(r);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> UnitStoredRows(const ModelSource& source,
                                                    size_t tensor,
                                                    UnitKind kind,
                                                    int64_t row_begin,
                                                    int64_t row_end) {
  if (tensor >= source.tensors().size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", tensor, " of a model of ", source.tensors().size()));
  }
  const TensorInfo& info = source.tensors()[tensor];
  if (info.shape.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(info.name, " is a scalar, not a matrix"));
  }
  const int64_t cols = info.shape.back();
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < info.shape.size(); ++d) rows *= info.shape[d];
  RETURN_IF_ERROR(CheckUnitRange(kind, rows, row_begin, row_end));
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(tensor));
  const size_t row_bytes = static_cast<size_t>(cols) * DTypeSize(info.dtype);
  std::vector<uint8_t> out;
  if (kind == UnitKind::kCompressRows) {
    // One contiguous run: RawBytes holds rows * row_bytes bytes.
    out.assign(raw.begin() + row_begin * row_bytes,
               raw.begin() + row_end * row_bytes);
    return out;
  }
  const std::vector<int64_t> sample = BiasSampleRowIndices(rows);
  out.reserve(sample.size() * row_bytes);
  for (int64_t r : sample) {
    out.insert(out.end(), raw.begin() + r * row_bytes,
               raw.begin() + (r + 1) * row_bytes);
  }
  return out;
}

absl::StatusOr<RowReader> StoredRowsReader(DType dtype,
                                           absl::Span<const uint8_t> data,
                                           UnitKind kind, int64_t rows,
                                           int64_t cols, int64_t row_begin,
                                           int64_t row_end) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix of ", rows, "x", cols));
  }
  RETURN_IF_ERROR(CheckUnitRange(kind, rows, row_begin, row_end));
  const size_t es = DTypeSize(dtype);
  // kChooseBias: the sample (strictly ascending); kCompressRows: a range.
  auto sample = std::make_shared<const std::vector<int64_t>>(
      kind == UnitKind::kChooseBias ? BiasSampleRowIndices(rows)
                                    : std::vector<int64_t>());
  const uint64_t n = kind == UnitKind::kChooseBias
                         ? sample->size()
                         : static_cast<uint64_t>(row_end - row_begin);
  ASSIGN_OR_RETURN(const uint64_t want, RowBytes(n, cols, es));
  if (data.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the unit's rows are ", data.size(), " bytes, expected ", want, " (", n,
        " rows of ", cols, " ", DTypeName(dtype), ")"));
  }
  const size_t row_bytes = static_cast<size_t>(cols) * es;
  const bool bias = kind == UnitKind::kChooseBias;
  return RowReader(
      [data, dtype, row_bytes, bias, sample, row_begin, row_end](
          int64_t r0, int64_t r1, absl::Span<float> out) -> absl::Status {
        if (r0 < 0 || r1 < r0) {
          return absl::OutOfRangeError(absl::StrCat("rows ", r0, "..", r1));
        }
        if (r0 == r1) return absl::OkStatus();
        // The position of row r0 in `data`; rows r0 .. r1 - 1 must follow it.
        int64_t first = 0;
        bool present = false;
        if (!bias) {
          present = r0 >= row_begin && r1 <= row_end;
          first = r0 - row_begin;
        } else {
          auto it = std::lower_bound(sample->begin(), sample->end(), r0);
          first = it - sample->begin();
          const int64_t last = first + (r1 - r0) - 1;
          present = it != sample->end() && *it == r0 &&
                    last < static_cast<int64_t>(sample->size()) &&
                    (*sample)[last] == r1 - 1;  // ascending: all between too
        }
        if (!present) {
          return absl::OutOfRangeError(absl::StrCat(
              "rows ", r0, "..", r1 - 1, " are not among the unit's rows"));
        }
        return ConvertToFloat32(
            dtype, data.subspan(first * row_bytes, (r1 - r0) * row_bytes), out);
      });
}

}  // namespace seedlm
