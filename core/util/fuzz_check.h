// The invariant check of every libFuzzer entry point (container_fuzz, the
// model readers' and tokenizers' fuzzers). Test-only; header-only.
//
// An entry point aborts only when an invariant breaks (a reader returned OK
// but its result violates its contract, or failed with a code its contract
// does not allow), never on a mere error status.
#ifndef SEEDLM_CORE_UTIL_FUZZ_CHECK_H_
#define SEEDLM_CORE_UTIL_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "absl/status/status.h"

namespace seedlm {
namespace fuzz_util {

// Aborts, printing `what` and `s`, unless `ok`.
inline void Check(bool ok, const char* what,
                  const absl::Status& s = absl::OkStatus()) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s (%s)\n", what,
               s.ToString().c_str());
  std::abort();
}

// Aborts unless `s` is OK or has one of `codes`.
inline void CheckCode(const absl::Status& s,
                      std::initializer_list<absl::StatusCode> codes,
                      const char* what) {
  bool ok = s.ok();
  for (absl::StatusCode c : codes) ok = ok || s.code() == c;
  Check(ok, what, s);
}

}  // namespace fuzz_util
}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_FUZZ_CHECK_H_
