// seedlm complete --server ADDR --prompt TEXT [flags]: a completion from a
// `seedlm-serve` InferenceService (client/lib/inference_client.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/args.h"
#include "client/cli/command_docs.h"
#include "client/cli/commands.h"
#include "client/cli/complete_args.h"
#include "client/cli/output.h"
#include "client/cli/runtime_flags.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"
#include "proto/rpc/inference_convert.h"

namespace seedlm::cli {
namespace {

constexpr char kUsage[] =
    "usage: seedlm complete --server HOST:PORT --prompt TEXT [flags] (see "
    "seedlm --help)";

absl::StatusOr<std::string> TokenFromArgs(const Args& args) {
  if (args.Has("token") && args.Has("token-file")) {
    return absl::InvalidArgumentError("give --token or --token-file, not both");
  }
  if (!args.Has("token-file")) return args.Get("token");
  ASSIGN_OR_RETURN(
      const std::string raw,
      ReadFileToString(args.Get("token-file"), kMaxTokenFileBytes));
  const std::string token(absl::StripAsciiWhitespace(raw));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file ", args.Get("token-file"), " is empty"));
  }
  return token;
}

// The server's error with its code name, e.g. "RESOURCE_EXHAUSTED: ...";
// the code is kept (so INVALID_ARGUMENT still exits 2).
absl::Status WithCodeName(const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(absl::StatusCodeToString(s.code()),
                                             ": ", s.message()));
}

Json SummaryJson(const v1::GenerateSummary& s) {
  return {
      {"finish_reason", std::string(rpc::FinishReasonName(s.finish_reason()))},
      {"prompt_tokens", s.usage().prompt_tokens()},
      {"completion_tokens", s.usage().completion_tokens()},
      {"queue_seconds", s.timings().queue_seconds()},
      {"first_token_seconds", s.timings().first_token_seconds()},
      {"total_seconds", s.timings().total_seconds()}};
}

}  // namespace

absl::StatusOr<CompleteCommand> ParseCompleteArgs(int argc, char** argv) {
  ASSIGN_OR_RETURN(const Args args, ParseCommandArgs("complete", argc, argv));
  if (!args.positional.empty()) return absl::InvalidArgumentError(kUsage);
  CompleteCommand cmd;
  client::InferenceClientOptions& c = cmd.connection;
  c.address = args.Get("server");
  if (c.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server HOST:PORT is required; ", kUsage));
  }
  if (!args.Has("prompt")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--prompt TEXT is required; ", kUsage));
  }
  ASSIGN_OR_RETURN(c.token, TokenFromArgs(args));
  c.tls_ca_path = args.Get("tls-ca");
  ASSIGN_OR_RETURN(const int64_t wait,
                   args.GetIntIn("connect-timeout", 30, 1, 86400));
  c.connect_timeout = absl::Seconds(wait);

  v1::GenerateRequest& r = cmd.request;
  r.set_text(args.Get("prompt"));
  ASSIGN_OR_RETURN(const int64_t max_tokens,
                   args.GetIntIn("max-tokens", kCompleteDefaultMaxTokens, 0,
                                 kMaxTokensFlag));
  r.set_max_tokens(static_cast<int32_t>(max_tokens));
  ASSIGN_OR_RETURN(const double t,
                   args.GetDoubleIn("temperature", 0, 0, rpc::kMaxTemperature));
  r.set_temperature(t);
  ASSIGN_OR_RETURN(const double top_p, args.GetDoubleIn("top-p", 1, 0, 1));
  r.set_top_p(top_p);
  ASSIGN_OR_RETURN(const uint64_t seed, args.GetUint64("seed", 0));
  r.set_seed(seed);
  for (const std::string& s : args.All("stop")) r.add_stop(s);
  // The server's bounds (top_p > 0, stop strings), before dialing.
  if (absl::Status s = rpc::CompletionRequestFromProto(r).status(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad flag: ", s.message()));
  }
  cmd.stream = args.Bool("stream");
  cmd.json = args.Bool("json");
  return cmd;
}

absl::Status RunComplete(int argc, char** argv) {
  ASSIGN_OR_RETURN(const CompleteCommand cmd, ParseCompleteArgs(argc, argv));
  absl::StatusOr<std::unique_ptr<client::InferenceClient>> client =
      client::InferenceClient::Connect(cmd.connection);
  if (!client.ok()) return WithCodeName(client.status());
  std::string text;
  std::vector<int32_t> ids;
  const absl::StatusOr<v1::GenerateSummary> summary = (*client)->Generate(
      cmd.request, [&](const v1::GenerateToken& t) -> absl::Status {
        text += t.text();
        if (t.id() >= 0) ids.push_back(t.id());
        if (!cmd.stream) return absl::OkStatus();
        if (cmd.json) {
          RETURN_IF_ERROR(WriteStdout(DumpJson(Json{{"id", t.id()},
                                                    {"text", t.text()},
                                                    {"logprob", t.logprob()}}) +
                                      "\n"));
        } else {
          RETURN_IF_ERROR(WriteStdout(t.text()));
        }
        return FlushStdout();
      });
  // A failed write is the command's error as it is; the server's carry
  // their code name.
  if (!summary.ok()) {
    const absl::Status out = FlushStdout();
    return out.ok() ? WithCodeName(summary.status()) : out;
  }
  Json j = SummaryJson(*summary);
  if (cmd.json) {
    if (!cmd.stream) {
      j["text"] = text;
      j["tokens"] = ids;
      return WriteStdout(DumpJson(j, 2) + "\n");
    }
    return WriteStdout(DumpJson(j) + "\n");
  }
  RETURN_IF_ERROR(WriteStdout(cmd.stream ? "\n" : text + "\n"));
  RETURN_IF_ERROR(FlushStdout());
  std::fprintf(stderr, "%s",
               absl::StrFormat("[%d tokens, finish: %s, %.2f s]\n",
                               summary->usage().completion_tokens(),
                               rpc::FinishReasonName(summary->finish_reason()),
                               summary->timings().total_seconds())
                   .c_str());
  return absl::OkStatus();
}

}  // namespace seedlm::cli
