// The arguments of the `seedlm` commands that talk to a coordinator
// (`submit`, `jobs`, `watch`, `cancel`, `delete`, `fetch`), parsed apart
// from running them so that parsing is testable without a coordinator.
// Every error is INVALID_ARGUMENT (exit 2) with one clear line, except an
// unknown --preset: NOT_FOUND listing the presets, as `seedlm compress`.
#ifndef SEEDLM_CLIENT_CLI_SERVICE_ARGS_H_
#define SEEDLM_CLIENT_CLI_SERVICE_ARGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/cli/args.h"
#include "client/lib/compression_client.h"
#include "seedlm/v1/compression.pb.h"

namespace seedlm::cli {

// Longest --name, bytes (SubmitJobRequest.display_name).
inline constexpr size_t kMaxDisplayNameBytes = 256;

// `seedlm submit --coordinator ADDR MODEL OUT.seedlm [--preset P]
// [--exponent M] [--bias N|auto] [--include RE]... [--exclude RE]...
// [--tokenizer F] [--server-path] [--name S] [--token T] [--tls-ca F]
// [--detach]`.
struct SubmitCommand {
  client::ClientOptions connection;
  std::string model;      // a local path, or with server_path one under the
                          // coordinator's model root
  std::string out;        // where the result is fetched to
  std::string tokenizer;  // --tokenizer; "" = the reader's default
  bool server_path = false;
  bool detach = false;
  // options and display_name set (display_name defaults to the model's
  // file name); with server_path also model.server_path and
  // model.tokenizer_path. An upload fills in the rest of `model`.
  v1::SubmitJobRequest request;
};

absl::StatusOr<SubmitCommand> ParseSubmitArgs(int argc, char** argv);

// The shared compression flags (compress_flags.h, parsed by the same code as
// `seedlm compress`) as the request's CompressionOptions: the preset name,
// the exponent mode, the bias only when it departs from the preset's policy
// (exponent_bias for a number, exponent_bias_auto for `--bias auto` with a
// preset whose policy is a fixed bias), the patterns (checked with
// CompressOptions::Validate).
absl::StatusOr<v1::CompressionOptions> CompressionOptionsFromArgs(
    const Args& args);

// `seedlm jobs [--json]`, `seedlm watch JOB [--json]`, `seedlm cancel JOB`,
// `seedlm delete JOB`, `seedlm fetch JOB OUT`: the connection flags plus
// the command's positionals.
struct JobCommand {
  client::ClientOptions connection;
  std::string job_id;  // "" for `jobs`
  std::string out;     // `fetch` only
  bool json = false;   // `jobs` and `watch` only
};

// Parses `seedlm <command> ...` for the commands above; INVALID_ARGUMENT
// with `usage` for the wrong number of positionals.
absl::StatusOr<JobCommand> ParseJobCommandArgs(int argc, char** argv);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_SERVICE_ARGS_H_
