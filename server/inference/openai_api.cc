#include "server/inference/openai_api.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "server/inference/inference_core.h"

namespace seedlm::serve {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

// Re-labels a json_util error (DATA_LOSS, where "") as a request error on
// `param`.
absl::Status AsParamError(const absl::Status& status, absl::string_view param) {
  absl::string_view message = status.message();
  if (absl::StartsWith(message, ".")) message.remove_prefix(1);
  return ParamError(param, message);
}

template <typename T>
absl::StatusOr<T> Param(absl::StatusOr<T> value, absl::string_view param) {
  if (!value.ok()) return AsParamError(value.status(), param);
  return value;
}

absl::StatusOr<Json> ParseBodyObject(absl::string_view body) {
  JsonLimits limits;
  limits.max_bytes = kMaxRequestBytes;
  limits.max_depth = 16;
  auto parsed = ParseJson(body, "request body", limits);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("We could not parse the JSON body of your request: ",
                     parsed.status().message()));
  }
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "The request body must be a JSON object, not ", JsonTypeName(*parsed)));
  }
  return std::move(*parsed);
}

absl::StatusOr<std::vector<std::string>> ParseStop(const Json& obj) {
  std::vector<std::string> stop;
  ASSIGN_OR_RETURN(const Json* v, Param(JsonFind(obj, "stop", ""), "stop"));
  if (v == nullptr) return stop;
  if (v->is_string()) {
    stop.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > static_cast<size_t>(kMaxStopStrings)) {
      return ParamError("stop", absl::StrCat("stop: at most ", kMaxStopStrings,
                                             " stop strings, got ", v->size()));
    }
    for (size_t i = 0; i < v->size(); ++i) {
      ASSIGN_OR_RETURN(
          std::string s,
          Param(JsonAsString((*v)[i], absl::StrCat("stop[", i, "]")), "stop"));
      stop.push_back(std::move(s));
    }
  } else {
    return ParamError("stop", absl::StrCat("stop: expected a string or an "
                                           "array of strings, got ",
                                           JsonTypeName(*v)));
  }
  for (const std::string& s : stop) {
    if (s.empty() || s.size() > kMaxStopStringBytes) {
      return ParamError("stop", absl::StrCat("stop: each stop string must be "
                                             "1 to ",
                                             kMaxStopStringBytes, " bytes"));
    }
  }
  return stop;
}

absl::Status ParseGeneration(const Json& obj, GenerationParams* gen) {
  ASSIGN_OR_RETURN(auto model, Param(JsonOptString(obj, "model", ""), "model"));
  gen->model = model.value_or("");
  ASSIGN_OR_RETURN(
      auto max_tokens,
      Param(JsonOptInt(obj, "max_tokens", 0, kIntMax, ""), "max_tokens"));
  ASSIGN_OR_RETURN(
      auto max_completion,
      Param(JsonOptInt(obj, "max_completion_tokens", 0, kIntMax, ""),
            "max_completion_tokens"));
  if (max_completion.has_value()) max_tokens = max_completion;
  if (max_tokens.has_value()) gen->max_tokens = static_cast<int>(*max_tokens);

  ASSIGN_OR_RETURN(auto temperature, Param(JsonOptNumber(obj, "temperature", 0,
                                                         kMaxTemperature, ""),
                                           "temperature"));
  gen->sampler.temperature = temperature.value_or(1.0);
  ASSIGN_OR_RETURN(auto top_p,
                   Param(JsonOptNumber(obj, "top_p", 0, 1, ""), "top_p"));
  if (top_p.has_value() && *top_p <= 0) {
    return ParamError("top_p", "top_p: must be greater than 0");
  }
  gen->sampler.top_p = top_p.value_or(1.0);
  ASSIGN_OR_RETURN(
      auto seed,
      Param(JsonOptInt(obj, "seed", std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max(), ""),
            "seed"));
  if (seed.has_value()) {
    gen->sampler.seed = static_cast<uint64_t>(*seed);
  } else {
    std::random_device rd;
    gen->sampler.seed = (uint64_t{rd()} << 32) ^ rd();
  }
  ASSIGN_OR_RETURN(
      auto n, Param(JsonOptInt(obj, "n", std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max(), ""),
                    "n"));
  if (n.has_value() && *n != 1) {
    return ParamError("n",
                      absl::StrCat("n: only n = 1 is supported, got ", *n));
  }
  ASSIGN_OR_RETURN(gen->stop, ParseStop(obj));
  ASSIGN_OR_RETURN(auto stream,
                   Param(JsonOptBool(obj, "stream", ""), "stream"));
  gen->stream = stream.value_or(false);
  ASSIGN_OR_RETURN(
      const Json* options,
      Param(JsonFind(obj, "stream_options", ""), "stream_options"));
  if (options != nullptr) {
    ASSIGN_OR_RETURN(auto usage, Param(JsonOptBool(*options, "include_usage",
                                                   "stream_options"),
                                       "stream_options"));
    gen->include_usage = usage.value_or(false);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> ParseIds(const Json& v,
                                              absl::string_view where) {
  if (v.empty()) {
    return ParamError("prompt", absl::StrCat(where, ": empty token list"));
  }
  if (v.size() > kMaxPromptIds) {
    return ParamError("prompt", absl::StrCat(where, ": more than ",
                                             kMaxPromptIds, " token ids"));
  }
  std::vector<int32_t> ids;
  ids.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    ASSIGN_OR_RETURN(
        int64_t id,
        Param(JsonAsInt(v[i], 0, kIntMax, absl::StrCat(where, "[", i, "]")),
              "prompt"));
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

absl::StatusOr<std::vector<PromptSpec>> ParsePrompts(const Json& obj) {
  ASSIGN_OR_RETURN(const Json* v, Param(JsonFind(obj, "prompt", ""), "prompt"));
  if (v == nullptr) return ParamError("prompt", "prompt: missing (required)");
  std::vector<PromptSpec> prompts;
  auto add_text = [&](const Json& s) -> absl::Status {
    if (s.get_ref<const std::string&>().size() > kMaxPromptBytes) {
      return ParamError("prompt", absl::StrCat("prompt: longer than ",
                                               kMaxPromptBytes, " bytes"));
    }
    prompts.push_back(PromptSpec{true, s.get<std::string>(), {}});
    return absl::OkStatus();
  };
  if (v->is_string()) {
    RETURN_IF_ERROR(add_text(*v));
    return prompts;
  }
  if (!v->is_array()) {
    return ParamError("prompt", absl::StrCat("prompt: expected a string or an "
                                             "array, got ",
                                             JsonTypeName(*v)));
  }
  if (v->empty()) return ParamError("prompt", "prompt: empty array");
  if ((*v)[0].is_number()) {  // one prompt of token ids
    ASSIGN_OR_RETURN(auto ids, ParseIds(*v, "prompt"));
    prompts.push_back(PromptSpec{false, "", std::move(ids)});
    return prompts;
  }
  if (v->size() > static_cast<size_t>(kMaxPromptsPerRequest)) {
    return ParamError("prompt",
                      absl::StrCat("prompt: at most ", kMaxPromptsPerRequest,
                                   " prompts per request, got ", v->size()));
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& p = (*v)[i];
    if (p.is_string()) {
      RETURN_IF_ERROR(add_text(p));
    } else if (p.is_array()) {
      ASSIGN_OR_RETURN(auto ids, ParseIds(p, absl::StrCat("prompt[", i, "]")));
      prompts.push_back(PromptSpec{false, "", std::move(ids)});
    } else {
      return ParamError("prompt", absl::StrCat("prompt[", i,
                                               "]: expected a string or an "
                                               "array of token ids, got ",
                                               JsonTypeName(p)));
    }
  }
  return prompts;
}

// A message's content: a string, null, or an array of text parts.
absl::StatusOr<std::string> ParseContent(const Json& message,
                                         absl::string_view where) {
  auto it = message.find("content");
  if (it == message.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) {
    return ParamError("messages",
                      absl::StrCat(where,
                                   ".content: expected a string or an "
                                   "array of content parts, got ",
                                   JsonTypeName(*it)));
  }
  std::string text;
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string part_where = absl::StrCat(where, ".content[", i, "]");
    const Json& part = (*it)[i];
    ASSIGN_OR_RETURN(std::string type,
                     Param(JsonString(part, "type", part_where), "messages"));
    if (type != "text") {
      return ParamError("messages",
                        absl::StrCat(part_where, ": content parts of type \"",
                                     type, "\" are not supported"));
    }
    ASSIGN_OR_RETURN(std::string piece,
                     Param(JsonString(part, "text", part_where), "messages"));
    text += piece;
  }
  return text;
}

absl::StatusOr<std::vector<ChatMessage>> ParseMessages(const Json& obj) {
  ASSIGN_OR_RETURN(const Json* v,
                   Param(JsonArray(obj, "messages", ""), "messages"));
  if (v->empty()) return ParamError("messages", "messages: empty array");
  if (v->size() > static_cast<size_t>(kMaxChatMessages)) {
    return ParamError("messages",
                      absl::StrCat("messages: at most ", kMaxChatMessages,
                                   " messages, got ", v->size()));
  }
  std::vector<ChatMessage> messages;
  size_t total = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string where = absl::StrCat("messages[", i, "]");
    const Json& m = (*v)[i];
    ASSIGN_OR_RETURN(std::string role,
                     Param(JsonString(m, "role", where), "messages"));
    if (role.empty()) {
      return ParamError("messages", absl::StrCat(where, ".role: empty"));
    }
    ASSIGN_OR_RETURN(std::string content, ParseContent(m, where));
    total += content.size();
    if (total > kMaxPromptBytes) {
      return ParamError("messages",
                        absl::StrCat("messages: more than ", kMaxPromptBytes,
                                     " bytes of content"));
    }
    messages.push_back(ChatMessage{std::move(role), std::move(content)});
  }
  return messages;
}

}  // namespace

absl::Status ParamError(absl::string_view param, absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  if (!param.empty()) status.SetPayload(kParamPayload, absl::Cord(param));
  return status;
}

ApiError ApiErrorFor(const absl::Status& status) {
  ApiError e;
  e.http_status = HttpStatusFor(status.code());
  e.message = std::string(status.message());
  if (e.message.empty()) e.message = absl::StatusCodeToString(status.code());
  e.type = e.http_status < 500 ? "invalid_request_error" : "server_error";
  if (auto p = status.GetPayload(kParamPayload)) e.param = std::string(*p);
  if (auto c = status.GetPayload(kCodePayload)) {
    e.code = std::string(*c);
  } else if (e.http_status == 401) {
    e.code = "invalid_api_key";
  } else if (e.http_status == 429) {
    e.code = "rate_limit_exceeded";
  }
  return e;
}

Json ErrorBody(const ApiError& error) {
  auto or_null = [](const std::string& s) {
    return s.empty() ? Json() : Json(s);
  };
  return Json{{"error",
               {{"message", error.message},
                {"type", error.type},
                {"param", or_null(error.param)},
                {"code", or_null(error.code)}}}};
}

absl::Status CheckModel(absl::string_view requested, absl::string_view served) {
  if (requested.empty() || requested == served) return absl::OkStatus();
  absl::Status status = absl::NotFoundError(
      absl::StrCat("The model `", requested,
                   "` does not exist (this server serves `", served, "`)"));
  status.SetPayload(kParamPayload, absl::Cord("model"));
  status.SetPayload(kCodePayload, absl::Cord("model_not_found"));
  return status;
}

absl::StatusOr<CompletionsRequest> ParseCompletionsRequest(
    absl::string_view body) {
  ASSIGN_OR_RETURN(Json obj, ParseBodyObject(body));
  CompletionsRequest r;
  RETURN_IF_ERROR(ParseGeneration(obj, &r.gen));
  ASSIGN_OR_RETURN(r.prompts, ParsePrompts(obj));
  ASSIGN_OR_RETURN(auto echo, Param(JsonOptBool(obj, "echo", ""), "echo"));
  r.echo = echo.value_or(false);
  ASSIGN_OR_RETURN(auto logprobs, Param(JsonOptInt(obj, "logprobs", 0,
                                                   kMaxCompletionLogprobs, ""),
                                        "logprobs"));
  if (logprobs.has_value()) r.logprobs = static_cast<int>(*logprobs);
  return r;
}

absl::StatusOr<ChatRequest> ParseChatRequest(absl::string_view body) {
  ASSIGN_OR_RETURN(Json obj, ParseBodyObject(body));
  ChatRequest r;
  RETURN_IF_ERROR(ParseGeneration(obj, &r.gen));
  ASSIGN_OR_RETURN(r.messages, ParseMessages(obj));
  ASSIGN_OR_RETURN(auto logprobs,
                   Param(JsonOptBool(obj, "logprobs", ""), "logprobs"));
  r.logprobs = logprobs.value_or(false);
  ASSIGN_OR_RETURN(
      auto top, Param(JsonOptInt(obj, "top_logprobs", 0, kMaxTopLogprobs, ""),
                      "top_logprobs"));
  if (top.has_value() && *top > 0 && !r.logprobs) {
    return ParamError("top_logprobs",
                      "top_logprobs: logprobs must be true to use it");
  }
  r.top_logprobs = static_cast<int>(top.value_or(0));
  return r;
}

CompletionRequest ToEngineRequest(const GenerationParams& gen,
                                  std::vector<int32_t> prompt_ids,
                                  int max_tokens, int top_logprobs,
                                  bool prompt_logprobs, absl::Time deadline) {
  CompletionRequest r;
  r.prompt_ids = std::move(prompt_ids);
  r.max_tokens = max_tokens;
  r.sampler = gen.sampler;
  r.stop = gen.stop;
  r.top_logprobs = top_logprobs;
  r.prompt_logprobs = prompt_logprobs;
  r.deadline = deadline;
  return r;
}

}  // namespace seedlm::serve
