// Chat templates: the Jinja template a Hugging Face model's
// tokenizer_config.json carries ("chat_template"), which turns a list of
// chat messages into the prompt text the model was trained on.
//
// Only the subset of Jinja that chat templates use is supported (see the
// implementation's header comment for the exact grammar); a template
// outside it is refused by Parse with UNIMPLEMENTED naming the construct,
// never rendered wrongly. Rendering is checked against Python's jinja2 in
// the tests.
//
// Thread-safety: a parsed ChatTemplate is immutable; Render may be called
// concurrently.

#ifndef SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_H_
#define SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace seedlm {

struct ChatMessage {
  std::string role;     // "system", "user", "assistant", ...
  std::string content;  // UTF-8 text
};

// Template variables besides `messages` and `add_generation_prompt`.
struct ChatTemplateTokens {
  std::string bos_token;
  std::string eos_token;
};

class ChatTemplate {
 public:
  // Parses `source`. INVALID_ARGUMENT for a syntax error (with its byte
  // offset); UNIMPLEMENTED for Jinja outside the supported subset;
  // RESOURCE_EXHAUSTED for a source over 64 KiB or nesting deeper than 32.
  static absl::StatusOr<ChatTemplate> Parse(absl::string_view source);

  // Renders the template with `messages`, `add_generation_prompt` and the
  // tokens. INVALID_ARGUMENT when the template raises an error
  // (raise_exception) or evaluates something undefined in a way Jinja
  // would refuse; RESOURCE_EXHAUSTED when the output would pass 16 MiB.
  absl::StatusOr<std::string> Render(absl::Span<const ChatMessage> messages,
                                     bool add_generation_prompt,
                                     const ChatTemplateTokens& tokens) const;

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

 private:
  struct Node;
  explicit ChatTemplate(std::unique_ptr<Node> root);
  std::unique_ptr<Node> root_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_TOKENIZER_CHAT_TEMPLATE_H_
