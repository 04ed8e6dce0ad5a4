// Where the project's shared real data lives (../shared/data: a real model and
// real text, never copied into the repository). Tests, benchmarks and `make`
// targets find it through SharedDataPath().
#ifndef SEEDLM_CORE_UTIL_SHARED_DATA_H_
#define SEEDLM_CORE_UTIL_SHARED_DATA_H_

#include <cstdlib>
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

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_SHARED_DATA_H_
