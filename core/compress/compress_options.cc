#include "core/compress/compress_options.h"

#include "absl/strings/str_cat.h"
#include "core/model/tensor_select.h"
#include "core/util/status_macros.h"

namespace seedlm {

std::optional<int> DefaultExponentBias(const CodecConfig& codec) {
  if (codec.is_trellis()) return 0;
  if (codec.E == 0) return std::nullopt;
  return 0;
}

CompressOptions CompressOptions::ForCodec(const CodecConfig& codec) {
  CompressOptions o;
  o.codec = codec;
  o.exponent_bias = DefaultExponentBias(codec);
  return o;
}

absl::Status CompressOptions::Validate() const {
  SearchOptions search;  // the codec and a fixed bias
  search.codec = codec;
  search.exponent_bias = exponent_bias.value_or(0);
  RETURN_IF_ERROR(search.Validate());
  switch (mode) {
    case ExponentMode::kSearch:
    case ExponentMode::kFit:
    case ExponentMode::kPaper:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("exponent mode ", static_cast<int>(mode),
                       " is not one of the "
                       "search, fit, paper modes"));
  }
  if (codec.is_trellis() && (exponent_bias != std::optional<int>(0) ||
                             mode != ExponentMode::kSearch)) {
    return absl::InvalidArgumentError(
        "a trellis codec has no block exponent: the exponent bias must be the "
        "fixed 0 and the exponent mode `search` (the defaults)");
  }
  switch (algorithm) {
    case SearchAlgorithm::kFast:
    case SearchAlgorithm::kReference:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("search algorithm ", static_cast<int>(algorithm),
                       " is neither fast nor reference"));
  }
  return TensorSelector::Create(include, exclude).status();
}

}  // namespace seedlm
