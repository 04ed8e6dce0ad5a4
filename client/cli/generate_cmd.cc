// seedlm generate MODEL --prompt TEXT [--max-tokens N] [--temperature T]
//   [--top-p P] [--seed S] [--threads N] [--tokenizer F] [--json]
#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "client/cli/runtime_flags.h"
#include "core/runtime/generate.h"
#include "core/util/resource_usage.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm::cli {
namespace {

absl::StatusOr<double> DoubleFlag(const Args& args, const std::string& name,
                                  double def) {
  if (!args.Has(name)) return def;
  double v;
  if (!absl::SimpleAtod(args.Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " must be a number, got '", args.Get(name), "'"));
  }
  return v;
}

absl::StatusOr<GenerateOptions> OptionsFromArgs(const Args& args) {
  GenerateOptions o;
  ASSIGN_OR_RETURN(long long max_tokens, args.GetInt("max-tokens", 256));
  if (max_tokens < 0 || max_tokens > (1 << 24)) {
    return absl::InvalidArgumentError("--max-tokens must be in 0..16777216");
  }
  o.max_tokens = static_cast<int>(max_tokens);
  ASSIGN_OR_RETURN(o.sampler.temperature, DoubleFlag(args, "temperature", 0));
  ASSIGN_OR_RETURN(o.sampler.top_p, DoubleFlag(args, "top-p", 1));
  ASSIGN_OR_RETURN(long long seed, args.GetInt("seed", 0));
  o.sampler.seed = static_cast<uint64_t>(seed);
  RETURN_IF_ERROR(ValidateSamplerOptions(o.sampler));
  return o;
}

}  // namespace

absl::Status RunGenerate(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"prompt", "max-tokens", "temperature", "top-p",
                     "seed",   "threads",    "tokenizer"};
  spec.boolean = {"json"};
  ASSIGN_OR_RETURN(Args args, ParseArgs(argc, argv, 2, spec));
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
  TextCallback stream;
  if (!json) {
    stream = [](bool, absl::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    };
  }
  ASSIGN_OR_RETURN(GenerateResult r,
                   Generate(*m.model, *m.tokenizer, args.Get("prompt"), options,
                            &pool, stream));
  const double tok_s =
      r.decode_seconds > 0 ? r.ids.size() / r.decode_seconds : 0.0;
  if (json) {
    nlohmann::json j = {{"prompt", r.prompt_text},
                        {"text", r.text},
                        {"prompt_tokens", r.prompt_ids},
                        {"tokens", r.ids},
                        {"finish_reason", r.finish_reason},
                        {"prefill_seconds", r.prefill_seconds},
                        {"decode_seconds", r.decode_seconds},
                        {"tokens_per_s", tok_s},
                        {"peak_rss_mib", PeakRssMiB()}};
    std::printf("%s\n",
                j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                    .c_str());
  } else {
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "[%zu tokens, %.1f tokens/s, finish: %s]\n",
                 r.ids.size(), tok_s, r.finish_reason.c_str());
  }
  return absl::OkStatus();
}

}  // namespace seedlm::cli
