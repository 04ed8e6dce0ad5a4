#include "core/compress/compress_options.h"

#include "gtest/gtest.h"

namespace seedlm {
namespace {

TEST(DefaultExponentBiasTest, AutomaticExactlyWithoutABlockExponent) {
  for (const std::string& name : PresetNames()) {
    const CodecConfig c = *PresetByName(name);
    const std::optional<int> b = DefaultExponentBias(c);
    EXPECT_EQ(b.has_value(), c.E != 0) << name;
    if (b.has_value()) {
      EXPECT_EQ(*b, 0) << name;
    }
  }
  EXPECT_FALSE(DefaultExponentBias(*PresetByName("4bit-p4")).has_value());
  EXPECT_EQ(DefaultExponentBias(*PresetByName("4bit")), 0);
}

TEST(CompressOptionsTest, DefaultsFollowTheDefaultCodec) {
  const CompressOptions d;
  EXPECT_EQ(d.exponent_bias, DefaultExponentBias(d.codec));
  EXPECT_EQ(d.exponent_bias, 0);
  const CompressOptions p4 =
      CompressOptions::ForCodec(*PresetByName("4bit-p4"));
  EXPECT_EQ(p4.codec, *PresetByName("4bit-p4"));
  EXPECT_FALSE(p4.exponent_bias.has_value());
}

TEST(CompressOptionsTest, Validate) {
  CompressOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.exponent_bias.reset();  // automatic works for an E > 0 codec too
  EXPECT_TRUE(o.Validate().ok());
  for (int ok_bias : {-128, 127}) {
    o.exponent_bias = ok_bias;
    EXPECT_TRUE(o.Validate().ok()) << ok_bias;
  }
  for (int bad_bias : {-129, 128, 1000}) {
    o.exponent_bias = bad_bias;
    EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument)
        << bad_bias;
  }
  auto expect_invalid = [](const CompressOptions& bad, const char* what) {
    const absl::Status s = bad.Validate();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << what;
    EXPECT_NE(s.message().find(what), absl::string_view::npos) << s;
  };
  CompressOptions bad;
  bad.codec.C = 0;
  expect_invalid(bad, "C");
  bad = CompressOptions();
  bad.codec.P = 9;
  expect_invalid(bad, "P");
  bad = CompressOptions();
  bad.mode = static_cast<ExponentMode>(7);
  expect_invalid(bad, "exponent mode");
  bad = CompressOptions();
  bad.algorithm = static_cast<SearchAlgorithm>(5);
  expect_invalid(bad, "search algorithm");
  bad = CompressOptions();
  bad.exclude = {"[unclosed"};
  expect_invalid(bad, "[unclosed");
}

}  // namespace
}  // namespace seedlm
