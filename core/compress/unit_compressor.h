// Runs one work unit of a CompressionPlan (compression_plan.h): a kChooseBias
// unit gives a tensor's exponent bias, a kCompressRows unit the packed bytes
// of its rows and their squared-error sums. The rows come from the
// ModelSource (a local run, a worker that has the model) or from a RowReader
// (a worker that received the rows); CompressRows needs no plan at all.
//
// Every call is a pure function of the rows and its arguments (same bytes
// for any thread count or search algorithm) and keeps no state; calls may
// run concurrently if the reader, source and pool allow it.
#ifndef SEEDLM_CORE_COMPRESS_UNIT_COMPRESSOR_H_
#define SEEDLM_CORE_COMPRESS_UNIT_COMPRESSOR_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compress/compression_plan.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/model_source.h"
#include "core/search/searcher.h"
#include "core/util/thread_pool.h"

namespace seedlm {

// The outcome of a kCompressRows unit.
struct UnitResult {
  std::vector<uint8_t> payload;  // the unit's payload_bytes bytes
  ErrorSums sums;
};

// A RowReader over tensor `index` of `source`, as a rows x cols matrix (rows =
// product of all dimensions but the last), widening the stored values to
// float32. It borrows `source`, which must outlive it. INVALID_ARGUMENT for
// a bad index or a tensor of rank < 1; errors of RawBytes.
absl::StatusOr<RowReader> SourceRowReader(const ModelSource& source,
                                          size_t index);

// Compresses rows [row_begin, row_end) of a rows x cols matrix with
// `search` (codec, mode and the tensor's exponent bias) and `algorithm`: the
// building block of a remote worker. The payload is the range's slice of the
// whole matrix's payload (CompressRowRange in tensor_compressor.h). Errors:
// INVALID_ARGUMENT for bad options (SearchOptions::Validate) or a misaligned
// range, OUT_OF_RANGE for rows outside 0..rows or an empty range (both
// checked before anything is read), then those of CompressRowRange.
absl::StatusOr<UnitResult> CompressRows(const SearchOptions& search,
                                        SearchAlgorithm algorithm, int64_t rows,
                                        int64_t cols, int64_t row_begin,
                                        int64_t row_end, const RowReader& read,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks);

// Runs kChooseBias unit `unit` of `plan`: ChooseExponentBias on the plan's
// codec and mode and the unit's tensor; `read` is asked for the rows of
// BiasSampleRowIndices(rows), one at a time. OUT_OF_RANGE if there is no
// unit `unit`; INVALID_ARGUMENT if it is not a kChooseBias unit; errors of
// ChooseExponentBias, prefixed with the tensor's name.
absl::StatusOr<int> ChooseUnitBias(const CompressionPlan& plan, size_t unit,
                                   const RowReader& read,
                                   SearchAlgorithm algorithm, ThreadPool* pool,
                                   const SearchCallbacks& callbacks);
// The same, reading the rows from `source` (FAILED_PRECONDITION if its tensor
// differs from the plan's).
absl::StatusOr<int> ChooseUnitBias(const CompressionPlan& plan, size_t unit,
                                   const ModelSource& source,
                                   SearchAlgorithm algorithm, ThreadPool* pool,
                                   const SearchCallbacks& callbacks);

// Runs kCompressRows unit `unit` of `plan` with `searcher`, whose options
// must be plan.SearchFor(b) for the tensor's bias b, streaming the unit's
// payload into `sink`; returns the unit's error sums. `read` is asked for
// rows inside the unit only. Errors: OUT_OF_RANGE if there is no unit
// `unit`; INVALID_ARGUMENT if it is not a kCompressRows unit, if the
// searcher's codec or mode is not the plan's, or its bias is not the
// tensor's fixed bias; then those of CompressRowRange, prefixed with the
// tensor's name.
absl::StatusOr<ErrorSums> CompressUnitTo(
    const CompressionPlan& plan, size_t unit, const BlockSearcher& searcher,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks);

// Runs kCompressRows unit `unit` of `plan` with exponent bias `bias` into
// memory. Errors as CompressUnitTo, and INVALID_ARGUMENT for a bias outside
// -128..127.
absl::StatusOr<UnitResult> CompressUnit(const CompressionPlan& plan,
                                        size_t unit, int bias,
                                        const RowReader& read,
                                        SearchAlgorithm algorithm,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks);
// The same, reading the rows from `source` (FAILED_PRECONDITION if its tensor
// differs from the plan's).
absl::StatusOr<UnitResult> CompressUnit(const CompressionPlan& plan,
                                        size_t unit, int bias,
                                        const ModelSource& source,
                                        SearchAlgorithm algorithm,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks);

}  // namespace seedlm

#endif  // SEEDLM_CORE_COMPRESS_UNIT_COMPRESSOR_H_
