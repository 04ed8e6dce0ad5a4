#include "core/tokenizer/chat_template.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using ::testing::HasSubstr;

const std::vector<ChatMessage>& Conversation() {
  static const auto* kMessages = new std::vector<ChatMessage>{
      {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}};
  return *kMessages;
}

absl::StatusOr<std::string> Render(
    const std::string& src,
    const std::vector<ChatMessage>& messages = Conversation(),
    bool add_generation_prompt = true) {
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(src);
  if (!t.ok()) return t.status();
  return t->Render(messages, add_generation_prompt, {"<s>", "</s>"});
}

// Renders and expects success.
std::string R(const std::string& src,
              const std::vector<ChatMessage>& messages = Conversation()) {
  absl::StatusOr<std::string> out = Render(src, messages);
  EXPECT_TRUE(out.ok()) << src << ": " << out.status();
  return out.ok() ? *out : "<error>";
}

absl::StatusCode ParseCode(const std::string& src) {
  return ChatTemplate::Parse(src).status().code();
}

TEST(ChatTemplateTest, ChatMLWithGenerationPrompt) {
  const std::string chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
      "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
      "{% endif %}";
  EXPECT_EQ(R(chatml),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n"
            "<|im_start|>assistant\n");
  absl::StatusOr<std::string> no_prompt =
      Render(chatml, {{"user", "x"}}, /*add_generation_prompt=*/false);
  ASSERT_TRUE(no_prompt.ok());
  EXPECT_EQ(*no_prompt, "<|im_start|>user\nx<|im_end|>\n");
}

TEST(ChatTemplateTest, TextCommentsAndTokens) {
  EXPECT_EQ(R("plain text"), "plain text");
  EXPECT_EQ(R("a{# note #}b"), "ab");
  EXPECT_EQ(R("{{ bos_token }}x{{ eos_token }}"), "<s>x</s>");
  EXPECT_EQ(R(""), "");
  EXPECT_EQ(R("a\n"), "a");  // jinja2 drops one trailing newline
  EXPECT_EQ(R("a\r\nb\rc"), "a\nb\nc");
}

TEST(ChatTemplateTest, IfElifElse) {
  const std::string t =
      "{% for m in messages %}{% if m.role == 'system' %}S{% elif m.role == "
      "'user' %}U{% else %}A{% endif %}{% endfor %}";
  EXPECT_EQ(R(t), "SUA");
  EXPECT_EQ(R("{% if false %}x{% endif %}"), "");
}

TEST(ChatTemplateTest, ForLoopVariables) {
  EXPECT_EQ(R("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}"
              "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"),
            "10TrueFalse3;21FalseFalse3;32FalseTrue3;");
  EXPECT_EQ(R("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("{% for x in [1, 2, 3] if x != 2 %}{{ x }}{{ loop.length }}"
              "{% endfor %}"),
            "1232");
  EXPECT_EQ(R("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}"
              "{% endif %}{{ x }}{% if x == 3 %}{% break %}{% endif %}"
              "{% endfor %}"),
            "13");
}

TEST(ChatTemplateTest, SetScopingFollowsJinja) {
  // `set` in a loop body is local to the iteration; in `if` it is not.
  EXPECT_EQ(R("{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}"
              "{{ x }}{% endfor %}{{ x }}"),
            "01020");
  EXPECT_EQ(R("{% if true %}{% set y = 'y' %}{% endif %}{{ y }}"), "y");
  EXPECT_EQ(R("{% set messages = messages[1:] %}{{ messages|length }}"), "2");
}

TEST(ChatTemplateTest, WhitespaceControl) {
  EXPECT_EQ(R("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(R("x {{- ' y ' -}} z"), "x y z");
  // trim_blocks: the newline after a block tag goes; lstrip_blocks: the
  // indentation before it too. Not so for {{ }}.
  EXPECT_EQ(R("  {% if true %}\n  x\n  {% endif %}\n  y"), "  x\n  y");
  EXPECT_EQ(R("a\n  {{ 1 }}\n"), "a\n  1");
  EXPECT_EQ(R("a  {# c #}\nb"), "a  b");
  // + turns lstrip_blocks / trim_blocks off for one tag.
  EXPECT_EQ(R("  {%+ if true %}x{% endif +%}\ny"), "  x\ny");
}

TEST(ChatTemplateTest, ExpressionsFollowPython) {
  EXPECT_EQ(R("{{ 'a' ~ 1 ~ none ~ true ~ nothing }}"), "a1NoneTrue");
  EXPECT_EQ(R("{{ [1, 'x', none, ('t',), {'k': \"it's\"}] }}"),
            "[1, 'x', None, ('t',), {'k': \"it's\"}]");
  EXPECT_EQ(R("{{ -7 // 2 }} {{ -7 % 3 }} {{ 2 + 3 * 4 }} {{ 'ab' * 2 }}"),
            "-4 2 14 abab");
  EXPECT_EQ(R("{{ 'héllo'[1:3] }} {{ 'abc'[-1] }} {{ [1, 2, 3][::-1] }}"),
            "él c [3, 2, 1]");
  EXPECT_EQ(R("{{ 1 < 2 < 3 }} {{ 'ell' in 'hello' }} {{ 3 not in [3] }}"),
            "True True False");
  EXPECT_EQ(R("{{ 0 or 'b' }} {{ 'a' and 'c' }} {{ not none }}"), "b c True");
  EXPECT_EQ(R("{{ 'y' if messages else 'n' }}{{ 'x' if false }}"), "y");
  EXPECT_EQ(R("{{ \"q\\\"\\n\\x41\\u00e9\" }}"), "q\"\nAé");
  EXPECT_EQ(R("{{ messages[0].content }} {{ messages[-1]['role'] }} "
              "{{ messages.1.role }}"),
            "Be brief. assistant user");
}

TEST(ChatTemplateTest, FiltersTestsAndMethods) {
  EXPECT_EQ(R("{{ '  x '|trim }}|{{ 'aBc'|upper }}|{{ 'aBc'|lower }}|"
              "{{ messages|length }}|{{ nothing|default('d') }}|"
              "{{ ''|default('d', true) }}"),
            "x|ABC|abc|3|d|d");
  EXPECT_EQ(R("{{ nothing is defined }} {{ nothing is not defined }} "
              "{{ none is none }} {{ 'a' is string }} {{ 1 is string }}"),
            "False True True True False");
  EXPECT_EQ(R("{{ ' a '.strip() }}|{{ 'abc'.startswith('ab') }}|"
              "{{ 'a,b'.split(',') }}|{{ 'x-y'.replace('-', '+') }}"),
            "a|True|['a', 'b']|x+y");
}

TEST(ChatTemplateTest, UndefinedBehavesAsJinja) {
  EXPECT_EQ(R("[{{ nothing }}]{% if nothing %}x{% endif %}"
              "{% for c in nothing %}y{% endfor %}{{ nothing|length }}"),
            "[]0");
  absl::StatusOr<std::string> attr = Render("{{ nothing.attr }}");
  EXPECT_EQ(attr.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(attr.status().message(), HasSubstr("'nothing' is undefined"));
  // A missing key is Undefined; an attribute of that is the error.
  EXPECT_EQ(R("[{{ messages[0].missing }}]"), "[]");
  EXPECT_EQ(Render("{{ messages[0].missing.deeper }}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Render("{{ nothing + 1 }}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChatTemplateTest, RaiseExceptionIsInvalidArgumentWithItsMessage) {
  absl::StatusOr<std::string> out = Render(
      "{% if messages[0].role == 'system' %}"
      "{{ raise_exception('System role not supported') }}{% endif %}");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "System role not supported");
}

TEST(ChatTemplateTest, RuntimeTypeErrorsAreInvalidArgument) {
  for (const char* src :
       {"{{ 'a' + 1 }}", "{{ 1 in 'abc' }}", "{% for x in none %}{% endfor %}",
        "{{ 1 // 0 }}", "{{ 5|length }}", "{{ 1 < 'a' }}",
        "{{ none.strip() }}"}) {
    EXPECT_EQ(Render(src).status().code(), absl::StatusCode::kInvalidArgument)
        << src;
  }
}

TEST(ChatTemplateTest, SyntaxErrorsAreInvalidArgumentWithOffset) {
  absl::Status s = ChatTemplate::Parse("abc{% if %}").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("offset"));
  for (const char* src :
       {"{% if true %}", "{% endif %}", "{{ 1 + }}", "{{ (1 }}", "{{ 1 ]}}",
        "{# open", "{{ 'unterminated }}", "{% for x %}{% endfor %}",
        "{% foo %}", "{{ x $ y }}", "{% break %}", "{{ }}", "{% set = 1 %}",
        "{{ 'a'.strip(1, 2) }}", "{{ x|trim(1, 2) }}"}) {
    EXPECT_EQ(ParseCode(src), absl::StatusCode::kInvalidArgument) << src;
  }
  EXPECT_EQ(ParseCode("\xff{{ 1 }}"), absl::StatusCode::kInvalidArgument);
}

TEST(ChatTemplateTest, OutsideTheSubsetIsUnimplementedAtParse) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{% macro m() %}{% endmacro %}", "'macro'"},
      {"{% set ns = namespace(a=1) %}", "namespace"},
      {"{% set ns.a = 1 %}", "attribute"},
      {"{% for a, b in x %}{% endfor %}", "unpacking"},
      {"{{ x|tojson }}", "'tojson'"},
      {"{{ x is divisibleby(3) }}", "divisibleby"},
      {"{{ x is sameas none }}", "sameas"},
      {"{{ 1.5 }}", "float"},
      {"{{ 4 / 2 }}", "'/'"},
      {"{{ 2 ** 3 }}", "'**'"},
      {"{{ range(3) }}", "'range'"},
      {"{{ 'a'.title() }}", "title"},
      {"{% raw %}x{% endraw %}", "raw"},
      {"{% set x %}a{% endset %}", "block assignment"},
      {"{% include 'x' %}", "'include'"},
      {"{% for x in y recursive %}{% endfor %}", "recursive"},
  };
  for (const auto& [src, what] : cases) {
    absl::Status s = ChatTemplate::Parse(src).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << src << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(what)) << src;
    EXPECT_THAT(s.message(), HasSubstr("offset")) << src;
  }
}

TEST(ChatTemplateTest, SourceAndNestingLimits) {
  const std::string big(64 * 1024 + 1, 'x');
  EXPECT_EQ(ParseCode(big), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(ChatTemplate::Parse(std::string(64 * 1024, 'x')).ok());

  auto nested_ifs = [](int n) {
    std::string s;
    for (int k = 0; k < n; ++k) s += "{% if true %}";
    s += "x";
    for (int k = 0; k < n; ++k) s += "{% endif %}";
    return s;
  };
  EXPECT_EQ(R(nested_ifs(31)), "x");
  EXPECT_EQ(ParseCode(nested_ifs(40)), absl::StatusCode::kResourceExhausted);

  auto nested_parens = [](int n) {
    return "{{ " + std::string(n, '(') + "1" + std::string(n, ')') + " }}";
  };
  EXPECT_EQ(R(nested_parens(20)), "1");
  EXPECT_EQ(ParseCode(nested_parens(40)), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ParseCode("{{ " + std::string(40, '-') + "1 }}"),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(
      ParseCode("{{ " +
                absl::StrCat(std::string(40, '['), "1", std::string(40, ']')) +
                " }}"),
      absl::StatusCode::kResourceExhausted);
}

TEST(ChatTemplateTest, OutputAndValueLimits) {
  // One value over 16 MiB.
  EXPECT_EQ(Render("{{ 'x' * 20000000 }}").status().code(),
            absl::StatusCode::kResourceExhausted);
  // Output over 16 MiB from many small pieces.
  std::vector<ChatMessage> many(17,
                                ChatMessage{"user", std::string(1 << 20, 'a')});
  EXPECT_EQ(Render("{% for m in messages %}{{ m.content }}{% endfor %}", many)
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  many.resize(15);
  EXPECT_TRUE(
      Render("{% for m in messages %}{{ m.content }}{% endfor %}", many).ok());
  // Doubling a string cannot run away.
  std::string doubling = "{% set s = 'xxxxxxxxxxxxxxxx' %}";
  for (int k = 0; k < 30; ++k) doubling += "{% set s = s ~ s %}";
  EXPECT_EQ(Render(doubling).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ChatTemplateTest, InvalidUtf8MessageIsInvalidArgument) {
  EXPECT_EQ(
      Render("{{ messages[0].content }}", {{"user", "\xc3("}}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(ChatTemplateTest, RenderIsConstAndThreadSafe) {
  absl::StatusOr<ChatTemplate> t = ChatTemplate::Parse(
      "{% for m in messages %}[{{ m.role }}:{{ m.content|trim }}]{% endfor %}");
  ASSERT_TRUE(t.ok());
  std::vector<std::string> outs(8);
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back([&, k] {
      for (int r = 0; r < 200; ++r) {
        absl::StatusOr<std::string> out =
            t->Render({{"user", " m" + std::to_string(k) + " "}}, false, {});
        outs[k] = out.ok() ? *out : "error";
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(outs[k], "[user:m" + std::to_string(k) + "]");
  }
  ChatTemplate moved = std::move(*t);
  EXPECT_TRUE(moved.Render({}, false, {}).ok());
}

}  // namespace
}  // namespace seedlm
