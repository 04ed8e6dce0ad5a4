// The service binaries spell their flags with dashes (--state-dir,
// --max-batch) while absl's flag names use underscores: this rewrites the
// flag names (not their values) of an argv before absl::ParseCommandLine.
#ifndef SEEDLM_CORE_UTIL_DASHED_FLAGS_H_
#define SEEDLM_CORE_UTIL_DASHED_FLAGS_H_

#include <algorithm>
#include <string>
#include <vector>

namespace seedlm {

// Copies argv into *storage with '-' -> '_' in the name part of every
// "--name[=value]" argument, and returns pointers into *storage (valid while
// it lives and is not modified) to pass to absl::ParseCommandLine.
inline std::vector<char*> UnderscoreFlagNames(
    int argc, char** argv, std::vector<std::string>* storage) {
  storage->assign(argv, argv + argc);
  std::vector<char*> out;
  for (std::string& a : *storage) {
    if (a.rfind("--", 0) == 0) {
      const size_t end = std::min(a.find('='), a.size());
      std::replace(a.begin() + 2, a.begin() + static_cast<long>(end), '-', '_');
    }
    out.push_back(a.data());
  }
  return out;
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_DASHED_FLAGS_H_
