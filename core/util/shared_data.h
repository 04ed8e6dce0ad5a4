// Test-only: where the project's shared real data lives (../shared/data: a
// real model and real text, never copied into the repository). Tests,
// benchmarks and `make` targets find it through SharedDataPath().
//
// Tests that need it call SEEDLM_NEED_SHARED_FILE(path) (shared_data_gtest.h):
// without the file they skip on a developer's machine, but fail when
// $SEEDLM_REQUIRE_SHARED_DATA is set to anything but "" or "0" — CI sets it,
// so a missing data set can never turn the suite silently green.
#ifndef SEEDLM_CORE_UTIL_SHARED_DATA_H_
#define SEEDLM_CORE_UTIL_SHARED_DATA_H_

#include <cstdlib>
#include <cstring>
#include <string>

namespace seedlm {

// `relative` (e.g. "data/stories260K/stories260K.bin") under the shared
// directory: $SEEDLM_SHARED_DIR when set, else "../shared" relative to the
// working directory (the repository root under ctest and make; Bazel tests
// find it in their runfiles through the @shared repository).
inline std::string SharedDataPath(const std::string& relative) {
  const char* dir = std::getenv("SEEDLM_SHARED_DIR");
  return std::string(dir != nullptr && *dir ? dir : "../shared") + "/" +
         relative;
}

// Whether tests must fail (not skip) when shared data is missing.
inline bool SharedDataRequired() {
  const char* v = std::getenv("SEEDLM_REQUIRE_SHARED_DATA");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_SHARED_DATA_H_
