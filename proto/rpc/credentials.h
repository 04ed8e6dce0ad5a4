// Transport security and bearer tokens for every SeedLM server and client.
//
// TLS: a server given a certificate and key serves TLS, else plaintext; a
// client given a CA file dials TLS (verifying the server against that CA),
// else plaintext. Tokens: a client sends "authorization: Bearer <token>" on
// every call (AttachToken); a server that was given a token file
// (TokenTable) checks it on every call and learns the caller's principal and
// role. Without a token file auth is off and every caller is an anonymous
// admin (servers log a warning saying so).
//
// Channels and servers made here share the project's limits: messages up
// to kMaxMessageBytes and reconnect backoff capped at seconds, not gRPC's
// default two minutes.
#ifndef SEEDLM_PROTO_RPC_CREDENTIALS_H_
#define SEEDLM_PROTO_RPC_CREDENTIALS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace seedlm::rpc {

// The largest gRPC message any SeedLM server or client accepts or sends,
// bytes: a work unit's rows or payload (a few MB) with ample margin.
inline constexpr int kMaxMessageBytes = 64 << 20;
// The cap of a channel's reconnect backoff, milliseconds.
inline constexpr int kMaxReconnectBackoffMs = 2000;

// Server credentials: TLS from PEM files when both paths are given,
// plaintext when both are empty. INVALID_ARGUMENT when only one is given;
// the errors of reading the files (NOT_FOUND, ...) otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const std::string& cert_path, const std::string& key_path);

// Channel credentials: TLS trusting the PEM CA bundle at `ca_path`, or
// plaintext when it is empty. Errors of reading the file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const std::string& ca_path);

// A channel to `address` ("host:port") with the project's limits. Does not
// connect until first used.
std::shared_ptr<grpc::Channel> Dial(
    const std::string& address,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials);

// Applies the project's limits to a server builder, turns on the gRPC
// health service and reflection. Call before BuildAndStart.
void ConfigureServerBuilder(grpc::ServerBuilder& builder);

// Adds "authorization: Bearer <token>" to a call (nothing if empty).
void AttachToken(grpc::ClientContext& context, const std::string& token);

// The bearer token a call carries, or "" when it carries none.
std::string BearerToken(const grpc::ServerContextBase& context);

// kExecutor: a seedlm-executor attaching to a server (ExecutorService).
enum class Role { kClient, kWorker, kExecutor, kAdmin };

// "client", "worker", "executor", "admin".
absl::string_view RoleName(Role role);

struct Principal {
  std::string name;  // who: the token file's name for the token
  Role role = Role::kAdmin;
};

// The tokens a server accepts: a file of lines "TOKEN ROLE [NAME]" (blank
// lines and lines starting with '#' ignored; NAME defaults to the role
// followed by the line number). Thread-compatible; immutable after Load.
class TokenTable {
 public:
  // An empty table: auth off.
  TokenTable() = default;

  // Reads a token file. INVALID_ARGUMENT naming the line for a bad role, a
  // duplicate token, a token shorter than 8 characters or over 512; errors
  // of reading the file.
  static absl::StatusOr<TokenTable> Load(const std::string& path);

  bool enabled() const { return enabled_; }

  // The caller of a call that carries `token` (BearerToken), if it may act
  // as `needed`: an admin may act as anything. With auth off, an anonymous
  // admin ("" name). UNAUTHENTICATED for a missing or unknown token,
  // PERMISSION_DENIED for a role that may not.
  absl::StatusOr<Principal> Check(const std::string& token, Role needed) const;

 private:
  bool enabled_ = false;
  std::map<std::string, Principal> by_token_;
};

}  // namespace seedlm::rpc

#endif  // SEEDLM_PROTO_RPC_CREDENTIALS_H_
