#include "client/cli/compress_flags.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/codec/codec.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {

void AddCompressionFlags(FlagSpec* spec) {
  spec->with_value.insert({"preset", "exponent", "bias", "include", "exclude"});
  spec->repeated.insert({"include", "exclude"});
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
