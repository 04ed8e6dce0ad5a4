// seedlm generate MODEL --prompt TEXT [--max-tokens N] [--temperature T]
//   [--top-p P] [--seed S] [--threads N] [--tokenizer F] [--json]
#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "client/cli/runtime_flags.h"
#include "core/runtime/generate.h"
#include "core/util/json_util.h"
#include "core/util/resource_usage.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

absl::StatusOr<GenerateOptions> OptionsFromArgs(const Args& args) {
  GenerateOptions o;
  ASSIGN_OR_RETURN(const int64_t max_tokens,
                   args.GetIntIn("max-tokens", 256, 0, kMaxTokensFlag));
  o.max_tokens = static_cast<int>(max_tokens);
  ASSIGN_OR_RETURN(o.sampler.temperature,
                   args.GetDoubleIn("temperature", 0, 0, kMaxTemperatureFlag));
  ASSIGN_OR_RETURN(o.sampler.top_p, args.GetDoubleIn("top-p", 1, 0, 1));
  ASSIGN_OR_RETURN(o.sampler.seed, args.GetUint64("seed", 0));
  RETURN_IF_ERROR(ValidateSamplerOptions(o.sampler));
  return o;
}

absl::Status PrintJson(const GenerateResult& r, double tok_s) {
  const Json j = {{"prompt", r.prompt_text},
                  {"text", r.text},
                  {"prompt_tokens", r.prompt_ids},
                  {"tokens", r.ids},
                  {"finish_reason", r.finish_reason},
                  {"prefill_seconds", r.prefill_seconds},
                  {"decode_seconds", r.decode_seconds},
                  {"tokens_per_s", tok_s},
                  {"peak_rss_mib", PeakRssMiB()}};
  return WriteStdout(DumpJson(j, 2) + "\n");
}

}  // namespace

absl::Status RunGenerate(int argc, char** argv) {
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("generate", argc, argv));
  if (args.positional.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: seedlm generate MODEL --prompt TEXT [flags] (see seedlm "
        "--help)");
  }
  ASSIGN_OR_RETURN(GenerateOptions options, OptionsFromArgs(args));
  ASSIGN_OR_RETURN(int threads, ThreadsFlag(args));
  ASSIGN_OR_RETURN(LoadedModel m,
                   LoadModelWithTokenizer(args.positional[0], args, true));
  ThreadPool pool(threads);
  const bool json = args.Bool("json");
  // A failed write to stdout stops the generation (through the cancel flag)
  // and is the command's error.
  std::atomic<bool> write_failed{false};
  absl::Status write_error;
  options.cancel = &write_failed;
  TextCallback stream;
  if (!json) {
    stream = [&](bool, absl::string_view piece) {
      if (write_failed.load()) return;
      absl::Status s = WriteStdout(piece);
      if (s.ok()) s = FlushStdout();
      if (!s.ok()) {
        write_error = s;
        write_failed.store(true);
      }
    };
  }
  absl::StatusOr<GenerateResult> r = Generate(
      *m.model, *m.tokenizer, args.Get("prompt"), options, &pool, stream);
  RETURN_IF_ERROR(write_error);
  RETURN_IF_ERROR(r.status());
  const double tok_s =
      r->decode_seconds > 0 ? r->ids.size() / r->decode_seconds : 0.0;
  if (json) return PrintJson(*r, tok_s);
  RETURN_IF_ERROR(WriteStdout("\n"));
  RETURN_IF_ERROR(FlushStdout());
  std::fprintf(stderr, "%s",
               absl::StrFormat("[%zu tokens, %.1f tokens/s, finish: %s]\n",
                               r->ids.size(), tok_s, r->finish_reason)
                   .c_str());
  return absl::OkStatus();
}

}  // namespace seedlm::cli
