// The rows a work unit (compression_plan.h) reads, as they are stored in the
// model, and a RowReader over such bytes: what a coordinator sends a remote
// worker (and checksums) and what the worker searches. RPC-free, shared by
// the coordinator and the worker, so both agree byte for byte on a unit's
// rows: a kCompressRows unit reads rows [row_begin, row_end), a kChooseBias
// unit the sample BiasSampleRowIndices(rows) (tensor_compressor.h).
//
// A tensor is a rows x cols matrix (cols = its last dimension, rows = the
// product of the others), stored row-major in its source dtype,
// little-endian. Plain functions; thread-safe if the source is.
#ifndef SEEDLM_CORE_COMPRESS_UNIT_ROWS_H_
#define SEEDLM_CORE_COMPRESS_UNIT_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/compress/compression_plan.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/model_source.h"
#include "core/util/dtype.h"

namespace seedlm {

// The matrix rows unit `kind` reads, in the order its stored bytes are
// concatenated: kCompressRows -> row_begin .. row_end - 1 (none when
// row_end <= row_begin); kChooseBias -> BiasSampleRowIndices(rows), ascending
// (the row range is ignored: the sample covers the whole matrix).
std::vector<int64_t> UnitRowIndices(UnitKind kind, int64_t rows,
                                    int64_t row_begin, int64_t row_end);

// Those rows of tensor `tensor` of `source` (rows x cols as above), as
// stored (the source's dtype, little-endian), concatenated in UnitRowIndices
// order: UnitRowIndices(...).size() * cols * DTypeSize(dtype) bytes (a copy).
// Errors: INVALID_ARGUMENT for a bad tensor index or a scalar tensor;
// OUT_OF_RANGE for a kCompressRows range that is empty or outside
// 0..rows; errors of ModelSource::RawBytes.
absl::StatusOr<std::vector<uint8_t>> UnitStoredRows(const ModelSource& source,
                                                    size_t tensor,
                                                    UnitKind kind,
                                                    int64_t row_begin,
                                                    int64_t row_end);

// A RowReader (tensor_compressor.h) over `data` = the UnitStoredRows bytes
// of a unit of a rows x cols matrix stored as `dtype`: asked for matrix rows
// [r0, r1) (absolute row numbers) it widens them to float32 (exact, the
// conversion SourceRowReader uses); a request naming a row that is not in
// the unit returns OUT_OF_RANGE. The reader borrows `data`, which must
// outlive it; it is safe to call from several threads.
// Errors: INVALID_ARGUMENT for rows or cols < 0, or when data.size() is not
// UnitRowIndices(...).size() * cols * DTypeSize(dtype); OUT_OF_RANGE for a
// kCompressRows range that is empty or outside 0..rows.
absl::StatusOr<RowReader> StoredRowsReader(DType dtype,
                                           absl::Span<const uint8_t> data,
                                           UnitKind kind, int64_t rows,
                                           int64_t cols, int64_t row_begin,
                                           int64_t row_end);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_UNIT_ROWS_H_
