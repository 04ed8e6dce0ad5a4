// Test-only: the GoogleTest side of shared_data.h.
#ifndef SEEDLM_CORE_UTIL_SHARED_DATA_GTEST_H_
#define SEEDLM_CORE_UTIL_SHARED_DATA_GTEST_H_

#include <filesystem>
#include <string>

#include "core/util/shared_data.h"
#include "gtest/gtest.h"

// In a test body (or a void helper / SetUp): returns from it when `path`
// (a std::string or C string) does not exist — with a failure when
// SharedDataRequired() (CI), else with a skip.
#define SEEDLM_NEED_SHARED_FILE(path)                                   \
  do {                                                                  \
    const std::string seedlm_need_path_(path);                          \
    if (!std::filesystem::exists(seedlm_need_path_)) {                  \
      if (::seedlm::SharedDataRequired()) {                             \
        FAIL() << "shared data missing: " << seedlm_need_path_          \
               << " ($SEEDLM_REQUIRE_SHARED_DATA is set)";              \
      }                                                                 \
      GTEST_SKIP() << "shared data not present: " << seedlm_need_path_; \
    }                                                                   \
  } while (false)

#endif  // SEEDLM_CORE_UTIL_SHARED_DATA_GTEST_H_
