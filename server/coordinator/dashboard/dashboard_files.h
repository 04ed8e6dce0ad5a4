// The dashboard's static files (index.html, app.js, style.css in this
// directory), compiled into the coordinator as byte arrays by embed.cmake
// (CMake custom command; Bazel genrule) so the binary serves them without
// reading disk or reaching a network. Immutable; thread-safe.
#ifndef SEEDLM_SERVER_COORDINATOR_DASHBOARD_DASHBOARD_FILES_H_
#define SEEDLM_SERVER_COORDINATOR_DASHBOARD_DASHBOARD_FILES_H_

#include <cstddef>

#include "absl/types/span.h"

namespace seedlm::coordinator {

struct DashboardFile {
  const char* name;          // "index.html"
  const char* content_type;  // "text/html; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

// Every file, static storage (lives as long as the program).
absl::Span<const DashboardFile> DashboardFiles();

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_DASHBOARD_DASHBOARD_FILES_H_
