// The arguments of `seedlm complete` (a completion from a `seedlm-serve`
// InferenceService), parsed apart from running it so that parsing is
// testable without a server. Every error is INVALID_ARGUMENT (exit 2) with
// one clear line.
#ifndef SEEDLM_CLIENT_CLI_COMPLETE_ARGS_H_
#define SEEDLM_CLIENT_CLI_COMPLETE_ARGS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "client/lib/inference_client.h"
#include "seedlm/v1/inference.pb.h"

namespace seedlm::cli {

// --max-tokens when absent (as `seedlm generate`).
inline constexpr int64_t kCompleteDefaultMaxTokens = 256;
// The largest --token-file, bytes.
inline constexpr uint64_t kMaxTokenFileBytes = 4096;

// `seedlm complete --server ADDR --prompt TEXT [--max-tokens N]
// [--temperature T] [--top-p P] [--seed S] [--stop S]... [--stream]
// [--json] [--token T | --token-file F] [--tls-ca F] [--connect-timeout S]`.
struct CompleteCommand {
  client::InferenceClientOptions connection;
  // The prompt as text (with BOS) and the generation fields, checked with
  // the server's own bounds (rpc::CompletionRequestFromProto).
  v1::GenerateRequest request;
  bool stream = false;  // print pieces as they come
  bool json = false;    // JSON (with --stream: one JSON line per token)
};

// INVALID_ARGUMENT for a missing --server or --prompt, an unknown flag, a
// value out of range, a positional argument, both --token and --token-file,
// or an empty token file; the errors of reading the token file (NOT_FOUND,
// RESOURCE_EXHAUSTED over kMaxTokenFileBytes).
absl::StatusOr<CompleteCommand> ParseCompleteArgs(int argc, char** argv);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_COMPLETE_ARGS_H_
