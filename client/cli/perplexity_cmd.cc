// seedlm perplexity MODEL TEXT_FILE [--ctx N] [--max-chars N]
//   [--reference MODEL2] [--threads N] [--tokenizer F] [--json]
// The recipe is core/runtime/perplexity.h (and docs/QUALITY.md).
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "client/cli/runtime_flags.h"
#include "core/runtime/perplexity.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm::cli {
namespace {

constexpr uint64_t kMaxTextBytes = uint64_t{1} << 30;

Json ResultJson(const PerplexityResult& r, int ctx) {
  Json j = {{"tokens", r.tokens},         {"nll", r.nll},
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
  ASSIGN_OR_RETURN(Args args, ParseCommandArgs("perplexity", argc, argv));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm perplexity MODEL TEXT_FILE [flags] (see seedlm "
        "--help)");
  }
  ASSIGN_OR_RETURN(const int64_t ctx,
                   args.GetIntIn("ctx", 0, 0, kMaxContextFlag));
  // A cap on the characters read, so any non-negative value is safe.
  ASSIGN_OR_RETURN(const int64_t max_chars,
                   args.GetIntIn("max-chars", 0, 0, INT64_MAX));
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
    return WriteStdout(DumpJson(ResultJson(r, ctx_used), 2) + "\n");
  }
  std::string report = absl::StrFormat(
      "%d documents, %d tokens scored (%d windows, ctx %d)\n"
      "mean NLL   %.4f nats\nperplexity %.4f\n",
      r.documents, r.tokens, r.windows, ctx_used, r.nll, r.perplexity);
  if (r.has_reference) {
    absl::StrAppendFormat(&report,
                          "KL(reference || model) %.4f nats/token\n"
                          "top-1 agreement        %.2f%%\n",
                          r.kl_mean, 100.0 * r.top1_agree);
  }
  return WriteStdout(report);
}

}  // namespace seedlm::cli
