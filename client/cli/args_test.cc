#include "client/cli/args.h"

#include <cstdint>

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

TEST(ArgsTest, RangeCheckedNumbers) {
  FlagSpec spec;
  spec.with_value = {"n", "u", "x"};
  auto value = [&](const std::string& flag, const std::string& v) {
    auto a = Parse({"--" + flag, v}, spec);
    EXPECT_TRUE(a.ok());
    return *a;
  };
  const auto kBad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(*value("n", "7").GetIntIn("n", 0, 0, 7), 7);
  EXPECT_EQ(*Parse({}, spec)->GetIntIn("n", 3, 0, 7), 3);
  for (const char* v : {"8", "-1", "9223372036854775808", "1.5", "", "x"}) {
    EXPECT_EQ(value("n", v).GetIntIn("n", 0, 0, 7).status().code(), kBad) << v;
  }
  EXPECT_EQ(*value("u", "18446744073709551615").GetUint64("u", 0), UINT64_MAX);
  for (const char* v : {"-1", "+1", "18446744073709551616", "1e3", ""}) {
    EXPECT_EQ(value("u", v).GetUint64("u", 0).status().code(), kBad) << v;
  }
  EXPECT_EQ(*value("x", "0.5").GetDoubleIn("x", 0, 0, 1), 0.5);
  for (const char* v : {"nan", "inf", "-inf", "1.0001", "-0.1", "", "1e999"}) {
    EXPECT_EQ(value("x", v).GetDoubleIn("x", 0, 0, 1).status().code(), kBad)
        << v;
  }
}

}  // namespace
}  // namespace seedlm::cli
