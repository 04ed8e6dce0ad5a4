#include "server/inference/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "server/inference/http_server_internal.h"
#include "server/inference/sse_streamer.h"
#include "server/inference/status_page.h"

namespace seedlm::serve {
namespace {

constexpr char kJson[] = "application/json";
constexpr int kDefaultCompletionTokens = 16;  // OpenAI's max_tokens default

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(DumpJson(body), kJson);
}

void SendError(httplib::Response& res, const absl::Status& status) {
  const ApiError e = ApiErrorFor(status);
  if (e.http_status == 429) res.set_header("Retry-After", "1");
  if (e.http_status == 401) res.set_header("WWW-Authenticate", "Bearer");
  SendJson(res, e.http_status, ErrorBody(e));
}

// The token of "Authorization: Bearer T" ("" when absent or another scheme).
std::string BearerOf(const httplib::Request& req) {
  const std::string h = req.get_header_value("Authorization");
  constexpr absl::string_view kScheme = "bearer ";
  if (h.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(h, kScheme)) {
    return "";
  }
  return std::string(
      absl::StripAsciiWhitespace(absl::string_view(h).substr(kScheme.size())));
}

// cpp-httplib 0.11 gzip-compresses any text/* response whose client
// accepts it, text/event-stream included, which would hold the events back
// until the stream ends; streamed responses are therefore sent unencoded.
// The request object is a non-const local of the library's connection
// loop, so the cast is well-defined.
void DisableResponseCompression(const httplib::Request& req) {
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
}

// The usage of finished choices, for the request's log line.
void NoteUsage(int prompt_tokens, int completion_tokens) {
  http_internal::RequestNote& note = http_internal::CurrentRequestNote();
  note.prompt_tokens = prompt_tokens;
  note.completion_tokens = completion_tokens;
}

// A submitted choice of a non-streamed or streamed request.
struct Submitted {
  std::unique_ptr<CompletionStream> stream;
  std::string prompt_text;
};

}  // namespace

HttpApiServer::HttpApiServer(InferenceCore* core, HttpServerOptions options)
    : core_(core),
      options_(std::move(options)),
      own_registry_(
          options_.metrics != nullptr
              ? nullptr
              : std::make_unique<obs::MetricsRegistry>("seedlm-serve")),
      own_metrics_(
          options_.metrics != nullptr
              ? nullptr
              : std::make_unique<ServeMetrics>(own_registry_.get(), core)),
      metrics_(options_.metrics != nullptr ? options_.metrics
                                           : own_metrics_.get()),
      created_(absl::ToUnixSeconds(absl::Now())) {}

HttpApiServer::~HttpApiServer() { Stop(absl::ZeroDuration()); }

absl::StatusOr<int> HttpApiServer::Start(const std::string& host, int port) {
  if (started_) return absl::FailedPreconditionError("already started");
  if (options_.tls_cert_path.empty() != options_.tls_key_path.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key (or neither)");
  }
  if (options_.extra_connections < 1 ||
      options_.poll_interval <= absl::ZeroDuration() ||
      options_.keep_alive_seconds < 1 || port < 0 || port > 65535) {
    return absl::InvalidArgumentError("bad HTTP server options");
  }
  if (!options_.tls_cert_path.empty()) {
    for (const std::string& f :
         {options_.tls_cert_path, options_.tls_key_path}) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(f, ec)) {
        return absl::NotFoundError(absl::StrCat("TLS file not found: ", f));
      }
    }
    server_ = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_path.c_str(), options_.tls_key_path.c_str());
    if (!server_->is_valid()) {
      server_.reset();
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot load the TLS certificate ", options_.tls_cert_path,
          " and key ", options_.tls_key_path));
    }
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const ModelInfo& info = core_->info();
  const size_t threads = static_cast<size_t>(std::max(1, info.max_batch) +
                                             std::max(0, info.max_queue) +
                                             options_.extra_connections);
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server_->set_payload_max_length(kMaxRequestBytes);
  // The library's default sets SO_REUSEPORT, which lets a second server
  // bind a port already in use and silently share it. The listening
  // socket is remembered for Stop.
  server_->set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = sock;
  });
  Route();
  if (port == 0) {
    port = server_->bind_to_any_port(host);
    if (port <= 0) port = -1;
  } else if (!server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port < 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port));
  }
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of clients
  // beyond that is dropped or reset by the kernel before the server sees
  // it, instead of being answered (or refused with 429). listen() again
  // on a listening socket only changes its backlog.
  if (::listen(listen_fd_, SOMAXCONN) != 0) {
    server_.reset();
    return absl::InternalError(
        absl::StrCat("cannot widen the listen backlog on ", host, ":", port));
  }
  port_ = port;
  started_ = true;
  listen_thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Stop() only takes effect once the loop runs.
  while (!server_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return port_;
}

void HttpApiServer::Stop(absl::Duration grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stop_deadline_ns_ = absl::ToUnixNanos(absl::Now() + grace);
  stopping_ = true;
  // Not httplib::Server::stop(): once it ran, the library cuts every
  // chunked response short (no final chunk). Shutting the listening socket
  // down ends the accept loop alone; the loop then waits for every handler,
  // whose streams end by themselves or, past the grace, with an error
  // event (StopExpired).
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  listen_thread_.join();  // after every handler returned
}

bool HttpApiServer::StopExpired() const {
  return stopping_ && absl::ToUnixNanos(absl::Now()) >= stop_deadline_ns_;
}

HttpServerStats HttpApiServer::stats() const {
  HttpServerStats s;
  s.requests = requests_;
  s.client_disconnects = client_disconnects_;
  return s;
}

std::string HttpApiServer::TokenText(int32_t id) const {
  auto pieces = core_->TokenPieces(absl::MakeConstSpan(&id, 1));
  if (!pieces.ok() || pieces->empty()) return "";
  return (*pieces)[0];
}

void HttpApiServer::Route() {
  using httplib::Request;
  using httplib::Response;
  server_->Post("/v1/completions", [this](const Request& q, Response& r) {
    HandleCompletions(q, r);
  });
  server_->Post("/v1/chat/completions",
                [this](const Request& q, Response& r) { HandleChat(q, r); });
  server_->Get("/v1/models",
               [this](const Request& q, Response& r) { HandleModels(q, r); });
  server_->Get(R"(/v1/models/(.+))",
               [this](const Request& q, Response& r) { HandleModel(q, r); });
  server_->Get("/v1/executors", [this](const Request& q, Response& r) {
    HandleExecutors(q, r);
  });
  server_->Get("/healthz", [this](const Request&, Response& r) {
    ++requests_;
    if (stopping_) {
      r.status = 503;
      r.set_content("stopping\n", "text/plain");
    } else {
      r.set_content("ok\n", "text/plain");
    }
  });
  server_->Get("/metrics",
               [this](const Request&, Response& r) { HandleMetrics(r); });
  server_->Get("/", [this](const Request&, Response& r) {
    ++requests_;
    r.set_header("Cache-Control", "no-cache");
    r.set_content(kStatusPageHtml, "text/html; charset=utf-8");
  });
  server_->Get("/api/v1/status",
               [this](const Request& q, Response& r) { HandleStatus(q, r); });
  server_->set_pre_routing_handler([](const Request&, Response&) {
    http_internal::RequestNote& note = http_internal::CurrentRequestNote();
    note = http_internal::RequestNote{};
    note.start = absl::Now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_->set_logger(
      [this](const Request& q, const Response& r) { Finished(q, r); });
  // Errors the library answers itself (unknown path 404, body too large
  // 413, ...) get an OpenAI error object too.
  server_->set_error_handler([](const Request& q, Response& r) {
    if (!r.body.empty()) return;
    std::string message;
    if (r.status == 413) {
      message =
          absl::StrCat("The request body exceeds ", kMaxRequestBytes, " bytes");
    } else if (r.status == 404) {
      message = absl::StrCat("Unknown endpoint: ", q.method, " ", q.path);
    } else {
      message = absl::StrCat("HTTP error ", r.status);
    }
    ApiError e{r.status, std::move(message),
               r.status < 500 ? "invalid_request_error" : "server_error", "",
               ""};
    r.set_content(DumpJson(ErrorBody(e)), kJson);
  });
}

bool HttpApiServer::Admit(const httplib::Request& req, httplib::Response& res) {
  ++requests_;
  if (stopping_) {
    SendError(res, absl::UnavailableError("the server is shutting down"));
    return false;
  }
  if (options_.authorize) {
    absl::Status auth = options_.authorize(BearerOf(req));
    if (!auth.ok()) {
      SendError(res, auth);
      return false;
    }
  }
  return true;
}

absl::Status HttpApiServer::ReadAll(CompletionStream& stream,
                                    ChoiceResult* out) {
  std::vector<TokenEvent> events;
  bool shutting_down = false;
  while (true) {
    if (!shutting_down && StopExpired()) {
      shutting_down = true;
      stream.Cancel();
    }
    events.clear();
    const bool more =
        stream.Read(&events, absl::Now() + options_.poll_interval);
    for (TokenEvent& e : events) {
      (e.is_prompt ? out->prompt_events : out->events).push_back(std::move(e));
    }
    if (!more) break;
  }
  const CompletionSummary& s = stream.summary();
  if (!s.status.ok()) {
    if (shutting_down && s.status.code() == absl::StatusCode::kCancelled) {
      return absl::UnavailableError(
          "the server shut down before the request finished");
    }
    return s.status;
  }
  out->finish_reason = OpenAiFinishReason(s.finish_reason);
  out->prompt_tokens = s.prompt_tokens;
  out->completion_tokens = s.completion_tokens;
  return absl::OkStatus();
}

void HttpApiServer::HandleModels(const httplib::Request& req,
                                 httplib::Response& res) {
  if (!Admit(req, res)) return;
  SendJson(res, 200, ModelList(core_->info().model_id, created_));
}

void HttpApiServer::HandleModel(const httplib::Request& req,
                                httplib::Response& res) {
  if (!Admit(req, res)) return;
  const std::string id = req.matches[1];
  absl::Status found = CheckModel(id, core_->info().model_id);
  if (!found.ok()) return SendError(res, found);
  SendJson(res, 200, ModelObject(core_->info().model_id, created_));
}

void HttpApiServer::HandleExecutors(const httplib::Request& req,
                                    httplib::Response& res) {
  if (!Admit(req, res)) return;
  SendJson(res, 200,
           nlohmann::json{{"executors", http_internal::ExecutorsJson(*core_)}});
}

void HttpApiServer::HandleCompletions(const httplib::Request& req,
                                      httplib::Response& res) {
  if (!Admit(req, res)) return;
  auto parsed = ParseCompletionsRequest(req.body);
  if (!parsed.ok()) return SendError(res, parsed.status());
  const CompletionsRequest& r = *parsed;
  const std::string& model = core_->info().model_id;
  absl::Status found = CheckModel(r.gen.model, model);
  if (!found.ok()) return SendError(res, found);

  const absl::Time deadline = absl::Now() + options_.request_timeout;
  const int max_tokens = r.gen.max_tokens.value_or(kDefaultCompletionTokens);
  const int top = r.logprobs.value_or(0);
  const bool prompt_logprobs = r.echo && r.logprobs.has_value();
  std::vector<Submitted> submitted;
  for (const PromptSpec& p : r.prompts) {
    Submitted s;
    std::vector<int32_t> ids;
    if (p.is_text) {
      auto tokens = core_->Tokenize(p.text, /*add_bos=*/true);
      if (!tokens.ok()) return SendError(res, tokens.status());
      ids = std::move(*tokens);
      s.prompt_text = p.text;
    } else {
      auto text = core_->Detokenize(p.ids);
      if (!text.ok()) return SendError(res, text.status());
      ids = p.ids;
      s.prompt_text = std::move(*text);
    }
    auto stream = core_->Complete(ToEngineRequest(
        r.gen, std::move(ids), max_tokens, top, prompt_logprobs, deadline));
    // Streams already submitted are cancelled as `submitted` goes.
    if (!stream.ok()) return SendError(res, stream.status());
    s.stream = std::move(*stream);
    submitted.push_back(std::move(s));
  }

  const std::string id = NewRequestId("cmpl-");
  http_internal::CurrentRequestNote().id = id;
  const int64_t created = absl::ToUnixSeconds(absl::Now());
  auto token_text = [this](int32_t t) { return TokenText(t); };
  if (!r.gen.stream) {
    std::vector<ChoiceResult> choices(submitted.size());
    for (size_t i = 0; i < submitted.size(); ++i) {
      choices[i].prompt_text = submitted[i].prompt_text;
      absl::Status done = ReadAll(*submitted[i].stream, &choices[i]);
      if (!done.ok()) return SendError(res, done);
    }
    int prompt_tokens = 0, completion_tokens = 0;
    for (const ChoiceResult& c : choices) {
      prompt_tokens += c.prompt_tokens;
      completion_tokens += c.completion_tokens;
    }
    NoteUsage(prompt_tokens, completion_tokens);
    return SendJson(res, 200,
                    CompletionResponse(id, created, model, choices, r.echo,
                                       r.logprobs, token_text));
  }
  SseConfig config;
  config.id = id;
  config.created = created;
  config.model = model;
  config.echo = r.echo;
  config.logprobs = r.logprobs;
  config.include_usage = r.gen.include_usage;
  config.token_text = token_text;
  config.stop_expired = [this] { return StopExpired(); };
  std::vector<SseChoice> choices;
  for (Submitted& s : submitted) {
    choices.push_back(SseChoice{std::move(s.stream), std::move(s.prompt_text)});
  }
  StreamResponse(
      req, res,
      std::make_shared<SseStreamer>(std::move(config), std::move(choices)));
}

void HttpApiServer::HandleChat(const httplib::Request& req,
                               httplib::Response& res) {
  if (!Admit(req, res)) return;
  auto parsed = ParseChatRequest(req.body);
  if (!parsed.ok()) return SendError(res, parsed.status());
  const ChatRequest& r = *parsed;
  const std::string& model = core_->info().model_id;
  absl::Status found = CheckModel(r.gen.model, model);
  if (!found.ok()) return SendError(res, found);

  auto prompt = core_->RenderChat(r.messages);
  if (!prompt.ok()) return SendError(res, prompt.status());
  // The template writes any BOS itself (as Hugging Face's
  // apply_chat_template, which tokenizes without special tokens).
  auto ids = core_->Tokenize(*prompt, /*add_bos=*/false);
  if (!ids.ok()) return SendError(res, ids.status());
  if (ids->empty()) {
    return SendError(
        res, ParamError("messages", "the chat renders to an empty prompt"));
  }
  const int rest =
      std::max(0, core_->info().context - static_cast<int>(ids->size()));
  const int max_tokens = r.gen.max_tokens.value_or(rest);
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  auto stream = core_->Complete(
      ToEngineRequest(r.gen, std::move(*ids), max_tokens,
                      r.logprobs ? r.top_logprobs : 0, false, deadline));
  if (!stream.ok()) return SendError(res, stream.status());

  const std::string id = NewRequestId("chatcmpl-");
  http_internal::CurrentRequestNote().id = id;
  const int64_t created = absl::ToUnixSeconds(absl::Now());
  auto token_text = [this](int32_t t) { return TokenText(t); };
  if (!r.gen.stream) {
    ChoiceResult choice;
    absl::Status done = ReadAll(**stream, &choice);
    if (!done.ok()) return SendError(res, done);
    NoteUsage(choice.prompt_tokens, choice.completion_tokens);
    return SendJson(
        res, 200,
        ChatResponse(id, created, model, choice, r.logprobs, token_text));
  }
  SseConfig config;
  config.chat = true;
  config.id = id;
  config.created = created;
  config.model = model;
  config.chat_logprobs = r.logprobs;
  config.include_usage = r.gen.include_usage;
  config.token_text = token_text;
  config.stop_expired = [this] { return StopExpired(); };
  std::vector<SseChoice> choices;
  choices.push_back(SseChoice{std::move(*stream), ""});
  StreamResponse(
      req, res,
      std::make_shared<SseStreamer>(std::move(config), std::move(choices)));
}

void HttpApiServer::StreamResponse(const httplib::Request& req,
                                   httplib::Response& res,
                                   std::shared_ptr<SseStreamer> streamer) {
  DisableResponseCompression(req);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, streamer](size_t /*offset*/, httplib::DataSink& sink) {
        const std::string out = streamer->Next(options_.poll_interval);
        if (!out.empty() && !sink.write(out.data(), out.size())) {
          return false;  // the client went away: the releaser cancels
        }
        if (streamer->done()) {
          NoteUsage(streamer->prompt_tokens(), streamer->completion_tokens());
          sink.done();
        }
        return true;
      },
      [this, streamer](bool /*success*/) {
        if (!streamer->done()) {
          streamer->CancelAll();
          ++client_disconnects_;
        }
      });
}

}  // namespace seedlm::serve
