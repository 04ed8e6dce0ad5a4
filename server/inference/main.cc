// seedlm-serve: a model served over gRPC (seedlm.v1.InferenceService) and
// OpenAI-compatible HTTP, both over one InferenceCore (continuous batching).
// Flags live here only. SIGTERM/SIGINT drain: health NOT_SERVING, no new
// requests, streams in flight finish (up to --drain-seconds), then exit 0.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/runtime/kv_cache.h"
#include "core/util/absl_cli.h"
#include "core/util/file_util.h"
#include "proto/rpc/credentials.h"
#include "server/common/logging.h"
#include "server/common/metrics.h"
#include "server/executor/executor_service.h"
#include "server/inference/http_server.h"
#include "server/inference/inference_core.h"
#include "server/inference/inference_service.h"
#include "server/inference/serve_metrics.h"

ABSL_FLAG(std::string, model, "",
          "model to serve: a .seedlm file or anything `seedlm generate` "
          "takes (required)");
ABSL_FLAG(std::string, tokenizer, "", "tokenizer file replacing the model's");
ABSL_FLAG(std::string, listen, "127.0.0.1:50061",
          "gRPC address host:port (port 0 picks a free one; empty: no gRPC)");
ABSL_FLAG(std::string, http, "127.0.0.1:8080",
          "HTTP address host:port (port 0 picks a free one; empty: no HTTP)");
ABSL_FLAG(int, threads, 0, "forward-pass threads (0: all cores)");
ABSL_FLAG(int, max_batch, 8, "sequences decoded together");
ABSL_FLAG(int, max_queue, 16,
          "requests that may wait while the batch is full; beyond: 429 / "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int, ctx, 0,
          "positions per sequence (prompt + output; 0: the model's maximum); "
          "KV memory is ctx x max-batch, allocated at start");
ABSL_FLAG(int, prefill_chunk, 64, "prompt tokens per sequence per step");
ABSL_FLAG(std::string, model_id, "",
          "the served model's name (default: the file's base name)");
ABSL_FLAG(std::string, chat_template, "",
          "Jinja chat template file replacing the model's own");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate: serve TLS (both)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, auth_tokens, "",
          "file of 'TOKEN ROLE [NAME]' lines; role client (or admin) may "
          "call; without it auth is off");
ABSL_FLAG(double, request_timeout, 0,
          "seconds an HTTP completion may take (0: no limit)");
ABSL_FLAG(double, drain_seconds, 20, "how long SIGTERM waits for streams");
ABSL_FLAG(double, executor_timeout, 5,
          "seconds an attached executor may stay silent (heartbeats are "
          "every second) before it is dropped");
ABSL_FLAG(bool, testing_corrupt_weights, false,
          "test hook: flip one byte of the weights streamed to executors");
ABSL_FLAG(std::string, ready_file, "",
          "once serving, write the bound addresses here as JSON");
ABSL_FLAG(std::string, log_level, "info",
          "debug, info, warn or error (debug adds a line per /metrics, "
          "/healthz and status poll)");
ABSL_FLAG(std::string, log_format, "text", "text, json or logfmt");

namespace {

int Fail(const std::string& message, int code = 1) {
  seedlm::obs::LogError(message);
  return code;
}

// "host:port" -> host and port. INVALID_ARGUMENT otherwise.
absl::Status SplitHostPort(const std::string& addr, std::string* host,
                           int* port) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(addr.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError("bad address " + addr +
                                      " (want host:port)");
  }
  *host = addr.substr(0, colon);
  return absl::OkStatus();
}

// The options the flags give, or the error (exit 2).
absl::StatusOr<seedlm::serve::ServeOptions> ServeOptionsFromFlags() {
  seedlm::serve::ServeOptions o;
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 0 || threads > 1024) {
    return absl::InvalidArgumentError("--threads: 0..1024");
  }
  o.engine.threads =
      threads > 0 ? threads
                  : static_cast<int>(std::thread::hardware_concurrency());
  o.engine.max_batch = absl::GetFlag(FLAGS_max_batch);
  o.engine.max_queue = absl::GetFlag(FLAGS_max_queue);
  o.engine.context = absl::GetFlag(FLAGS_ctx);
  o.engine.prefill_chunk = absl::GetFlag(FLAGS_prefill_chunk);
  if (o.engine.max_batch < 1 || o.engine.max_batch > 1024) {
    return absl::InvalidArgumentError("--max-batch: 1..1024");
  }
  if (o.engine.max_queue < 0 || o.engine.max_queue > 65536) {
    return absl::InvalidArgumentError("--max-queue: 0..65536");
  }
  if (o.engine.context < 0) return absl::InvalidArgumentError("--ctx: >= 0");
  if (o.engine.prefill_chunk < 1 || o.engine.prefill_chunk > 65536) {
    return absl::InvalidArgumentError("--prefill-chunk: 1..65536");
  }
  o.model_id = absl::GetFlag(FLAGS_model_id);
  if (!absl::GetFlag(FLAGS_chat_template).empty()) {
    auto text =
        seedlm::ReadFileToString(absl::GetFlag(FLAGS_chat_template), 64 << 10);
    if (!text.ok()) return text.status();
    o.chat_template_override = std::move(*text);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (std::optional<int> done = seedlm::ParseAbslCommandLine(
          argc, argv,
          {.binary = "seedlm-serve",
           .synopsis = "--model FILE [--listen ADDR] [--http ADDR] [flags]",
           .description =
               "Serves a model (a .seedlm file, run from its packed blocks, "
               "or anything seedlm generate takes) over gRPC "
               "(seedlm.v1.InferenceService) and OpenAI-compatible HTTP, "
               "with continuous batching; seedlm-executor processes may "
               "attach and take over its layers. SIGTERM drains and exits "
               "0.",
           .main_file = __FILE__,
           .choices = {{"log-level", seedlm::obs::LogLevelNames()},
                       {"log-format", seedlm::obs::LogFormatNames()}}})) {
    return *done;
  }
  if (absl::Status s = seedlm::obs::InitLoggingFromFlags(
          "seedlm-serve", absl::GetFlag(FLAGS_log_level),
          absl::GetFlag(FLAGS_log_format));
      !s.ok()) {
    return Fail(s.ToString(), 2);
  }
  if (absl::GetFlag(FLAGS_model).empty()) return Fail("--model is required", 2);
  auto options = ServeOptionsFromFlags();
  if (!options.ok()) return Fail(options.status().ToString(), 2);
  const double timeout = absl::GetFlag(FLAGS_request_timeout);
  const double drain = absl::GetFlag(FLAGS_drain_seconds);
  if (!(timeout >= 0 && timeout <= 86400) || !(drain >= 0 && drain <= 3600)) {
    return Fail("--request-timeout: 0..86400, --drain-seconds: 0..3600", 2);
  }
  const double executor_timeout = absl::GetFlag(FLAGS_executor_timeout);
  if (!(executor_timeout >= 0.5 && executor_timeout <= 3600)) {
    return Fail("--executor-timeout: 0.5..3600 seconds", 2);
  }
  const std::string grpc_addr = absl::GetFlag(FLAGS_listen);
  const std::string http_addr = absl::GetFlag(FLAGS_http);
  std::string http_host;
  int http_port = 0;
  if (!http_addr.empty()) {
    if (absl::Status s = SplitHostPort(http_addr, &http_host, &http_port);
        !s.ok()) {
      return Fail(s.ToString(), 2);
    }
  }
  if (grpc_addr.empty() && http_addr.empty()) {
    return Fail("nothing to serve: --listen and --http are both empty", 2);
  }

  // Signals are handled by this thread once serving (sigwait below).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  seedlm::rpc::TokenTable tokens;
  if (!absl::GetFlag(FLAGS_auth_tokens).empty()) {
    auto loaded =
        seedlm::rpc::TokenTable::Load(absl::GetFlag(FLAGS_auth_tokens));
    if (!loaded.ok()) return Fail(loaded.status().ToString(), 2);
    tokens = std::move(*loaded);
  }
  auto creds = seedlm::rpc::ServerCredentials(absl::GetFlag(FLAGS_tls_cert),
                                              absl::GetFlag(FLAGS_tls_key));
  if (!creds.ok()) return Fail(creds.status().ToString(), 2);

  const auto t0 = std::chrono::steady_clock::now();
  auto core = seedlm::serve::InferenceCore::Load(
      absl::GetFlag(FLAGS_model), absl::GetFlag(FLAGS_tokenizer), *options);
  if (!core.ok()) return Fail(core.status().ToString());
  const seedlm::serve::ModelInfo& info = (*core)->info();
  seedlm::obs::LogInfo(
      "model loaded",
      {{"model", info.model_id},
       {"file_kind", info.file_kind},
       {"preset", info.preset},
       {"bits_per_weight", info.bits_per_weight},
       {"seconds",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count()},
       {"context", info.context},
       {"max_batch", info.max_batch},
       {"max_queue", info.max_queue},
       {"kv_cache_bytes",
        static_cast<uint64_t>(
            seedlm::KvCache::BytesFor((*core)->model().config(), info.n_layers,
                                      info.context) *
            static_cast<uint64_t>(info.max_batch))}});
  // /metrics on the HTTP port; both adapters count into it.
  seedlm::obs::MetricsRegistry registry("seedlm-serve");
  seedlm::serve::ServeMetrics metrics(&registry, core->get());

  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<seedlm::serve::InferenceServiceImpl> service;
  std::unique_ptr<seedlm::serve::ExecutorServiceImpl> executor_service;
  seedlm::serve::ExecutorServiceOptions executor_options;
  executor_options.heartbeat_timeout =
      absl::Seconds(absl::GetFlag(FLAGS_executor_timeout));
  executor_options.corrupt_weights_for_testing =
      absl::GetFlag(FLAGS_testing_corrupt_weights);
  std::string grpc_bound;
  if (!grpc_addr.empty()) {
    int port = 0;
    grpc::ServerBuilder builder;
    seedlm::rpc::ConfigureServerBuilder(builder);
    builder.AddListeningPort(grpc_addr, *creds, &port);
    service = seedlm::serve::RegisterInferenceService(builder, core->get(),
                                                      &tokens, &metrics);
    executor_service = seedlm::serve::RegisterExecutorService(
        builder, (*core)->executor_pool(), &tokens, executor_options);
    server = builder.BuildAndStart();
    if (!server || port == 0) return Fail("cannot listen on " + grpc_addr);
    grpc_bound =
        absl::StrCat(grpc_addr.substr(0, grpc_addr.rfind(':')), ":", port);
  }
  std::unique_ptr<seedlm::serve::HttpApiServer> http;
  std::string http_bound;
  if (!http_addr.empty()) {
    seedlm::serve::HttpServerOptions ho;
    ho.tls_cert_path = absl::GetFlag(FLAGS_tls_cert);
    ho.tls_key_path = absl::GetFlag(FLAGS_tls_key);
    if (timeout > 0) ho.request_timeout = absl::Seconds(timeout);
    ho.metrics = &metrics;
    if (tokens.enabled()) {
      ho.authorize = [&tokens](const std::string& token) {
        return tokens.Check(token, seedlm::rpc::Role::kClient).status();
      };
    }
    http = std::make_unique<seedlm::serve::HttpApiServer>(core->get(), ho);
    auto port = http->Start(http_host, http_port);
    if (!port.ok()) return Fail(port.status().ToString());
    http_bound = absl::StrCat(http_host, ":", *port);
  }
  if (tokens.enabled()) {
    seedlm::obs::LogInfo("serving",
                         {{"grpc", grpc_bound.empty() ? "-" : grpc_bound},
                          {"http", http_bound.empty() ? "-" : http_bound},
                          {"auth", "bearer tokens required"}});
  } else {
    seedlm::obs::LogWarn("serving with auth off (no --auth-tokens)",
                         {{"grpc", grpc_bound.empty() ? "-" : grpc_bound},
                          {"http", http_bound.empty() ? "-" : http_bound}});
  }
  if (!absl::GetFlag(FLAGS_ready_file).empty()) {
    absl::Status s = seedlm::WriteFileAtomically(
        absl::GetFlag(FLAGS_ready_file),
        absl::StrCat("{\"listen\": \"", grpc_bound, "\", \"http\": \"",
                     http_bound, "\", \"pid\": ", getpid(), "}\n"));
    if (!s.ok()) return Fail(s.ToString());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  seedlm::obs::LogInfo("draining", {{"signal", sig}});
  if (server) server->GetHealthCheckService()->SetServingStatus(false);
  // The engine refuses new requests and finishes those in flight; the
  // adapters then end their streams.
  const absl::Time deadline = absl::Now() + absl::Seconds(drain);
  // Then the executors' attachments end, which lets the gRPC server's
  // Shutdown finish without waiting for its deadline.
  std::thread engine_drain([&] {
    (*core)->Drain(deadline);
    (*core)->executor_pool()->Shutdown();
  });
  if (http) http->Stop(absl::Seconds(drain));
  if (server) server->Shutdown(absl::ToChronoTime(deadline));
  engine_drain.join();
  seedlm::obs::LogInfo("stopped");
  return 0;
}
