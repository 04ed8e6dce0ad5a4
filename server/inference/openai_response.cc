// The response half of openai_api.h: response objects, chunks and SSE.

#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/inference/openai_api.h"

namespace seedlm::serve {
namespace {

Json NullIfEmpty(absl::string_view s) {
  return s.empty() ? Json() : Json(std::string(s));
}

Json Bytes(absl::string_view s) {
  Json bytes = Json::array();
  for (unsigned char c : s) bytes.push_back(static_cast<int>(c));
  return bytes;
}

Json ChatTokenEntry(absl::string_view text, float logprob) {
  return Json{{"token", std::string(text)},
              {"logprob", logprob},
              {"bytes", Bytes(text)}};
}

}  // namespace

std::string NewRequestId(absl::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i, a >>= 4) id += kHex[a & 15];
  for (int i = 0; i < 8; ++i, b >>= 4) id += kHex[b & 15];
  return id;
}

std::string OpenAiFinishReason(absl::string_view engine_reason) {
  if (engine_reason == "context") return "length";
  return std::string(engine_reason);
}

std::string EventsText(absl::Span<const TokenEvent> events) {
  std::string text;
  for (const TokenEvent& e : events) text += e.text;
  return text;
}

Json LegacyLogprobs(absl::Span<const TokenEvent> events, size_t text_offset,
                    const TokenTextFn& token_text) {
  Json tokens = Json::array(), token_logprobs = Json::array(),
       top_logprobs = Json::array(), offsets = Json::array();
  for (size_t i = 0; i < events.size(); ++i) {
    const TokenEvent& e = events[i];
    tokens.push_back(e.text);
    offsets.push_back(text_offset);
    text_offset += e.text.size();
    // The very first prompt token has no context: no log-probability.
    if (e.is_prompt && i == 0) {
      token_logprobs.push_back(nullptr);
      top_logprobs.push_back(nullptr);
      continue;
    }
    token_logprobs.push_back(e.logprob);
    Json top = Json::object();
    for (const TokenLogprob& alt : e.top) {
      const std::string key = token_text(alt.id);
      if (!top.contains(key)) top[key] = alt.logprob;
    }
    const std::string chosen = token_text(e.id);
    if (!top.contains(chosen)) top[chosen] = e.logprob;
    top_logprobs.push_back(std::move(top));
  }
  return Json{{"tokens", std::move(tokens)},
              {"token_logprobs", std::move(token_logprobs)},
              {"top_logprobs", std::move(top_logprobs)},
              {"text_offset", std::move(offsets)}};
}

Json ChatLogprobs(absl::Span<const TokenEvent> events,
                  const TokenTextFn& token_text) {
  Json content = Json::array();
  for (const TokenEvent& e : events) {
    Json entry = ChatTokenEntry(e.text, e.logprob);
    Json top = Json::array();
    for (const TokenLogprob& alt : e.top) {
      top.push_back(ChatTokenEntry(token_text(alt.id), alt.logprob));
    }
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return Json{{"content", std::move(content)}, {"refusal", nullptr}};
}

Json UsageJson(int prompt_tokens, int completion_tokens) {
  return Json{{"prompt_tokens", prompt_tokens},
              {"completion_tokens", completion_tokens},
              {"total_tokens", prompt_tokens + completion_tokens}};
}

Json CompletionResponse(absl::string_view id, int64_t created,
                        absl::string_view model,
                        absl::Span<const ChoiceResult> choices, bool echo,
                        std::optional<int> logprobs,
                        const TokenTextFn& token_text) {
  Json list = Json::array();
  int prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    prompt_tokens += c.prompt_tokens;
    completion_tokens += c.completion_tokens;
    std::string text = echo ? c.prompt_text : std::string();
    text += EventsText(c.events);
    Json lp;  // null
    if (logprobs.has_value()) {
      std::vector<TokenEvent> all;
      if (echo) all = c.prompt_events;
      all.insert(all.end(), c.events.begin(), c.events.end());
      lp = LegacyLogprobs(all, 0, token_text);
    }
    list.push_back(Json{{"text", std::move(text)},
                        {"index", static_cast<int>(i)},
                        {"logprobs", std::move(lp)},
                        {"finish_reason", NullIfEmpty(c.finish_reason)}});
  }
  return Json{{"id", std::string(id)},
              {"object", "text_completion"},
              {"created", created},
              {"model", std::string(model)},
              {"choices", std::move(list)},
              {"usage", UsageJson(prompt_tokens, completion_tokens)}};
}

Json CompletionChunk(absl::string_view id, int64_t created,
                     absl::string_view model, int index, absl::string_view text,
                     Json logprobs, absl::string_view finish_reason) {
  Json choice{{"text", std::string(text)},
              {"index", index},
              {"logprobs", std::move(logprobs)},
              {"finish_reason", NullIfEmpty(finish_reason)}};
  return Json{{"id", std::string(id)},
              {"object", "text_completion"},
              {"created", created},
              {"model", std::string(model)},
              {"choices", Json::array({std::move(choice)})}};
}

Json ChatResponse(absl::string_view id, int64_t created,
                  absl::string_view model, const ChoiceResult& choice,
                  bool logprobs, const TokenTextFn& token_text) {
  Json message{{"role", "assistant"},
               {"content", EventsText(choice.events)},
               {"refusal", nullptr}};
  Json c{
      {"index", 0},
      {"message", std::move(message)},
      {"logprobs", logprobs ? ChatLogprobs(choice.events, token_text) : Json()},
      {"finish_reason", NullIfEmpty(choice.finish_reason)}};
  return Json{
      {"id", std::string(id)},
      {"object", "chat.completion"},
      {"created", created},
      {"model", std::string(model)},
      {"choices", Json::array({std::move(c)})},
      {"usage", UsageJson(choice.prompt_tokens, choice.completion_tokens)}};
}

Json ChatChunk(absl::string_view id, int64_t created, absl::string_view model,
               Json delta, Json logprobs, absl::string_view finish_reason) {
  Json c{{"index", 0},
         {"delta", std::move(delta)},
         {"logprobs", std::move(logprobs)},
         {"finish_reason", NullIfEmpty(finish_reason)}};
  return Json{{"id", std::string(id)},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", std::string(model)},
              {"choices", Json::array({std::move(c)})}};
}

Json UsageChunk(absl::string_view id, int64_t created, absl::string_view model,
                absl::string_view object, int prompt_tokens,
                int completion_tokens) {
  return Json{{"id", std::string(id)},
              {"object", std::string(object)},
              {"created", created},
              {"model", std::string(model)},
              {"choices", Json::array()},
              {"usage", UsageJson(prompt_tokens, completion_tokens)}};
}

Json ModelObject(absl::string_view id, int64_t created) {
  return Json{{"id", std::string(id)},
              {"object", "model"},
              {"created", created},
              {"owned_by", "seedlm"}};
}

Json ModelList(absl::string_view id, int64_t created) {
  return Json{{"object", "list"},
              {"data", Json::array({ModelObject(id, created)})}};
}

std::string SseData(const Json& j) {
  return absl::StrCat("data: ", DumpJson(j), "\n\n");
}

}  // namespace seedlm::serve
