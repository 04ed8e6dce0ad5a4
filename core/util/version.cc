#include "core/util/version.h"

#include "absl/strings/str_cat.h"
// Generated (cmake/git_describe.cmake; a genrule in Bazel):
// SEEDLM_RELEASE_VERSION and SEEDLM_GIT_DESCRIBE.
#include "core/util/version_git.h"

namespace seedlm {
namespace {
// kContainerVersion (core/format/container.h); util cannot depend on format,
// so version_test checks the two agree.
constexpr int kNewestFormat = 2;
}  // namespace

absl::string_view ReleaseVersion() { return SEEDLM_RELEASE_VERSION; }

absl::string_view GitDescribe() { return SEEDLM_GIT_DESCRIBE; }

std::string VersionLine(absl::string_view binary) {
  return absl::StrCat(binary, " ", ReleaseVersion(), " (git ", GitDescribe(),
                      "; .seedlm format ", kNewestFormat, ")");
}

}  // namespace seedlm
