// Status propagation macros. Debian's Abseil (20220623) ships absl::Status and
// absl::StatusOr but no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these are the
// project's small equivalents.
//
//   RETURN_IF_ERROR(DoThing());               // returns the Status if !ok()
//   ASSIGN_OR_RETURN(auto v, MakeThing());    // v = *statusor or return status
#ifndef SEEDLM_CORE_UTIL_STATUS_MACROS_H_
#define SEEDLM_CORE_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SEEDLM_CONCAT_INNER_(a, b) a##b
#define SEEDLM_CONCAT_(a, b) SEEDLM_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status seedlm_status_ = (expr);          \
    if (!seedlm_status_.ok()) return seedlm_status_; \
  } while (false)

#define SEEDLM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr)                                         \
  SEEDLM_ASSIGN_OR_RETURN_IMPL_(SEEDLM_CONCAT_(seedlm_statusor_, __LINE__), \
                                lhs, expr)

#endif  // SEEDLM_CORE_UTIL_STATUS_MACROS_H_
