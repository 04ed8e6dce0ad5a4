// The subcommands of the `seedlm` CLI. Each returns OK or the error to print
// as one line; main.cc maps errors to exit codes (2 for usage errors, i.e.
// INVALID_ARGUMENT, 1 otherwise).
#ifndef SEEDLM_CLIENT_CLI_COMMANDS_H_
#define SEEDLM_CLIENT_CLI_COMMANDS_H_

#include "absl/status/status.h"

namespace seedlm::cli {

// seedlm compress MODEL OUT.seedlm [--preset P] [--exponent M] [--threads N]
//   [--include R]... [--exclude R]... [--tokenizer F] [--search A] [--resume]
//   [--json]
absl::Status RunCompress(int argc, char** argv);
// seedlm inspect FILE [--json] [--tensor NAME --blocks A:B]
absl::Status RunInspect(int argc, char** argv);
// seedlm decompress IN.seedlm OUT.safetensors
absl::Status RunDecompress(int argc, char** argv);
// seedlm verify FILE.seedlm [--json]
absl::Status RunVerify(int argc, char** argv);
// seedlm synth OUT_DIR --arch llama --dim D --hidden H --layers N [...]
absl::Status RunSynth(int argc, char** argv);
// seedlm generate MODEL --prompt TEXT [--max-tokens N] [--temperature T]
//   [--top-p P] [--seed S] [--threads N] [--tokenizer F] [--json]
absl::Status RunGenerate(int argc, char** argv);
// seedlm perplexity MODEL TEXT_FILE [--ctx N] [--max-chars N]
//   [--reference MODEL2] [--threads N] [--tokenizer F] [--json]
absl::Status RunPerplexity(int argc, char** argv);

// The commands that talk to a coordinator (service_cmds.cc; arguments in
// service_args.h). Each takes --coordinator HOST:PORT [--token T]
// [--tls-ca F].
// seedlm submit MODEL OUT.seedlm [--preset P] [--exponent M] [--bias N|auto]
//   [--include R]... [--exclude R]... [--tokenizer F] [--server-path]
//   [--name S] [--detach]: uploads (or names) the model, submits, watches
//   with the progress bar and fetches the result; exit 1 when the job
//   FAILED or was CANCELLED.
absl::Status RunSubmit(int argc, char** argv);
// seedlm jobs [--json]
absl::Status RunJobs(int argc, char** argv);
// seedlm watch JOB [--json]
absl::Status RunWatch(int argc, char** argv);
// seedlm cancel JOB
absl::Status RunCancel(int argc, char** argv);
// seedlm delete JOB
absl::Status RunDelete(int argc, char** argv);
// seedlm fetch JOB OUT.seedlm
absl::Status RunFetch(int argc, char** argv);

// seedlm complete --server HOST:PORT --prompt TEXT [--max-tokens N]
//   [--temperature T] [--top-p P] [--seed S] [--stop S]... [--stream]
//   [--json] [--token T | --token-file F] [--tls-ca F] [--connect-timeout S]
//   (complete_cmd.cc; arguments in complete_args.h): a completion from a
//   seedlm-serve InferenceService. A server error prints its code name and
//   message (exit 2 for INVALID_ARGUMENT, 1 otherwise).
absl::Status RunComplete(int argc, char** argv);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_COMMANDS_H_
