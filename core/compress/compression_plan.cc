#include "core/compress/compression_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/format/container.h"
#include "core/format/metadata_keys.h"
#include "core/format/model_metadata.h"
#include "core/model/tensor_select.h"
#include "core/util/crc32.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

std::map<std::string, std::string> ContainerMetadata(const ModelMetadata& m,
                                                     const CompressOptions& o) {
  std::map<std::string, std::string> out = ModelMetadataToContainer(m);
  const std::string preset = PresetName(o.codec);
  if (!preset.empty()) out[kMetaPreset] = preset;
  out[kMetaExponentMode] = ExponentModeName(o.mode);
  return out;
}

// The codec's part of the fingerprint. Block codecs: unchanged since the
// first release, [C, P, K, Q, E, variant]; trellis codecs: ["trellis", L, R,
// T, rotate], so that no two codecs share one.
nlohmann::json CodecFingerprint(const CodecConfig& c) {
  if (c.is_trellis()) {
    const TrellisParams& t = c.trellis;
    return {"trellis", t.L, t.R, t.T, t.rotate};
  }
  return {c.C, c.P, c.K, c.Q, c.E, VariantName(c.variant)};
}

// Everything the output depends on except the tensors' bytes (which the
// checkpoint checks tensor by tensor). Unchanged since the options had an
// `auto_bias` flag: "bias" is "auto" or the fixed value.
std::string Fingerprint(const ModelSource& source, const CompressOptions& o) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorInfo& t : source.tensors()) {
    tensors.push_back({t.name, t.shape, DTypeName(t.dtype)});
  }
  const ModelMetadata& m = source.metadata();
  const nlohmann::json j = {
      {"container_version", kContainerVersion},
      {"codec", CodecFingerprint(o.codec)},
      {"mode", ExponentModeName(o.mode)},
      {"bias", o.exponent_bias.has_value() ? nlohmann::json(*o.exponent_bias)
                                           : nlohmann::json("auto")},
      {"include", o.include},
      {"exclude", o.exclude},
      {"source_format", m.source_format},
      {"arch_crc", Crc32(m.arch_config_json.data(), m.arch_config_json.size())},
      {"tokenizer_crc",
       Crc32(m.tokenizer_data.data(), m.tokenizer_data.size())},
      {"tensors", tensors}};
  return DumpJson(j);  // never throws (user patterns may be any bytes)
}

// Appends tensor t's units to the plan and fills in its unit range.
void AddUnits(size_t t, PlannedTensor& pt, CompressionPlan& plan) {
  pt.first_unit = plan.units.size();
  if (!pt.exponent_bias.has_value()) {
    WorkUnit u;
    u.kind = UnitKind::kChooseBias;
    u.tensor = t;
    u.row_end = pt.geometry.rows;
    plan.units.push_back(u);
  }
  const int64_t step = RunRowCount(pt.geometry, plan.unit_blocks);
  for (int64_t r0 = 0; r0 < pt.geometry.rows; r0 += step) {
    WorkUnit u;
    u.kind = UnitKind::kCompressRows;
    u.tensor = t;
    u.row_begin = r0;
    u.row_end = std::min(pt.geometry.rows, r0 + step);
    const PayloadRange p = RowRangePayload(pt.geometry, r0, u.row_end);
    u.payload_offset = p.offset;
    u.payload_bytes = p.bytes;
    plan.units.push_back(u);
  }
  pt.num_units = plan.units.size() - pt.first_unit;
}

}  // namespace

SearchOptions CompressionPlan::SearchFor(int bias) const {
  SearchOptions s;
  s.codec = codec;
  s.mode = mode;
  s.exponent_bias = bias;
  return s;
}

absl::StatusOr<CompressionPlan> PlanCompression(const ModelSource& source,
                                                const CompressOptions& options,
                                                int64_t unit_blocks) {
  RETURN_IF_ERROR(options.Validate());
  if (unit_blocks < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("unit_blocks ", unit_blocks, " is not positive"));
  }
  ASSIGN_OR_RETURN(TensorSelector selector,
                   TensorSelector::Create(options.include, options.exclude));
  CompressionPlan plan;
  plan.codec = options.codec;
  plan.mode = options.mode;
  plan.unit_blocks = unit_blocks;
  plan.fingerprint = Fingerprint(source, options);
  plan.metadata = ContainerMetadata(source.metadata(), options);
  const std::vector<TensorInfo>& infos = source.tensors();
  plan.tensors.resize(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    PlannedTensor& pt = plan.tensors[i];
    pt.name = infos[i].name;
    pt.shape = infos[i].shape;
    pt.dtype = infos[i].dtype;
    pt.compressed = selector.Selects(infos[i]);  // >= 2-D, >= 1 element
    if (!pt.compressed) continue;
    const int64_t cols = pt.shape.back();
    pt.geometry =
        MakeGeometry(options.codec, NumElements(pt.shape) / cols, cols);
    pt.exponent_bias = options.exponent_bias;
    plan.total_blocks += pt.geometry.num_blocks();
    AddUnits(i, pt, plan);
  }
  return plan;
}

absl::Status CheckSourceMatchesPlan(const CompressionPlan& plan,
                                    const ModelSource& source) {
  const std::vector<TensorInfo>& infos = source.tensors();
  if (infos.size() != plan.tensors.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the model has ", infos.size(), " tensors, the plan ",
                     plan.tensors.size()));
  }
  for (size_t i = 0; i < infos.size(); ++i) {
    const PlannedTensor& p = plan.tensors[i];
    if (infos[i].name != p.name || infos[i].shape != p.shape ||
        infos[i].dtype != p.dtype) {
      return absl::FailedPreconditionError(
          absl::StrCat("tensor ", i, " of the model is ", infos[i].name, " [",
                       absl::StrJoin(infos[i].shape, "x"), "] ",
                       DTypeName(infos[i].dtype), ", the plan's ", p.name, " [",
                       absl::StrJoin(p.shape, "x"), "] ", DTypeName(p.dtype)));
    }
  }
  return absl::OkStatus();
}

}  // namespace seedlm
