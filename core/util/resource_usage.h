// The process's own resource use, for the reports of the CLI and the
// benchmarks.
#ifndef SEEDLM_CORE_UTIL_RESOURCE_USAGE_H_
#define SEEDLM_CORE_UTIL_RESOURCE_USAGE_H_

#include <sys/resource.h>

namespace seedlm {

// Peak resident set size of this process so far, MiB (getrusage).
inline double PeakRssMiB() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_RESOURCE_USAGE_H_
