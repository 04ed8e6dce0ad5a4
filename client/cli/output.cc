#include "client/cli/output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace seedlm::cli {
namespace {

// errno of the first failed write to stdout (0: none yet).
int first_error = 0;

absl::Status StdoutError(int err) {
  if (first_error == 0) first_error = err;
  const std::string msg =
      absl::StrCat("cannot write to stdout: ", std::strerror(first_error));
  return first_error == ENOSPC || first_error == EDQUOT
             ? absl::ResourceExhaustedError(msg)
             : absl::UnknownError(msg);
}

}  // namespace

absl::Status WriteStdout(absl::string_view text) {
  if (first_error != 0) return StdoutError(first_error);
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
      std::ferror(stdout)) {
    return StdoutError(errno != 0 ? errno : EIO);
  }
  return absl::OkStatus();
}

absl::Status FlushStdout() {
  if (first_error != 0) return StdoutError(first_error);
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    return StdoutError(errno != 0 ? errno : EIO);
  }
  return absl::OkStatus();
}

absl::Status CloseStdout() {
  absl::Status s = FlushStdout();
  errno = 0;
  if (std::fclose(stdout) != 0 && s.ok()) {
    s = StdoutError(errno != 0 ? errno : EIO);
  }
  return s;
}

}  // namespace seedlm::cli
