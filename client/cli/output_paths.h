// The checks every `seedlm` command that writes a file runs on its output
// before any work, so that no output destroys an input or replaces something
// that is not a regular file:
//  - the output must not be an input: the same file after following symlinks
//    and hard links (st_dev/st_ino), the directory of an input Hugging Face
//    checkpoint, or a file of that directory the reader reads (*.json,
//    *.safetensors), or a tokenizer read beside a llama2.c model
//    (tokenizer.bin, tok*.bin): INVALID_ARGUMENT "output X is the input Y";
//  - an existing output must be a regular file (CheckOutputPath in
//    core/util/file_util.h; AtomicFileWriter checks again when it commits).
// A new file inside an input checkpoint directory is fine.
#ifndef SEEDLM_CLIENT_CLI_OUTPUT_PATHS_H_
#define SEEDLM_CLIENT_CLI_OUTPUT_PATHS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace seedlm::cli {

// The paths a model input reads: `model` itself; for a directory, its *.json
// and *.safetensors files; for a llama2.c .bin, tokenizer.bin and tok*.bin
// beside it; and `tokenizer` (the --tokenizer flag) when not empty. Paths
// that do not exist are included as given (they match nothing).
std::vector<std::string> ModelInputPaths(const std::string& model,
                                         const std::string& tokenizer);

// Refuses `output` when it is one of `inputs` (see above) or exists and is
// not a regular file. INVALID_ARGUMENT (exit 2) either way.
absl::Status CheckOutputAgainstInputs(const std::string& output,
                                      const std::vector<std::string>& inputs);

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_OUTPUT_PATHS_H_
