// Cross-check of ChatTemplate against Python's jinja2: testdata/
// chat_templates/render_jinja.py renders every template there (real models'
// chat templates and templates exercising each construct) with several
// message lists, the way transformers' apply_chat_template does, and this
// test renders the same cases and compares byte for byte.
//
// Without python3 or jinja2 the test skips, unless SEEDLM_REQUIRE_SHARED_DATA
// is set (CI), where it fails.
#include <chrono>
#include <string>
#include <vector>

#include "core/tokenizer/chat_template.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/subprocess.h"

namespace seedlm {
namespace {

constexpr char kDir[] = "core/tokenizer/testdata/chat_templates";

TEST(ChatTemplateJinjaTest, MatchesPythonJinja2ByteForByte) {
  testing::SubprocessOptions opts;
  opts.timeout = std::chrono::seconds(120);
  absl::StatusOr<testing::SubprocessResult> run = testing::RunSubprocess(
      {"/usr/bin/env", "python3", std::string(kDir) + "/render_jinja.py", kDir},
      opts);
  ASSERT_TRUE(run.ok()) << run.status();
  // 3: the script found no jinja2; 127: /usr/bin/env found no python3.
  if (run->exit_code == 3 || run->exit_code == 127) {
    const std::string why =
        "python3 with jinja2 is needed (install python3-jinja2): " + run->err;
    if (SharedDataRequired()) FAIL() << why;
    GTEST_SKIP() << why;
  }
  ASSERT_EQ(run->exit_code, 0) << "render_jinja.py failed: " << run->err;
  const nlohmann::json doc = nlohmann::json::parse(run->out);
  const nlohmann::json& cases = doc.at("cases");
  ASSERT_GE(cases.size(), 200u);  // 15 templates x 8 message lists x 2
  int outputs = 0, errors = 0, mismatches = 0;
  for (const nlohmann::json& c : cases) {
    std::vector<ChatMessage> messages;
    for (const nlohmann::json& m : c.at("messages")) {
      messages.push_back({m.at("role").get<std::string>(),
                          m.at("content").get<std::string>()});
    }
    const std::string where =
        c.at("template").get<std::string>() + " with " +
        std::to_string(messages.size()) + " messages, add_generation_prompt=" +
        (c.at("add_generation_prompt").get<bool>() ? "true" : "false");
    absl::StatusOr<ChatTemplate> tmpl =
        ChatTemplate::Parse(c.at("source").get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << where << ": " << tmpl.status();
    absl::StatusOr<std::string> got =
        tmpl->Render(messages, c.at("add_generation_prompt").get<bool>(),
                     {c.at("bos_token").get<std::string>(),
                      c.at("eos_token").get<std::string>()});
    if (c.contains("output")) {
      ++outputs;
      ASSERT_TRUE(got.ok()) << where << ": " << got.status();
      const std::string want = c.at("output").get<std::string>();
      if (*got != want) {
        size_t at = 0;
        while (at < got->size() && at < want.size() && (*got)[at] == want[at]) {
          ++at;
        }
        ADD_FAILURE() << where << ": differs from jinja2 at byte " << at
                      << "\n  jinja2: " << nlohmann::json(want.substr(at, 80))
                      << "\n  ours:   " << nlohmann::json(got->substr(at, 80));
        ASSERT_LT(++mismatches, 10) << "stopping after 10 mismatches";
      }
    } else {
      ++errors;
      ASSERT_FALSE(got.ok()) << where << ": jinja2 failed with "
                             << c.at("error") << ", we rendered " << *got;
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
          << where << ": " << got.status();
      if (c.value("raised", false)) {
        EXPECT_EQ(got.status().message(), c.at("error").get<std::string>())
            << where;
      }
    }
  }
  // Both kinds are exercised (a corpus that stopped rendering would not
  // pass silently).
  EXPECT_GE(outputs, 150);
  EXPECT_GE(errors, 10);
}

}  // namespace
}  // namespace seedlm
