// The compression flags `seedlm compress` and `seedlm submit` share
// (--preset, --exponent, --bias, --include, --exclude) and their one parse,
// so that a job sent to a coordinator means exactly what the same flags mean
// locally.
#ifndef SEEDLM_CLIENT_CLI_COMPRESS_FLAGS_H_
#define SEEDLM_CLIENT_CLI_COMPRESS_FLAGS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "core/compress/compress_options.h"
#include "core/util/cli_surface.h"

namespace seedlm::cli {

// The shared flags' table entries (command_docs.h): --preset and --exponent
// list the real preset table and exponent modes; --include and --exclude
// repeat.
std::vector<FlagDoc> CompressionFlagDocs();

// The options the shared flags ask for: the preset's codec (kDefaultPreset
// when --preset is absent) with its default bias policy, --exponent (default
// search), --bias auto|N overriding the policy, --include / --exclude. Other
// fields keep their defaults. INVALID_ARGUMENT for an unknown preset (listing
// the names); INVALID_ARGUMENT for a bad --exponent or a --bias that is neither
// auto nor an integer in -128..127. Patterns are not compiled here
// (CompressOptions::Validate does).
absl::StatusOr<CompressOptions> CompressOptionsFromArgs(const Args& args);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_COMPRESS_FLAGS_H_
