#include "proto/rpc/convert.h"

#include "gtest/gtest.h"

namespace seedlm::rpc {
namespace {

// Every preset of both families round-trips; the fields of the other family
// stay zero on the wire.
TEST(ConvertTest, CodecParamsRoundTripBothFamilies) {
  for (const std::string& name : PresetNames()) {
    const CodecConfig c = *PresetByName(name);
    const v1::CodecParams p = ToProto(c);
    EXPECT_EQ(p.family(), c.is_trellis() ? v1::CODEC_FAMILY_TRELLIS
                                         : v1::CODEC_FAMILY_BLOCK)
        << name;
    EXPECT_EQ(p.c() == 0, c.is_trellis()) << name;
    EXPECT_EQ(p.trellis_l() == 0, !c.is_trellis()) << name;
    auto back = FromProto(p);
    ASSERT_TRUE(back.ok()) << name << ": " << back.status();
    EXPECT_EQ(*back, c) << name;
  }
  CodecConfig norot = *PresetByName("3bit-t");
  norot.trellis.rotate = false;
  EXPECT_EQ(*FromProto(ToProto(norot)), norot);
}

// A message from before the trellis (no family) is a block codec; an
// unknown family or out-of-range trellis parameters are INVALID_ARGUMENT.
TEST(ConvertTest, CodecParamsFamilyRules) {
  v1::CodecParams old = ToProto(*PresetByName("4bit"));
  old.clear_family();
  EXPECT_EQ(*FromProto(old), *PresetByName("4bit"));
  old.set_family(static_cast<v1::CodecFamily>(7));
  EXPECT_EQ(FromProto(old).status().code(), absl::StatusCode::kInvalidArgument);
  v1::CodecParams t = ToProto(*PresetByName("4bit-t"));
  t.set_trellis_l(40);
  EXPECT_EQ(FromProto(t).status().code(), absl::StatusCode::kInvalidArgument);
  t = ToProto(*PresetByName("4bit-t"));
  t.set_trellis_t(100);  // not a power of two
  EXPECT_EQ(FromProto(t).status().code(), absl::StatusCode::kInvalidArgument);
}

// Every storage kind, the trellis included, round-trips.
TEST(ConvertTest, StorageKindsRoundTrip) {
  for (Storage s : {Storage::kF32, Storage::kF16, Storage::kBF16,
                    Storage::kSeedLM, Storage::kTrellis}) {
    EXPECT_EQ(*FromProto(ToProto(s)), s);
  }
  EXPECT_EQ(ToProto(Storage::kTrellis), v1::TENSOR_STORAGE_TRELLIS);
  EXPECT_EQ(FromProto(v1::TENSOR_STORAGE_UNSPECIFIED).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm::rpc
