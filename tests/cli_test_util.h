// Runs the `seedlm` binary from end-to-end tests (SEEDLM_BIN_DIR is set by
// the build) and captures its exit code, stdout and stderr.
#ifndef SEEDLM_TESTS_CLI_TEST_UTIL_H_
#define SEEDLM_TESTS_CLI_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace seedlm {

struct Result {
  int code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the seedlm binary with `args` (a shell-quoted string).
inline Result RunSeedlm(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string errf = dir + "/stderr." + std::to_string(::getpid());
  const std::string cmd =
      std::string(SEEDLM_BIN_DIR) + "/seedlm " + args + " 2>" + errf;
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  FILE* e = std::fopen(errf.c_str(), "r");
  while (e && (n = std::fread(buf, 1, sizeof buf, e)) > 0) r.err.append(buf, n);
  if (e) std::fclose(e);
  std::remove(errf.c_str());
  return r;
}

}  // namespace seedlm

#endif  // SEEDLM_TESTS_CLI_TEST_UTIL_H_
