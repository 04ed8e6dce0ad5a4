// Generates text from a prompt with a model (a .seedlm file or any model
// `seedlm generate` takes), greedily, and prints the prompt and the text.
//   generate MODEL PROMPT [MAX_TOKENS]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/runtime/generate.h"
#include "core/runtime/model_loader.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"

namespace {

absl::Status Run(const std::string& model_path, const std::string& prompt,
                 int max_tokens) {
  // The model and the tokenizer it carries ("": no replacement tokenizer).
  ASSIGN_OR_RETURN(seedlm::LoadedModel m,
                   seedlm::LoadModelAndTokenizer(model_path, "",
                                                 /*need_tokenizer=*/true));
  seedlm::GenerateOptions options;
  options.max_tokens = max_tokens;
  options.sampler.temperature = 0;  // greedy; > 0 samples (with .seed)
  seedlm::ThreadPool pool(0);       // 0: one thread per core
  // Called with the prompt's text first, then each piece of generated text.
  auto print = [](bool /*is_prompt*/, absl::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  ASSIGN_OR_RETURN(
      seedlm::GenerateResult result,
      seedlm::Generate(*m.model, *m.tokenizer, prompt, options, &pool, print));
  std::printf("\n");
  std::fprintf(stderr, "[%zu tokens, finish: %s]\n", result.ids.size(),
               result.finish_reason.c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL PROMPT [MAX_TOKENS]\n", argv[0]);
    return 2;
  }
  const int max_tokens = argc == 4 ? std::atoi(argv[3]) : 256;
  const absl::Status status = Run(argv[1], argv[2], max_tokens);
  if (!status.ok()) {
    std::fprintf(stderr, "generate: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
