#include "worker/work_proto.h"

#include "core/util/crc32.h"
#include "gtest/gtest.h"

namespace seedlm::worker {
namespace {

namespace v1 = ::seedlm::v1;

UnitTask SampleTask() {
  UnitTask t;
  t.job_id = "j1";
  t.unit_index = 7;
  t.kind = UnitKind::kCompressRows;
  t.search.codec = *PresetByName("4bit-p4");
  t.search.mode = ExponentMode::kFit;
  t.search.exponent_bias = -9;
  t.handshake = CodecHandshake{"C8-P4-K16-Q4-E0-i8", 1234};
  t.rows = 64;
  t.cols = 40;
  t.row_begin = 8;
  t.row_end = 16;
  t.payload_bytes = 8 * 5 * 4;
  t.stored = StoredRows{DType::kBF16, {1, 2, 3, 4}, 99};
  return t;
}

TEST(WorkProtoTest, RoundTrips) {
  const UnitTask t = SampleTask();
  const v1::WorkUnit u = TaskToProto(t);
  EXPECT_EQ(u.codec().variant(), v1::CODEC_VARIANT_I8);
  EXPECT_EQ(u.rows_data().dtype(), v1::DTYPE_BF16);
  const UnitTask back = *TaskFromProto(u);
  EXPECT_EQ(back.job_id, "j1");
  EXPECT_EQ(back.unit_index, 7);
  EXPECT_EQ(back.kind, UnitKind::kCompressRows);
  EXPECT_EQ(back.search.codec, t.search.codec);
  EXPECT_EQ(back.search.mode, ExponentMode::kFit);
  EXPECT_EQ(back.search.exponent_bias, -9);
  EXPECT_EQ(back.handshake, t.handshake);
  EXPECT_EQ(back.rows, 64);
  EXPECT_EQ(back.cols, 40);
  EXPECT_EQ(back.row_begin, 8);
  EXPECT_EQ(back.row_end, 16);
  EXPECT_EQ(back.payload_bytes, t.payload_bytes);
  ASSERT_TRUE(back.stored.has_value());
  EXPECT_FALSE(back.reference.has_value());
  EXPECT_EQ(back.stored->dtype, DType::kBF16);
  EXPECT_EQ(back.stored->bytes, t.stored->bytes);
  EXPECT_EQ(back.stored->crc32, 99u);

  UnitTask r = t;
  r.kind = UnitKind::kChooseBias;
  r.stored.reset();
  r.reference = RowsReference{"a/b.safetensors", "w", 5};
  const UnitTask rb = *TaskFromProto(TaskToProto(r));
  EXPECT_EQ(rb.kind, UnitKind::kChooseBias);
  ASSERT_TRUE(rb.reference.has_value());
  EXPECT_EQ(rb.reference->model_path, "a/b.safetensors");
  EXPECT_EQ(rb.reference->tensor_name, "w");
  EXPECT_EQ(rb.reference->rows_crc32, 5u);
}

// Trellis codecs travel as family TRELLIS with their parameters; a message
// without a family (an older coordinator) is a block codec.
TEST(WorkProtoTest, TrellisCodecRoundTrips) {
  for (const char* preset : {"4bit-t", "3bit-t", "2bit-t"}) {
    UnitTask t = SampleTask();
    t.search.codec = *PresetByName(preset);
    t.search.mode = ExponentMode::kSearch;
    t.search.exponent_bias = 0;
    const v1::WorkUnit u = TaskToProto(t);
    EXPECT_EQ(u.codec().family(), v1::CODEC_FAMILY_TRELLIS);
    EXPECT_EQ(u.codec().trellis_r(), t.search.codec.trellis.R);
    EXPECT_EQ(TaskFromProto(u)->search.codec, t.search.codec) << preset;
  }
  v1::WorkUnit old = TaskToProto(SampleTask());
  EXPECT_EQ(old.codec().family(), v1::CODEC_FAMILY_BLOCK);
  old.mutable_codec()->clear_family();
  EXPECT_EQ(TaskFromProto(old)->search.codec, *PresetByName("4bit-p4"));
  old.mutable_codec()->set_family(static_cast<v1::CodecFamily>(9));
  EXPECT_EQ(TaskFromProto(old).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkProtoTest, RejectsUnspecifiedEnumsAndMissingRows) {
  const v1::WorkUnit good = TaskToProto(SampleTask());
  auto code = [](const v1::WorkUnit& u) {
    return TaskFromProto(u).status().code();
  };
  v1::WorkUnit u = good;
  u.set_kind(v1::UNIT_KIND_UNSPECIFIED);
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
  u = good;
  u.mutable_codec()->set_variant(v1::CODEC_VARIANT_UNSPECIFIED);
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
  u = good;
  u.set_exponent_mode(static_cast<v1::ExponentMode>(17));
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
  u = good;
  u.mutable_rows_data()->set_dtype(v1::DTYPE_UNSPECIFIED);
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
  u = good;
  u.clear_rows_data();
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
  u = good;
  u.set_payload_bytes(uint64_t{1} << 40);
  EXPECT_EQ(code(u), absl::StatusCode::kInvalidArgument);
}

TEST(WorkProtoTest, Results) {
  UnitOutcome rows;
  rows.kind = UnitOutcome::Kind::kRows;
  rows.payload = {9, 8, 7};
  rows.sums.sq_error = 0.5;
  rows.sums.sq_norm = 2.0;
  rows.blocks = 12;
  v1::CompleteWorkRequest req;
  SetResult(rows, &req);
  ASSERT_TRUE(req.has_rows());
  EXPECT_EQ(req.rows().payload(), std::string("\x09\x08\x07"));
  EXPECT_EQ(req.rows().crc32(), Crc32(rows.payload.data(), 3));
  EXPECT_EQ(req.rows().sq_error(), 0.5);
  EXPECT_EQ(req.rows().sq_norm(), 2.0);
  EXPECT_EQ(req.rows().blocks(), 12);

  UnitOutcome bias;
  bias.kind = UnitOutcome::Kind::kBias;
  bias.exponent_bias = -7;
  req.Clear();
  SetResult(bias, &req);
  ASSERT_TRUE(req.has_bias());
  EXPECT_EQ(req.bias().exponent_bias(), -7);

  UnitOutcome gone;
  gone.kind = UnitOutcome::Kind::kRowsUnavailable;
  gone.unavailable = absl::NotFoundError("no such tensor");
  req.Clear();
  SetResult(gone, &req);
  ASSERT_TRUE(req.has_failure());
  EXPECT_TRUE(req.failure().rows_unavailable());
  EXPECT_NE(req.failure().message().find("no such tensor"), std::string::npos);

  // A failure message is bounded and stays valid UTF-8 (no split character,
  // invalid bytes replaced).
  std::string long_message = "\xff";
  for (int i = 0; i < 3000; ++i) long_message += "\xc3\xa9";  // é
  req.Clear();
  SetFailure(absl::InternalError(long_message), &req);
  ASSERT_TRUE(req.has_failure());
  EXPECT_FALSE(req.failure().rows_unavailable());
  const std::string& m = req.failure().message();
  EXPECT_LE(m.size(), kMaxFailureMessageBytes);
  EXPECT_GT(m.size(), kMaxFailureMessageBytes - 2);
  EXPECT_EQ(m.find('\xff'), std::string::npos);
  EXPECT_NE(m.find("?"), std::string::npos);
  EXPECT_EQ(m.back(), '\xa9');  // ends on a whole character
}

}  // namespace
}  // namespace seedlm::worker
