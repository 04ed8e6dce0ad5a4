#include "core/compress/handshake.h"

#include <cstring>
#include <vector>

#include "core/compress/plan_test_util.h"
#include "core/search/seed_table.h"
#include "core/util/crc32.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::OddCodec;

TEST(HandshakeTest, CodecId) {
  EXPECT_EQ(CodecId(*PresetByName("4bit")), "C8-P3-K16-Q4-E4-paper");
  EXPECT_EQ(CodecId(*PresetByName("4bit-p4")), "C8-P4-K16-Q4-E0-i8");
  EXPECT_EQ(CodecId(OddCodec()), "C8-P3-K12-Q3-E2-paper");
}

// The documented serialisation, written out independently (the host's
// in-memory bytes, on a little-endian host).
TEST(HandshakeTest, CrcOfTheDocumentedSerialisation) {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  if (first != 1) GTEST_SKIP() << "big-endian host";
  const CodecConfig c = OddCodec();
  auto table = *SeedTable::Get(c);
  const size_t cp = static_cast<size_t>(c.C) * c.P;
  uint32_t crc = 0;
  for (uint32_t s = 1; s <= table->num_seeds(); ++s) {
    crc = Crc32(table->matrix(s), cp * sizeof(int32_t), crc);
    crc = Crc32(table->pinv(s), cp * sizeof(double), crc);
  }
  EXPECT_EQ(*SeedTableCrc32(c), crc);
}

TEST(HandshakeTest, StableAcrossCallsAndDistinctAcrossCodecs) {
  const CodecConfig p4 = *PresetByName("4bit-p4");
  const CodecHandshake a = *CodecHandshakeFor(p4);
  EXPECT_EQ(a.codec_id, CodecId(p4));
  EXPECT_EQ(*CodecHandshakeFor(p4), a);              // cached
  EXPECT_EQ(*SeedTableCrc32(p4), a.seed_table_crc);  // recomputed
  const CodecHandshake odd = *CodecHandshakeFor(OddCodec());
  EXPECT_NE(odd, a);
  EXPECT_NE(odd.seed_table_crc, a.seed_table_crc);
  CodecConfig other_variant = OddCodec();
  other_variant.variant = Variant::kI8;
  EXPECT_NE(CodecHandshakeFor(other_variant)->seed_table_crc,
            odd.seed_table_crc);
  EXPECT_TRUE(CheckHandshake(a, a).ok());
  EXPECT_EQ(CheckHandshake(a, odd).code(),
            absl::StatusCode::kFailedPrecondition);
  CodecHandshake other_build = a;
  other_build.seed_table_crc ^= 1;
  const absl::Status s = CheckHandshake(a, other_build);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("disagree"), absl::string_view::npos) << s;
}

TEST(HandshakeTest, InvalidCodec) {
  CodecConfig bad;
  bad.K = 40;
  EXPECT_EQ(CodecHandshakeFor(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
