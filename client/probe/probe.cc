#include "client/probe/probe.h"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "httplib.h"
#include "proto/rpc/credentials.h"

namespace seedlm::probe {
namespace {

namespace pb = ::google::protobuf;

constexpr char kUsage[] =
    "usage: seedlm-health-probe (--addr HOST:PORT [--service NAME] | "
    "--http HOST:PORT) [--timeout SECONDS] [--tls-ca CA.pem] | --version | "
    "--help\n"
    "  --addr     gRPC server: grpc.health.v1.Health/Check "
    "(seedlm-coordinator, seedlm-serve)\n"
    "  --service  the service to ask about (default \"\": the whole server)\n"
    "  --http     GET /healthz instead (seedlm-worker, seedlm-executor)\n"
    "  --timeout  seconds for connecting and the check (default 5)\n"
    "  --tls-ca   dial TLS (https for --http), trusting this PEM CA bundle\n"
    "exit status: 0 SERVING, 1 NOT_SERVING / unknown service / no answer, "
    "2 usage error";

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

// The two messages of grpc/health/v1/health.proto (Debian ships no copy of
// the file; gRPC's own C++ health service uses private generated code), as
// a descriptor that protobuf turns into dynamic messages: protobuf
// serializes them, not this file.
constexpr char kHealthProto[] = R"pb(
  name: "seedlm/probe/grpc_health_v1.proto"
  package: "grpc.health.v1"
  syntax: "proto3"
  message_type {
    name: "HealthCheckRequest"
    field { name: "service" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
  }
  message_type {
    name: "HealthCheckResponse"
    field {
      name: "status"
      number: 1
      label: LABEL_OPTIONAL
      type: TYPE_ENUM
      type_name: ".grpc.health.v1.HealthCheckResponse.ServingStatus"
    }
    enum_type {
      name: "ServingStatus"
      value { name: "UNKNOWN" number: 0 }
      value { name: "SERVING" number: 1 }
      value { name: "NOT_SERVING" number: 2 }
      value { name: "SERVICE_UNKNOWN" number: 3 }
    }
  }
)pb";

// The request and response types, built once.
class HealthMessages {
 public:
  static const HealthMessages& Get() {
    static const HealthMessages* const kMessages = new HealthMessages();
    return *kMessages;
  }
  const pb::Descriptor* request() const { return request_; }
  const pb::Descriptor* response() const { return response_; }
  std::unique_ptr<pb::Message> New(const pb::Descriptor* type) const {
    return std::unique_ptr<pb::Message>(factory_.GetPrototype(type)->New());
  }

 private:
  HealthMessages() {
    pb::FileDescriptorProto file;
    // The text is a constant: a parse failure is a bug caught by every test.
    if (!pb::TextFormat::ParseFromString(kHealthProto, &file)) abort();
    const pb::FileDescriptor* fd = pool_.BuildFile(file);
    if (fd == nullptr) abort();
    request_ = fd->FindMessageTypeByName("HealthCheckRequest");
    response_ = fd->FindMessageTypeByName("HealthCheckResponse");
  }
  pb::DescriptorPool pool_;
  mutable pb::DynamicMessageFactory factory_{&pool_};
  const pb::Descriptor* request_ = nullptr;
  const pb::Descriptor* response_ = nullptr;
};

// "--name=value" or "--name value": the value, advancing *i past it.
absl::StatusOr<std::string> TakeValue(const std::vector<std::string>& args,
                                      size_t* i, const std::string& name,
                                      bool has_inline, std::string inline_v) {
  if (has_inline) return inline_v;
  if (*i + 1 >= args.size()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
  }
  return args[++*i];
}

absl::Status CheckCombination(const ProbeOptions& o) {
  if (o.help || o.version) return absl::OkStatus();
  if (o.addr.empty() == o.http.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one of --addr HOST:PORT (gRPC) and --http HOST:PORT");
  }
  if (!o.http.empty() && !o.service.empty()) {
    return absl::InvalidArgumentError(
        "--service applies to gRPC (--addr) only");
  }
  return absl::OkStatus();
}

std::string Seconds(double s) { return absl::StrCat(s, "s"); }

// cpp-httplib's error names, with what they mean for a probe.
std::string DescribeHttpError(httplib::Error error, double timeout_seconds) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (Connection)";
    case httplib::Error::ConnectionTimeout:
      return absl::StrCat("no connection within ", Seconds(timeout_seconds),
                          " (ConnectionTimeout)");
    case httplib::Error::Read:
      return absl::StrCat("no answer within ", Seconds(timeout_seconds),
                          " or a broken one (Read)");
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

const char* UsageText() { return kUsage; }

absl::StatusOr<ProbeOptions> ParseProbeArgs(
    const std::vector<std::string>& args) {
  ProbeOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], inline_value;
    const size_t eq = name.find('=');
    const bool has_inline =
        absl::StartsWith(name, "--") && eq != std::string::npos;
    if (has_inline) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if ((name == "--help" || name == "-h") && !has_inline) {
      o.help = true;
      continue;
    }
    if (name == "--version" && !has_inline) {
      o.version = true;
      continue;
    }
    std::string* target = name == "--addr"      ? &o.addr
                          : name == "--http"    ? &o.http
                          : name == "--service" ? &o.service
                          : name == "--tls-ca"  ? &o.tls_ca
                                                : nullptr;
    if (target == nullptr && name != "--timeout") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument ", args[i]));
    }
    absl::StatusOr<std::string> v =
        TakeValue(args, &i, name, has_inline, inline_value);
    if (!v.ok()) return v.status();
    if (target != nullptr) {
      *target = *v;
    } else if (!absl::SimpleAtod(*v, &o.timeout_seconds) ||
               !(o.timeout_seconds > 0 &&
                 o.timeout_seconds <= kMaxTimeoutSeconds)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout: seconds in (0, ", kMaxTimeoutSeconds, "], not ", *v));
    }
  }
  if (absl::Status s = CheckCombination(o); !s.ok()) return s;
  return o;
}

ProbeResult FromServingStatus(int serving_status, const std::string& service) {
  const std::string what =
      service.empty() ? "server" : absl::StrCat("service \"", service, "\"");
  switch (serving_status) {
    case 1:
      return {kExitServing, "status: SERVING"};
    case 2:
      return {kExitUnhealthy, absl::StrCat(what, " is NOT_SERVING")};
    case 3:
      return {kExitUnhealthy, absl::StrCat(what, " is SERVICE_UNKNOWN")};
    default:
      return {kExitUnhealthy, absl::StrCat(what, " answered status ",
                                           serving_status, " (UNKNOWN)")};
  }
}

ProbeResult FromRpcError(const grpc::Status& status, const ProbeOptions& o) {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return {kExitUnhealthy, absl::StrCat("service \"", o.service,
                                           "\" is unknown to ", o.addr)};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {kExitUnhealthy,
              absl::StrCat(o.addr, " does not serve grpc.health.v1.Health")};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {kExitUnhealthy,
              absl::StrCat("no answer from ", o.addr, " within ",
                           Seconds(o.timeout_seconds))};
    default:
      return {
          kExitUnhealthy,
          absl::StrCat("health check of ", o.addr, " failed: ",
                       absl::StatusCodeToString(
                           static_cast<absl::StatusCode>(status.error_code())),
                       ": ", status.error_message())};
  }
}

ProbeResult CheckGrpc(const ProbeOptions& o) {
  auto creds = rpc::ChannelCredentials(o.tls_ca);
  if (!creds.ok()) {
    return {kExitUsage, absl::StrCat("--tls-ca: ", creds.status().message())};
  }
  const HealthMessages& m = HealthMessages::Get();
  std::unique_ptr<pb::Message> request = m.New(m.request());
  request->GetReflection()->SetString(
      request.get(), m.request()->FindFieldByName("service"), o.service);
  std::string bytes;
  request->SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);

  grpc::ClientContext context;
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::microseconds(static_cast<int64_t>(o.timeout_seconds * 1e6)));
  grpc::GenericStub stub(rpc::Dial(o.addr, *creds));
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, kCheckMethod, request_buffer, &cq);
  call->StartCall();
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok) || !ok) {
    return {kExitUnhealthy, "the health check call did not complete"};
  }
  if (!status.ok()) return FromRpcError(status, o);

  std::vector<grpc::Slice> slices;
  std::string reply;
  if (response_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  std::unique_ptr<pb::Message> response = m.New(m.response());
  if (!response->ParseFromString(reply)) {
    return {kExitUnhealthy,
            absl::StrCat(o.addr, " sent a malformed HealthCheckResponse")};
  }
  return FromServingStatus(
      response->GetReflection()->GetEnumValue(
          *response, m.response()->FindFieldByName("status")),
      o.service);
}

ProbeResult CheckHttp(const ProbeOptions& o) {
  if (!o.tls_ca.empty() && access(o.tls_ca.c_str(), R_OK) != 0) {
    return {kExitUsage, absl::StrCat("--tls-ca: cannot read ", o.tls_ca)};
  }
  const std::string scheme = o.tls_ca.empty() ? "http://" : "https://";
  httplib::Client client(scheme + o.http);
  if (!client.is_valid()) {
    return {kExitUsage, absl::StrCat("--http: bad address ", o.http)};
  }
  if (!o.tls_ca.empty()) {
    client.set_ca_cert_path(o.tls_ca.c_str());
    client.enable_server_certificate_verification(true);
  }
  const auto timeout =
      std::chrono::microseconds(static_cast<int64_t>(o.timeout_seconds * 1e6));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Result res = client.Get("/healthz");
  if (!res) {
    return {kExitUnhealthy,
            absl::StrCat("GET ", scheme, o.http, "/healthz failed: ",
                         DescribeHttpError(res.error(), o.timeout_seconds))};
  }
  if (res->status != 200) {
    std::string body = res->body.substr(0, 200);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
      body.pop_back();
    }
    return {kExitUnhealthy,
            absl::StrCat("GET ", scheme, o.http, "/healthz: HTTP ", res->status,
                         " ", body)};
  }
  return {kExitServing, absl::StrCat("status: SERVING (GET /healthz: 200)")};
}

ProbeResult RunProbe(const ProbeOptions& o) {
  return o.http.empty() ? CheckGrpc(o) : CheckHttp(o);
}

}  // namespace seedlm::probe
