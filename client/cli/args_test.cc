#include "client/cli/args.h"

#include "gtest/gtest.h"

namespace seedlm::cli {
namespace {

absl::StatusOr<Args> Parse(std::vector<std::string> v, const FlagSpec& spec) {
  std::vector<char*> argv;
  for (auto& s : v) argv.push_back(s.data());
  return ParseArgs(static_cast<int>(argv.size()), argv.data(), 0, spec);
}

TEST(ArgsTest, FlagsAndPositionals) {
  FlagSpec spec;
  spec.with_value = {"preset", "include"};
  spec.repeated = {"include"};
  spec.boolean = {"json"};
  auto a = Parse({"in.bin", "--preset", "3bit", "--include=a", "--json",
                  "--include", "b", "out"},
                 spec);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->positional, (std::vector<std::string>{"in.bin", "out"}));
  EXPECT_EQ(a->Get("preset"), "3bit");
  EXPECT_EQ(a->All("include"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(a->Bool("json"));
  EXPECT_EQ(a->Get("missing", "dflt"), "dflt");
}

TEST(ArgsTest, Errors) {
  FlagSpec spec;
  spec.with_value = {"threads"};
  spec.boolean = {"json"};
  EXPECT_EQ(Parse({"--bogus"}, spec).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--threads"}, spec).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--threads", "1", "--threads", "2"}, spec).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--json=1"}, spec).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto a = Parse({"--threads", "x"}, spec);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->GetInt("threads", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto b = Parse({"--", "--json"}, spec);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->positional, (std::vector<std::string>{"--json"}));
}

}  // namespace
}  // namespace seedlm::cli
