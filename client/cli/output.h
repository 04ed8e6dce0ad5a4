// Checked writes to stdout for the `seedlm` commands. A write that fails (a
// full disk, a file-size limit, a closed pipe when SIGPIPE is ignored) is an
// error, never a silent success: WriteStdout reports it at once (long
// streaming outputs stop there), and main() ends every command with
// CloseStdout, which also catches failures of plain printf calls and of the
// final flush.
//
// Errors: "cannot write to stdout: <strerror>" with RESOURCE_EXHAUSTED for a
// full disk or quota, UNKNOWN otherwise (never INVALID_ARGUMENT: the CLI exits
// 1, not 2). Not thread-safe (stdout is written by one thread).
#ifndef SEEDLM_CLIENT_CLI_OUTPUT_H_
#define SEEDLM_CLIENT_CLI_OUTPUT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace seedlm::cli {

// Writes `text` to stdout (buffered); the error if the write fails.
absl::Status WriteStdout(absl::string_view text);

// Flushes stdout; the error if that or an earlier write failed.
absl::Status FlushStdout();

// Flushes and closes stdout; the first write error of the process, if any.
// Call once, at the end of main().
absl::Status CloseStdout();

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_OUTPUT_H_
