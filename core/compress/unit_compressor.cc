#include "core/compress/unit_compressor.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/search/searcher_factory.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

absl::Status Prefixed(const std::string& name, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
}

// Unit `unit` of `plan` if it exists, has kind `kind` and names a compressed
// tensor of the plan.
absl::StatusOr<const WorkUnit*> FindUnit(const CompressionPlan& plan,
                                         size_t unit, UnitKind kind) {
  if (unit >= plan.units.size()) {
    return absl::OutOfRangeError(absl::StrCat("unit ", unit, " of a plan of ",
                                              plan.units.size(), " units"));
  }
  const WorkUnit& u = plan.units[unit];
  if (u.kind != kind) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unit ", unit, " is a ",
        u.kind == UnitKind::kChooseBias ? "bias choice" : "row",
        " unit, not a ", kind == UnitKind::kChooseBias ? "bias choice" : "row",
        " unit"));
  }
  if (u.tensor >= plan.tensors.size() || !plan.tensors[u.tensor].compressed) {
    return absl::InvalidArgumentError(
        absl::StrCat("unit ", unit, " names tensor ", u.tensor,
                     ", which the plan does not compress"));
  }
  return &u;
}

// A reader over `source`'s tensor `index` after checking that it is the one
// the plan describes.
absl::StatusOr<RowReader> PlannedReader(const CompressionPlan& plan,
                                        size_t index,
                                        const ModelSource& source) {
  const PlannedTensor& p = plan.tensors[index];
  if (index >= source.tensors().size() ||
      source.tensors()[index].name != p.name ||
      source.tensors()[index].shape != p.shape ||
      source.tensors()[index].dtype != p.dtype) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the model's tensor ", index, " is not the plan's ", p.name));
  }
  return SourceRowReader(source, index);
}

// A sink appending to `v` (which must outlive it).
PayloadSink AppendTo(std::vector<uint8_t>* v) {
  return [v](absl::Span<const uint8_t> bytes) {
    v->insert(v->end(), bytes.begin(), bytes.end());
    return absl::OkStatus();
  };
}

absl::StatusOr<UnitResult> CollectRows(const BlockSearcher& searcher,
                                       int64_t rows, int64_t cols,
                                       int64_t row_begin, int64_t row_end,
                                       const RowReader& read, ThreadPool* pool,
                                       const SearchCallbacks& callbacks) {
  UnitResult out;
  ASSIGN_OR_RETURN(
      out.sums, CompressRowRange(searcher, rows, cols, row_begin, row_end, read,
                                 AppendTo(&out.payload), pool, callbacks));
  return out;
}

}  // namespace

absl::StatusOr<RowReader> SourceRowReader(const ModelSource& source,
                                          size_t index) {
  if (index >= source.tensors().size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", index, " of a model of ", source.tensors().size()));
  }
  const TensorInfo& info = source.tensors()[index];
  if (info.shape.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(info.name, " is a scalar, not a matrix"));
  }
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(index));
  const int64_t cols = info.shape.back();
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < info.shape.size(); ++d) rows *= info.shape[d];
  const size_t es = DTypeSize(info.dtype);
  const DType dtype = info.dtype;
  return RowReader([raw, rows, cols, es, dtype](int64_t r0, int64_t r1,
                                                absl::Span<float> out) {
    if (r0 < 0 || r1 < r0 || r1 > rows) {
      return absl::OutOfRangeError(
          absl::StrCat("rows ", r0, "..", r1, " of ", rows));
    }
    return ConvertToFloat32(
        dtype, raw.subspan(r0 * cols * es, (r1 - r0) * cols * es), out);
  });
}

absl::StatusOr<UnitResult> CompressRows(const SearchOptions& search,
                                        SearchAlgorithm algorithm, int64_t rows,
                                        int64_t cols, int64_t row_begin,
                                        int64_t row_end, const RowReader& read,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks) {
  RETURN_IF_ERROR(search.Validate());
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix of ", rows, "x", cols));
  }
  RETURN_IF_ERROR(CheckRowRange(rows, row_begin, row_end));
  ASSIGN_OR_RETURN(std::unique_ptr<BlockSearcher> searcher,
                   CreateSearcher(search, algorithm));
  return CollectRows(*searcher, rows, cols, row_begin, row_end, read, pool,
                     callbacks);
}

absl::StatusOr<int> ChooseUnitBias(const CompressionPlan& plan, size_t unit,
                                   const RowReader& read,
                                   SearchAlgorithm algorithm, ThreadPool* pool,
                                   const SearchCallbacks& callbacks) {
  ASSIGN_OR_RETURN(const WorkUnit* u,
                   FindUnit(plan, unit, UnitKind::kChooseBias));
  const PlannedTensor& t = plan.tensors[u->tensor];
  absl::StatusOr<int> bias =
      ChooseExponentBias(plan.SearchFor(0), algorithm, t.geometry.rows,
                         t.geometry.cols, read, pool, callbacks);
  if (!bias.ok()) return Prefixed(t.name, bias.status());
  return *bias;
}

absl::StatusOr<int> ChooseUnitBias(const CompressionPlan& plan, size_t unit,
                                   const ModelSource& source,
                                   SearchAlgorithm algorithm, ThreadPool* pool,
                                   const SearchCallbacks& callbacks) {
  ASSIGN_OR_RETURN(const WorkUnit* u,
                   FindUnit(plan, unit, UnitKind::kChooseBias));
  ASSIGN_OR_RETURN(RowReader read, PlannedReader(plan, u->tensor, source));
  return ChooseUnitBias(plan, unit, read, algorithm, pool, callbacks);
}

absl::StatusOr<ErrorSums> CompressUnitTo(
    const CompressionPlan& plan, size_t unit, const BlockSearcher& searcher,
    const RowReader& read, const PayloadSink& sink, ThreadPool* pool,
    const SearchCallbacks& callbacks) {
  ASSIGN_OR_RETURN(const WorkUnit* u,
                   FindUnit(plan, unit, UnitKind::kCompressRows));
  const PlannedTensor& t = plan.tensors[u->tensor];
  const SearchOptions& so = searcher.options();
  if (so.codec != plan.codec || so.mode != plan.mode) {
    return absl::InvalidArgumentError(absl::StrCat(
        t.name, ": the searcher's codec or exponent mode is not the plan's"));
  }
  if (t.exponent_bias.has_value() && *t.exponent_bias != so.exponent_bias) {
    return absl::InvalidArgumentError(
        absl::StrCat(t.name, ": exponent bias ", so.exponent_bias,
                     " given, the plan fixes ", *t.exponent_bias));
  }
  absl::StatusOr<MatrixStats> s =
      CompressRowRange(searcher, t.geometry.rows, t.geometry.cols, u->row_begin,
                       u->row_end, read, sink, pool, callbacks);
  if (!s.ok()) return Prefixed(t.name, s.status());
  return static_cast<const ErrorSums&>(*s);
}

absl::StatusOr<UnitResult> CompressUnit(const CompressionPlan& plan,
                                        size_t unit, int bias,
                                        const RowReader& read,
                                        SearchAlgorithm algorithm,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks) {
  RETURN_IF_ERROR(FindUnit(plan, unit, UnitKind::kCompressRows).status());
  ASSIGN_OR_RETURN(std::unique_ptr<BlockSearcher> searcher,
                   CreateSearcher(plan.SearchFor(bias), algorithm));
  UnitResult out;
  ASSIGN_OR_RETURN(out.sums,
                   CompressUnitTo(plan, unit, *searcher, read,
                                  AppendTo(&out.payload), pool, callbacks));
  return out;
}

absl::StatusOr<UnitResult> CompressUnit(const CompressionPlan& plan,
                                        size_t unit, int bias,
                                        const ModelSource& source,
                                        SearchAlgorithm algorithm,
                                        ThreadPool* pool,
                                        const SearchCallbacks& callbacks) {
  ASSIGN_OR_RETURN(const WorkUnit* u,
                   FindUnit(plan, unit, UnitKind::kCompressRows));
  ASSIGN_OR_RETURN(RowReader read, PlannedReader(plan, u->tensor, source));
  return CompressUnit(plan, unit, bias, read, algorithm, pool, callbacks);
}

}  // namespace seedlm
