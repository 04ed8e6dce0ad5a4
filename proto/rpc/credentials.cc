#include "proto/rpc/credentials.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace seedlm::rpc {
namespace {

// PEM files are small; anything larger is not one.
constexpr size_t kMaxPemBytes = 1 << 20;
constexpr size_t kMaxTokenFileBytes = 4 << 20;

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "client") return Role::kClient;
  if (name == "worker") return Role::kWorker;
  if (name == "executor") return Role::kExecutor;
  if (name == "admin") return Role::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role \"", name,
                   "\" (expected client, worker, executor or admin)"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const std::string& cert_path, const std::string& key_path) {
  if (cert_path.empty() && key_path.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (cert_path.empty() || key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key must be given together");
  }
  ASSIGN_OR_RETURN(std::string cert, ReadFileToString(cert_path, kMaxPemBytes));
  ASSIGN_OR_RETURN(std::string key, ReadFileToString(key_path, kMaxPemBytes));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const std::string& ca_path) {
  if (ca_path.empty()) return grpc::InsecureChannelCredentials();
  ASSIGN_OR_RETURN(std::string ca, ReadFileToString(ca_path, kMaxPemBytes));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(ca);
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> Dial(
    const std::string& address,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  return grpc::CreateCustomChannel(address, credentials, args);
}

void ConfigureServerBuilder(grpc::ServerBuilder& builder) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
}

void AttachToken(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
}

std::string BearerToken(const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) return "";
  value.remove_prefix(7);
  return std::string(absl::StripAsciiWhitespace(value));
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kClient:
      return "client";
    case Role::kWorker:
      return "worker";
    case Role::kExecutor:
      return "executor";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

absl::StatusOr<TokenTable> TokenTable::Load(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text,
                   ReadFileToString(path, kMaxTokenFileBytes));
  TokenTable table;
  table.enabled_ = true;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto where = [&] { return absl::StrCat(path, ":", line_no, ": "); };
    if (fields.size() < 2 || fields.size() > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "expected \"TOKEN ROLE [NAME]\""));
    }
    if (fields[0].size() < 8 || fields[0].size() > 512) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "a token must have 8..512 characters"));
    }
    absl::StatusOr<Role> role = ParseRole(fields[1]);
    if (!role.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), role.status().message()));
    }
    Principal p;
    p.role = *role;
    p.name = fields.size() == 3 ? std::string(fields[2])
                                : absl::StrCat(fields[1], line_no);
    if (!table.by_token_.emplace(std::string(fields[0]), p).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "duplicate token"));
    }
  }
  return table;
}

absl::StatusOr<Principal> TokenTable::Check(const std::string& token,
                                            Role needed) const {
  if (!enabled_) return Principal{"", Role::kAdmin};
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "this server requires a bearer token (--token)");
  }
  auto it = by_token_.find(token);
  if (it == by_token_.end()) {
    return absl::UnauthenticatedError("unknown token");
  }
  const Principal& p = it->second;
  if (p.role != Role::kAdmin && p.role != needed) {
    return absl::PermissionDeniedError(
        absl::StrCat("a ", RoleName(p.role), " token may not make ",
                     RoleName(needed), " calls"));
  }
  return p;
}

}  // namespace seedlm::rpc
