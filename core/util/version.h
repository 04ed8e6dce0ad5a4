// What a binary answers to --version: the release, the git revision it was
// built from and the newest .seedlm container format it reads. One line, the
// same in every binary (seedlm, seedlm-coordinator, seedlm-worker,
// seedlm-serve, seedlm-executor, the bench and probe tools).
#ifndef SEEDLM_CORE_UTIL_VERSION_H_
#define SEEDLM_CORE_UTIL_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace seedlm {

// The release, "MAJOR.MINOR.PATCH" (the file VERSION at the top).
absl::string_view ReleaseVersion();

// `git describe --always --dirty` of the tree that was built, or "unknown"
// (a build outside a git checkout, or Bazel).
absl::string_view GitDescribe();

// "<binary> <release> (git <describe>; .seedlm format <N>)", no newline,
// e.g. "seedlm-worker 0.19.0 (git 737bd2c; .seedlm format 2)".
std::string VersionLine(absl::string_view binary);

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_VERSION_H_
