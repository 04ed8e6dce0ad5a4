#include "core/compress/container_assembly.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

absl::Status CheckBiases(const CompressionPlan& plan,
                         absl::Span<const int> biases) {
  if (biases.size() != plan.tensors.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(biases.size(), " biases for a plan of ",
                     plan.tensors.size(), " tensors"));
  }
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& p = plan.tensors[t];
    if (!p.compressed) continue;
    if (biases[t] < -128 || biases[t] > 127) {
      return absl::InvalidArgumentError(absl::StrCat(
          p.name, ": exponent bias ", biases[t], " is outside -128..127"));
    }
    if (p.exponent_bias.has_value() && *p.exponent_bias != biases[t]) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.name, ": exponent bias ", biases[t],
                       " given, the plan fixes ", *p.exponent_bias));
    }
  }
  return absl::OkStatus();
}

// Streams the row units of compressed tensor t into the writer.
absl::Status AppendUnits(const CompressionPlan& plan, size_t t,
                         const UnitPayloadProvider& provide,
                         ContainerWriter& writer) {
  const PlannedTensor& p = plan.tensors[t];
  for (size_t u = p.first_unit; u < p.first_unit + p.num_units; ++u) {
    const WorkUnit& unit = plan.units[u];
    if (unit.kind != UnitKind::kCompressRows) continue;
    uint64_t got = 0;
    auto sink = [&](absl::Span<const uint8_t> bytes) {
      got += bytes.size();
      if (got > unit.payload_bytes) return absl::OkStatus();  // reported below
      return writer.AppendPayload(bytes);
    };
    RETURN_IF_ERROR(provide(u, sink));
    if (got != unit.payload_bytes) {
      return absl::DataLossError(
          absl::StrCat(p.name, ": unit ", u, " (rows ", unit.row_begin, "..",
                       unit.row_end - 1, ") has ", got, " payload bytes, not ",
                       unit.payload_bytes));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AssembleContainer(const CompressionPlan& plan,
                               const ModelSource& source,
                               absl::Span<const int> biases,
                               const UnitPayloadProvider& provide,
                               const std::string& out_path) {
  RETURN_IF_ERROR(CheckBiases(plan, biases));
  RETURN_IF_ERROR(CheckSourceMatchesPlan(plan, source));
  ASSIGN_OR_RETURN(std::unique_ptr<ContainerWriter> writer,
                   ContainerWriter::Create(out_path, plan.metadata));
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& p = plan.tensors[t];
    TensorEntry e;
    e.name = p.name;
    e.shape = p.shape;
    if (!p.compressed) {
      e.storage = static_cast<Storage>(p.dtype);
      ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(t));
      RETURN_IF_ERROR(writer->AddTensor(e, raw));
      source.ReleasePages(t);
      continue;
    }
    e.storage = plan.codec.is_trellis() ? Storage::kTrellis : Storage::kSeedLM;
    e.codec = plan.codec;
    e.exponent_mode = plan.mode;
    e.exponent_bias = biases[t];
    RETURN_IF_ERROR(writer->BeginTensor(e));
    RETURN_IF_ERROR(AppendUnits(plan, t, provide, *writer));
    RETURN_IF_ERROR(writer->EndTensor());
  }
  return writer->Finish();
}

ErrorSums AddUnitErrors(const ErrorSums& tensor, const ErrorSums& unit) {
  ErrorSums s;
  s.sq_error = tensor.sq_error + unit.sq_error;
  s.sq_norm = tensor.sq_norm + unit.sq_norm;
  return s;
}

absl::StatusOr<std::vector<ErrorSums>> CombineUnitErrors(
    const CompressionPlan& plan, absl::Span<const ErrorSums> unit_sums) {
  if (unit_sums.size() != plan.units.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(unit_sums.size(), " unit sums for a plan of ",
                     plan.units.size(), " units"));
  }
  std::vector<ErrorSums> out(plan.tensors.size());
  for (size_t u = 0; u < plan.units.size(); ++u) {
    const WorkUnit& unit = plan.units[u];
    if (unit.kind != UnitKind::kCompressRows) continue;
    if (unit.tensor >= out.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unit ", u, " names tensor ", unit.tensor));
    }
    out[unit.tensor] = AddUnitErrors(out[unit.tensor], unit_sums[u]);
  }
  return out;
}

std::vector<TensorReport> PlanReport(const CompressionPlan& plan,
                                     absl::Span<const int> biases,
                                     absl::Span<const ErrorSums> tensor_sums) {
  std::vector<TensorReport> out;
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    const PlannedTensor& p = plan.tensors[t];
    TensorReport r;
    r.name = p.name;
    r.shape = p.shape;
    r.weights = NumElements(p.shape);
    if (!p.compressed) {
      r.storage = static_cast<Storage>(p.dtype);
      r.payload_bytes = static_cast<uint64_t>(r.weights) * DTypeSize(p.dtype);
      r.bits_per_weight = 8.0 * DTypeSize(p.dtype);
    } else {
      r.storage =
          plan.codec.is_trellis() ? Storage::kTrellis : Storage::kSeedLM;
      r.payload_bytes = p.geometry.payload_bytes();
      r.blocks = p.geometry.num_blocks();
      r.bits_per_weight = p.geometry.bits_per_weight();
      r.sq_error = tensor_sums[t].sq_error;
      r.sq_norm = tensor_sums[t].sq_norm;
      r.rel_error = tensor_sums[t].rel_error();
      r.exponent_bias = biases[t];
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace seedlm
