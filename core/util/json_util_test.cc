#include "core/util/json_util.h"

#include <string>

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(JsonUtilTest, DepthCountsOnlyStructureOutsideStrings) {
  EXPECT_EQ(JsonNestingDepth("1", 10), 0);
  EXPECT_EQ(JsonNestingDepth("[[{}]]", 10), 3);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[[\"[["})", 10), 1);
  EXPECT_EQ(JsonNestingDepth(std::string(1000, '['), 5), 6);
}

TEST(JsonUtilTest, ParseRefusesDeepNestingBeforeBuilding) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  absl::StatusOr<Json> j = ParseJson(deep, "deep.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(j.status().message().find("deep.json"), std::string::npos);
  EXPECT_TRUE(ParseJson(std::string(64, '[') + std::string(64, ']'), "x").ok());
}

TEST(JsonUtilTest, ParseRefusesOversizeText) {
  JsonLimits limits;
  limits.max_bytes = 8;
  EXPECT_EQ(ParseJson("[1,2,3,4,5]", "x", limits).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(JsonUtilTest, ParseRefusesTooManyItemsBeforeBuilding) {
  EXPECT_EQ(CountJsonItems(R"({"a":[1,2],"b":",,,"})", 100), 7u);
  JsonLimits limits;
  limits.max_items = 6;
  EXPECT_EQ(ParseJson(R"({"a":[1,2],"b":",,,"})", "x", limits).status().code(),
            absl::StatusCode::kResourceExhausted);
  limits.max_items = 7;
  EXPECT_TRUE(ParseJson(R"({"a":[1,2],"b":",,,"})", "x", limits).ok());
}

TEST(JsonUtilTest, NulIsDataLossNotTheEndOfText) {
  // nlohmann's parser would stop at the NUL and accept `{}`.
  const std::string text("{}\0garbage", 10);
  absl::StatusOr<Json> j = ParseJson(text, "x");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(j.status().message().find("offset 2"), std::string::npos);
}

TEST(JsonUtilTest, MalformedAndBadUtf8AreDataLoss) {
  EXPECT_EQ(ParseJson("{\"a\":", "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseJson("\"\xff\xfe\"", "x").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseJson("", "x").status().code(), absl::StatusCode::kDataLoss);
}

TEST(JsonUtilTest, DumpNeverThrowsOnInvalidUtf8) {
  Json j = std::string("a\xff");
  EXPECT_EQ(DumpJson(j), "\"a\xEF\xBF\xBD\"");
}

TEST(JsonUtilTest, AccessorsCheckTypeAndRange) {
  const Json j =
      *ParseJson(R"({"s":"x","i":7,"big":18446744073709551615,"f":2.5,"e":1e3,)"
                 R"("neg":-3,"b":true,"n":null,"a":[1],"o":{}})",
                 "x");
  EXPECT_EQ(*JsonString(j, "s", "c"), "x");
  EXPECT_EQ(*JsonInt(j, "i", 0, 10, "c"), 7);
  EXPECT_EQ(*JsonInt(j, "e", 0, 1000, "c"), 1000);
  EXPECT_EQ(JsonInt(j, "i", 0, 6, "c").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(JsonInt(j, "big", 0, INT64_MAX, "c").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(JsonInt(j, "f", 0, 10, "c").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(JsonInt(j, "neg", 0, 10, "c").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(*JsonInt(j, "neg", -5, 10, "c"), -3);
  const absl::Status wrong = JsonInt(j, "s", 0, 10, "cfg").status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(wrong.message(), "cfg.s: expected an integer, got string");
  EXPECT_DOUBLE_EQ(*JsonNumber(j, "f", 0, 3, "c"), 2.5);
  EXPECT_FALSE(JsonNumber(j, "s", 0, 3, "c").ok());
  EXPECT_TRUE(*JsonBool(j, "b", "c"));
  EXPECT_FALSE(JsonBool(j, "i", "c").ok());
  EXPECT_FALSE(JsonOptInt(j, "n", 0, 1, "c")->has_value());
  EXPECT_FALSE(JsonOptInt(j, "missing", 0, 1, "c")->has_value());
  EXPECT_EQ(JsonString(j, "missing", "c").status().message(),
            "c.missing: missing (required)");
  EXPECT_TRUE(JsonArray(j, "a", "c").ok());
  EXPECT_FALSE(JsonArray(j, "o", "c").ok());
  EXPECT_TRUE(JsonObject(j, "o", "c").ok());
  EXPECT_FALSE(JsonObject(j, "a", "c").ok());
  // Member access on a non-object is an error, not an exception.
  EXPECT_EQ(JsonString(Json::array({1}), "s", "c").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace seedlm
