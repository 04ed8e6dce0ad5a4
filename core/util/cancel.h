// Cooperative cancellation: long-running calls take a
// `const std::atomic<bool>* cancel` (not owned, may be null) and check it
// between steps with CheckCancelled.
#ifndef SEEDLM_CORE_UTIL_CANCEL_H_
#define SEEDLM_CORE_UTIL_CANCEL_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace seedlm {

// CANCELLED ("<what> cancelled") once *cancel is true; OK while it is false
// or cancel is null.
inline absl::Status CheckCancelled(const std::atomic<bool>* cancel,
                                   absl::string_view what) {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
    return absl::CancelledError(absl::StrCat(what, " cancelled"));
  }
  return absl::OkStatus();
}

}  // namespace seedlm

#endif  // SEEDLM_CORE_UTIL_CANCEL_H_
