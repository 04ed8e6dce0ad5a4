#include "bench/prepared_units.h"

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/compress/unit_compressor.h"
#include "core/compress/unit_rows.h"
#include "core/model/safetensors.h"
#include "core/util/crc32.h"
#include "core/util/dtype.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// splitmix64: a counter-based generator, the same bytes everywhere.
uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform double in (0, 1) from the top 53 bits.
double Uniform(uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// What makes two units' results equal: kind, geometry, bias and rows.
using UnitKey = std::tuple<int, int64_t, int64_t, int, uint32_t, uint64_t>;

}  // namespace

absl::Status WriteRepeatingModel(const std::string& path,
                                 const RepeatingModelOptions& o) {
  if (o.tensors < 1 || o.tensors > 4096 || o.rows < 1 || o.cols < 1 ||
      o.period_rows < 1 || o.period_rows > o.rows ||
      o.rows * o.cols > (int64_t{1} << 31)) {
    return absl::InvalidArgumentError(
        "repeating model: tensors 1..4096, rows and cols >= 1, period_rows "
        "1..rows, rows * cols <= 2^31");
  }
  const int64_t period = o.period_rows * o.cols;
  std::vector<uint16_t> values(static_cast<size_t>(o.rows * o.cols));
  for (int64_t i = 0; i < period; i += 2) {
    // Box-Muller: two Gaussians per pair of uniforms.
    const double u1 = Uniform(SplitMix(o.seed * 0x100000000ULL + 2 * i));
    const double u2 = Uniform(SplitMix(o.seed * 0x100000000ULL + 2 * i + 1));
    const double r = 0.02 * std::sqrt(-2.0 * std::log(u1));
    values[i] =
        FloatToBFloat16(static_cast<float>(r * std::cos(2 * M_PI * u2)));
    if (i + 1 < period) {
      values[i + 1] =
          FloatToBFloat16(static_cast<float>(r * std::sin(2 * M_PI * u2)));
    }
  }
  for (int64_t i = period; i < o.rows * o.cols; ++i) {
    values[i] = values[i % period];
  }
  const absl::Span<const uint8_t> bytes(
      reinterpret_cast<const uint8_t*>(values.data()), values.size() * 2);
  std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> tensors;
  for (int64_t t = 0; t < o.tensors; ++t) {
    TensorInfo info;
    info.name = absl::StrCat("model.layers.", t, ".self_attn.q_proj.weight");
    info.shape = {o.rows, o.cols};
    info.dtype = DType::kBF16;
    tensors.emplace_back(std::move(info), bytes);
  }
  return WriteSafetensors(path, tensors, {});
}

absl::StatusOr<PreparedUnits> PrepareUnits(const CompressionPlan& plan,
                                           const ModelSource& source,
                                           ThreadPool* pool) {
  const auto start = std::chrono::steady_clock::now();
  PreparedUnits out;
  out.units.resize(plan.units.size());
  std::map<UnitKey, size_t> seen;  // key -> the unit that computed it
  std::vector<std::optional<int>> bias(plan.tensors.size());
  for (size_t t = 0; t < plan.tensors.size(); ++t) {
    bias[t] = plan.tensors[t].exponent_bias;
  }
  // Units are grouped by tensor with the bias unit first (compression_plan.h),
  // so a tensor's bias is known before its row units.
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const WorkUnit& wu = plan.units[i];
    PreparedUnit& p = out.units[i];
    p.kind = wu.kind;
    p.row_begin = wu.row_begin;
    p.row_end = wu.row_end;
    ASSIGN_OR_RETURN(
        std::vector<uint8_t> rows,
        UnitStoredRows(source, wu.tensor, wu.kind, wu.row_begin, wu.row_end));
    p.rows_bytes = rows.size();
    const PlannedTensor& t = plan.tensors[wu.tensor];
    if (wu.kind == UnitKind::kCompressRows && !bias[wu.tensor].has_value()) {
      return absl::InternalError(
          absl::StrCat(t.name, ": a row unit before its bias unit"));
    }
    const int unit_bias =
        wu.kind == UnitKind::kCompressRows ? *bias[wu.tensor] : 0;
    const UnitKey key(static_cast<int>(wu.kind), wu.row_end - wu.row_begin,
                      t.geometry.cols, unit_bias,
                      Crc32(rows.data(), rows.size()), rows.size());
    auto it = seen.find(key);
    if (it != seen.end()) {
      const PreparedUnit& same = out.units[it->second];
      p.bias = same.bias;
      p.payload = same.payload;
      p.crc32 = same.crc32;
      p.sq_error = same.sq_error;
      p.sq_norm = same.sq_norm;
      p.blocks = same.blocks;
    } else if (wu.kind == UnitKind::kChooseBias) {
      ASSIGN_OR_RETURN(
          p.bias,
          ChooseUnitBias(plan, i, source, SearchAlgorithm::kFast, pool, {}));
      ++out.distinct;
      seen.emplace(key, i);
    } else {
      ASSIGN_OR_RETURN(UnitResult r,
                       CompressUnit(plan, i, unit_bias, source,
                                    SearchAlgorithm::kFast, pool, {}));
      p.bias = unit_bias;
      p.crc32 = Crc32(r.payload.data(), r.payload.size());
      p.sq_error = r.sums.sq_error;
      p.sq_norm = r.sums.sq_norm;
      p.blocks = (wu.row_end - wu.row_begin) * t.geometry.blocks_per_row();
      p.payload =
          std::make_shared<const std::vector<uint8_t>>(std::move(r.payload));
      ++out.distinct;
      seen.emplace(key, i);
    }
    if (wu.kind == UnitKind::kChooseBias) bias[wu.tensor] = p.bias;
  }
  out.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return out;
}

}  // namespace seedlm
