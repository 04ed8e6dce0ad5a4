#include "client/cli/complete_args.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace seedlm::cli {
namespace {

// argv as main() gets it: "seedlm", "complete", then `rest`.
struct Argv {
  explicit Argv(std::vector<std::string> rest) {
    strings = {"seedlm", "complete"};
    for (std::string& s : rest) strings.push_back(std::move(s));
    for (std::string& s : strings) ptrs.push_back(s.data());
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> strings;
  std::vector<char*> ptrs;
};

absl::StatusOr<CompleteCommand> Parse(std::vector<std::string> rest) {
  Argv a(std::move(rest));
  return ParseCompleteArgs(a.argc(), a.argv());
}

absl::StatusCode Code(std::vector<std::string> rest) {
  return Parse(std::move(rest)).status().code();
}

TEST(CompleteArgsTest, Defaults) {
  auto c = Parse({"--server", "h:1", "--prompt", "Once"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connection.address, "h:1");
  EXPECT_EQ(c->connection.token, "");
  EXPECT_EQ(c->connection.tls_ca_path, "");
  EXPECT_EQ(c->connection.connect_timeout, absl::Seconds(30));
  const v1::GenerateRequest& r = c->request;
  EXPECT_EQ(r.text(), "Once");
  EXPECT_FALSE(r.has_add_bos());  // the server's default: with BOS
  EXPECT_EQ(r.max_tokens(), kCompleteDefaultMaxTokens);
  EXPECT_EQ(r.temperature(), 0);
  EXPECT_EQ(r.top_p(), 1);
  EXPECT_EQ(r.seed(), 0u);
  EXPECT_EQ(r.stop_size(), 0);
  EXPECT_FALSE(c->stream);
  EXPECT_FALSE(c->json);
  // An empty prompt is allowed (BOS alone), as in `seedlm generate`.
  auto e = Parse({"--server", "h:1", "--prompt", ""});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->request.text(), "");
}

TEST(CompleteArgsTest, EveryFlagReachesTheRequest) {
  auto c = Parse({"--server=h:2",
                  "--prompt",
                  "p",
                  "--max-tokens",
                  "7",
                  "--temperature",
                  "0.8",
                  "--top-p",
                  "0.95",
                  "--seed",
                  "18446744073709551615",
                  "--stop",
                  "\n",
                  "--stop",
                  "The end",
                  "--stream",
                  "--json",
                  "--token",
                  "tok-123456",
                  "--tls-ca",
                  "ca.pem",
                  "--connect-timeout",
                  "5"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connection.address, "h:2");
  EXPECT_EQ(c->connection.token, "tok-123456");
  EXPECT_EQ(c->connection.tls_ca_path, "ca.pem");
  EXPECT_EQ(c->connection.connect_timeout, absl::Seconds(5));
  const v1::GenerateRequest& r = c->request;
  EXPECT_EQ(r.max_tokens(), 7);
  EXPECT_EQ(r.temperature(), 0.8);
  EXPECT_EQ(r.top_p(), 0.95);
  EXPECT_EQ(r.seed(), 18446744073709551615ull);
  ASSERT_EQ(r.stop_size(), 2);
  EXPECT_EQ(r.stop(0), "\n");
  EXPECT_EQ(r.stop(1), "The end");
  EXPECT_TRUE(c->stream);
  EXPECT_TRUE(c->json);
}

TEST(CompleteArgsTest, UsageErrors) {
  using V = std::vector<std::string>;
  const absl::StatusCode bad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(Code({"--prompt", "p"}), bad);    // no server
  EXPECT_EQ(Code({"--server", "h:1"}), bad);  // no prompt
  EXPECT_EQ(Code({"--server", "h:1", "--prompt", "p", "extra"}), bad);
  EXPECT_EQ(Code({"--server", "h:1", "--prompt", "p", "--bogus"}), bad);
  const V base = {"--server", "h:1", "--prompt", "p"};
  const std::vector<V> flags = {
      {"--max-tokens", "-1"},
      {"--max-tokens", "x"},
      {"--temperature", "-1"},
      {"--temperature", "nan"},
      {"--temperature", "1000"},
      {"--top-p", "0"},
      {"--top-p", "1.5"},
      {"--seed", "-1"},
      {"--stop", ""},
      {"--connect-timeout", "0"},
      {"--token", "a", "--token-file", "f"},
  };
  for (const V& f : flags) {
    V args = base;
    args.insert(args.end(), f.begin(), f.end());
    EXPECT_EQ(Code(args), bad) << f[0] << " " << f[1];
  }
  V many = base;
  for (int i = 0; i < 17; ++i) {
    many.push_back("--stop");
    many.push_back("s" + std::to_string(i));
  }
  absl::StatusOr<CompleteCommand> m = Parse(many);
  EXPECT_EQ(m.status().code(), bad);
  EXPECT_NE(m.status().message().find("stop"), absl::string_view::npos)
      << m.status();
}

TEST(CompleteArgsTest, TokenFile) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/complete_args_token";
  std::ofstream(path) << "  secret-token-42\n";
  auto c = Parse({"--server", "h:1", "--prompt", "p", "--token-file", path});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connection.token, "secret-token-42");
  std::ofstream(path, std::ios::trunc) << " \n";
  EXPECT_EQ(Code({"--server", "h:1", "--prompt", "p", "--token-file", path}),
            absl::StatusCode::kInvalidArgument);
  ::unlink(path.c_str());
  EXPECT_EQ(Code({"--server", "h:1", "--prompt", "p", "--token-file", path}),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace seedlm::cli
