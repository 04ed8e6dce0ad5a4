#include "core/util/version.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/format/container.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(VersionTest, LineNamesBinaryReleaseGitAndFormat) {
  const std::string line = VersionLine("seedlm-worker");
  EXPECT_EQ(line, absl::StrCat("seedlm-worker ", ReleaseVersion(), " (git ",
                               GitDescribe(), "; .seedlm format ",
                               kContainerVersion, ")"));
}

TEST(VersionTest, ReleaseIsThreeNumbers) {
  const std::string v(ReleaseVersion());
  int a = -1, b = -1, c = -1;
  char tail = 0;
  ASSERT_EQ(std::sscanf(v.c_str(), "%d.%d.%d%c", &a, &b, &c, &tail), 3) << v;
  EXPECT_GE(a, 0);
  EXPECT_GE(b, 0);
  EXPECT_GE(c, 0);
}

TEST(VersionTest, GitDescribeIsNeverEmpty) {
  EXPECT_FALSE(GitDescribe().empty());
  EXPECT_EQ(GitDescribe().find('"'), absl::string_view::npos);
}

}  // namespace
}  // namespace seedlm
