// seedlm perplexity MODEL TEXT_FILE [--ctx N] [--max-chars N]
//   [--reference MODEL2] [--threads N] [--tokenizer F] [--json]
// The recipe is core/runtime/perplexity.h (and docs/QUALITY.md).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/args.h"
#include "client/cli/commands.h"
#include "client/cli/runtime_flags.h"
#include "core/runtime/perplexity.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm::cli {
namespace {

constexpr uint64_t kMaxTextBytes = uint64_t{1} << 30;

nlohmann::json ResultJson(const PerplexityResult& r, int ctx) {
  nlohmann::json j = {{"tokens", r.tokens},         {"nll", r.nll},
                      {"perplexity", r.perplexity}, {"documents", r.documents},
                      {"windows", r.windows},       {"ctx", ctx},
                      {"kl_mean", nullptr},         {"top1_agree", nullptr}};
  if (r.has_reference) {
    j["kl_mean"] = r.kl_mean;
    j["top1_agree"] = r.top1_agree;
  }
  return j;
}

}  // namespace

absl::Status RunPerplexity(int argc, char** argv) {
  FlagSpec spec;
  spec.with_value = {"ctx", "max-chars", "reference", "threads", "tokenizer"};
  spec.boolean = {"json"};
  ASSIGN_OR_RETURN(Args args, ParseArgs(argc, argv, 2, spec));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm perplexity MODEL TEXT_FILE [flags] (see seedlm "
        "--help)");
  }
  ASSIGN_OR_RETURN(long long ctx, args.GetInt("ctx", 0));
  ASSIGN_OR_RETURN(long long max_chars, args.GetInt("max-chars", 0));
  if (ctx < 0 || ctx > (1 << 24) || max_chars < 0) {
    return absl::InvalidArgumentError(
        "--ctx must be in 0..16777216 and --max-chars >= 0");
  }
  ASSIGN_OR_RETURN(int threads, ThreadsFlag(args));
  ASSIGN_OR_RETURN(std::string text,
                   ReadFileToString(args.positional[1], kMaxTextBytes));
  ASSIGN_OR_RETURN(LoadedModel m,
                   LoadModelWithTokenizer(args.positional[0], args, true));
  LoadedModel ref;
  if (args.Has("reference")) {
    ASSIGN_OR_RETURN(
        ref, LoadModelWithTokenizer(args.Get("reference"), args, false));
  }
  ASSIGN_OR_RETURN(auto docs,
                   TokenizeForPerplexity(*m.tokenizer, text, max_chars));
  ThreadPool pool(threads);
  const int ctx_used =
      ctx > 0 ? static_cast<int>(ctx) : m.model->config().max_seq_len;
  ASSIGN_OR_RETURN(PerplexityResult r, ScoreDocuments(*m.model, ref.model.get(),
                                                      docs, ctx_used, &pool));
  if (args.Bool("json")) {
    std::printf("%s\n", ResultJson(r, ctx_used).dump(2).c_str());
    return absl::OkStatus();
  }
  std::printf("%lld documents, %lld tokens scored (%lld windows, ctx %d)\n",
              static_cast<long long>(r.documents),
              static_cast<long long>(r.tokens),
              static_cast<long long>(r.windows), ctx_used);
  std::printf("mean NLL   %.4f nats\nperplexity %.4f\n", r.nll, r.perplexity);
  if (r.has_reference) {
    std::printf("KL(reference || model) %.4f nats/token\n", r.kl_mean);
    std::printf("top-1 agreement        %.2f%%\n", 100.0 * r.top1_agree);
  }
  return absl::OkStatus();
}

}  // namespace seedlm::cli
