#include "client/cli/compress_flags.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/codec/codec.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {

std::vector<FlagDoc> CompressionFlagDocs() {
  std::vector<std::string> modes;
  for (ExponentMode m :
       {ExponentMode::kSearch, ExponentMode::kFit, ExponentMode::kPaper}) {
    modes.push_back(ExponentModeName(m));
  }
  return {
      {.name = "preset",
       .kind = FlagValueKind::kChoice,
       .value_name = "P",
       .help = "the codec preset; the seed-trellis presets (-t) have no "
               "exponent: with them --bias other than 0 and --exponent other "
               "than search are rejected.",
       .choices = PresetNames(),
       .default_value = kDefaultPreset},
      {.name = "exponent",
       .kind = FlagValueKind::kChoice,
       .value_name = "M",
       .help = "how the encoder picks exponent candidates.",
       .choices = modes,
       .default_value = "search"},
      {.name = "bias",
       .kind = FlagValueKind::kText,
       .value_name = "auto|N",
       .help = "the exponent bias: auto (chosen per tensor) or an integer in "
               "-128..127",
       .default_value = "the preset's policy"},
      {.name = "include",
       .kind = FlagValueKind::kText,
       .value_name = "REGEX",
       .help = "compress the tensors whose names match (RE2)",
       .repeated = true},
      {.name = "exclude",
       .kind = FlagValueKind::kText,
       .value_name = "REGEX",
       .help = "keep the tensors whose names match as stored (RE2)",
       .repeated = true},
  };
}

absl::StatusOr<CompressOptions> CompressOptionsFromArgs(const Args& args) {
  absl::StatusOr<CodecConfig> preset =
      PresetByName(args.Get("preset", kDefaultPreset));
  if (!preset.ok()) {  // a bad flag value: a usage error (exit 2)
    return absl::InvalidArgumentError(preset.status().message());
  }
  const CodecConfig codec = *preset;
  // The codec's default bias (compress_options.h) unless --bias is given.
  CompressOptions opt = CompressOptions::ForCodec(codec);
  ASSIGN_OR_RETURN(opt.mode, ParseExponentMode(args.Get("exponent", "search")));
  if (args.Has("bias")) {
    const std::string bias = args.Get("bias");
    int b = 0;
    if (bias == "auto") {
      opt.exponent_bias.reset();
    } else if (absl::SimpleAtoi(bias, &b) && b >= -128 && b <= 127) {
      opt.exponent_bias = b;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--bias: '", bias, "' is neither auto nor an integer in -128..127"));
    }
  }
  opt.include = args.All("include");
  opt.exclude = args.All("exclude");
  return opt;
}

}  // namespace seedlm::cli
