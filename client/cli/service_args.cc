#include "client/cli/service_args.h"

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/cli/command_docs.h"
#include "client/cli/compress_flags.h"
#include "core/codec/codec.h"
#include "core/compress/compress_options.h"
#include "core/util/status_macros.h"
#include "proto/rpc/convert.h"

namespace seedlm::cli {
namespace {

absl::StatusOr<client::ClientOptions> ConnectionFromArgs(const Args& args) {
  client::ClientOptions o;
  o.address = args.Get("coordinator");
  if (o.address.empty()) {
    return absl::InvalidArgumentError(
        "--coordinator HOST:PORT is required (see seedlm --help)");
  }
  o.token = args.Get("token");
  o.tls_ca_path = args.Get("tls-ca");
  // Seconds to wait for a coordinator that is still starting.
  ASSIGN_OR_RETURN(const int64_t wait,
                   args.GetIntIn("connect-timeout", 30, 1, 86400));
  o.connect_timeout = absl::Seconds(wait);
  return o;
}

}  // namespace

absl::StatusOr<v1::CompressionOptions> CompressionOptionsFromArgs(
    const Args& args) {
  ASSIGN_OR_RETURN(const CompressOptions opt, CompressOptionsFromArgs(args));
  RETURN_IF_ERROR(opt.Validate());
  v1::CompressionOptions p;
  p.set_preset(args.Get("preset", kDefaultPreset));
  p.set_exponent_mode(rpc::ToProto(opt.mode));
  // Unset = the preset's policy; only a departure from it is sent.
  if (opt.exponent_bias != DefaultExponentBias(opt.codec)) {
    if (opt.exponent_bias.has_value()) {
      p.set_exponent_bias(*opt.exponent_bias);
    } else {
      p.set_exponent_bias_auto(true);
    }
  }
  for (const std::string& re : opt.include) p.add_include(re);
  for (const std::string& re : opt.exclude) p.add_exclude(re);
  return p;
}

absl::StatusOr<SubmitCommand> ParseSubmitArgs(int argc, char** argv) {
  ASSIGN_OR_RETURN(const Args args, ParseCommandArgs("submit", argc, argv));
  if (args.positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: seedlm submit --coordinator HOST:PORT MODEL OUT.seedlm "
        "[flags] (see seedlm --help)");
  }
  SubmitCommand cmd;
  ASSIGN_OR_RETURN(cmd.connection, ConnectionFromArgs(args));
  cmd.model = args.positional[0];
  cmd.out = args.positional[1];
  cmd.tokenizer = args.Get("tokenizer");
  cmd.server_path = args.Bool("server-path");
  cmd.detach = args.Bool("detach");
  if (cmd.model.empty() || cmd.out.empty()) {
    return absl::InvalidArgumentError("MODEL and OUT must not be empty");
  }
  ASSIGN_OR_RETURN(*cmd.request.mutable_options(),
                   CompressionOptionsFromArgs(args));
  const std::string name = args.Get(
      "name",
      std::filesystem::path(cmd.model).lexically_normal().filename().string());
  if (name.size() > kMaxDisplayNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--name is ", name.size(), " bytes, at most ", kMaxDisplayNameBytes));
  }
  cmd.request.set_display_name(name);
  if (cmd.server_path) {
    cmd.request.mutable_model()->set_server_path(cmd.model);
    cmd.request.mutable_model()->set_tokenizer_path(cmd.tokenizer);
  }
  return cmd;
}

absl::StatusOr<JobCommand> ParseJobCommandArgs(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  size_t positionals = 1;
  std::string usage = absl::StrCat("seedlm ", command, " JOB");
  if (command == "jobs") {
    positionals = 0;
    usage = "seedlm jobs [--json]";
  } else if (command == "watch") {
    usage = "seedlm watch JOB [--json]";
  } else if (command == "fetch") {
    positionals = 2;
    usage = "seedlm fetch JOB OUT.seedlm";
  }
  ASSIGN_OR_RETURN(const Args args, ParseCommandArgs(command, argc, argv));
  if (args.positional.size() != positionals) {
    return absl::InvalidArgumentError(absl::StrCat(
        "usage: ", usage, " --coordinator HOST:PORT [--token T] [--tls-ca F]"));
  }
  JobCommand cmd;
  ASSIGN_OR_RETURN(cmd.connection, ConnectionFromArgs(args));
  if (positionals >= 1) cmd.job_id = args.positional[0];
  if (positionals >= 2) cmd.out = args.positional[1];
  if (positionals >= 1 && cmd.job_id.empty()) {
    return absl::InvalidArgumentError("JOB must not be empty");
  }
  cmd.json = args.Bool("json");
  return cmd;
}

}  // namespace seedlm::cli
