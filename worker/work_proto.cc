#include "worker/work_proto.h"

#include "absl/strings/str_cat.h"
#include "core/util/crc32.h"

namespace seedlm::worker {
namespace {

namespace v1 = ::seedlm::v1;

absl::StatusOr<DType> DTypeFromProto(v1::DType t) {
  switch (t) {
    case v1::DTYPE_F32:
      return DType::kF32;
    case v1::DTYPE_F16:
      return DType::kF16;
    case v1::DTYPE_BF16:
      return DType::kBF16;
    default:
      return absl::InvalidArgumentError(absl::StrCat("rows dtype ", t));
  }
}

v1::DType DTypeToProto(DType t) {
  switch (t) {
    case DType::kF32:
      return v1::DTYPE_F32;
    case DType::kF16:
      return v1::DTYPE_F16;
    case DType::kBF16:
      return v1::DTYPE_BF16;
  }
  return v1::DTYPE_UNSPECIFIED;
}

absl::StatusOr<ExponentMode> ModeFromProto(v1::ExponentMode m) {
  switch (m) {
    case v1::EXPONENT_MODE_SEARCH:
      return ExponentMode::kSearch;
    case v1::EXPONENT_MODE_FIT:
      return ExponentMode::kFit;
    case v1::EXPONENT_MODE_PAPER:
      return ExponentMode::kPaper;
    default:
      return absl::InvalidArgumentError(absl::StrCat("exponent mode ", m));
  }
}

v1::ExponentMode ModeToProto(ExponentMode m) {
  switch (m) {
    case ExponentMode::kSearch:
      return v1::EXPONENT_MODE_SEARCH;
    case ExponentMode::kFit:
      return v1::EXPONENT_MODE_FIT;
    case ExponentMode::kPaper:
      return v1::EXPONENT_MODE_PAPER;
  }
  return v1::EXPONENT_MODE_UNSPECIFIED;
}

absl::StatusOr<CodecConfig> CodecFromProto(const v1::CodecParams& p) {
  CodecConfig c;
  switch (p.family()) {
    case v1::CODEC_FAMILY_UNSPECIFIED:  // older coordinators: block
    case v1::CODEC_FAMILY_BLOCK:
      break;
    case v1::CODEC_FAMILY_TRELLIS:
      c.family = CodecFamily::kTrellis;
      c.trellis = TrellisParams{p.trellis_l(), p.trellis_r(), p.trellis_t(),
                                p.trellis_rotate()};
      return c;  // ranges: SearchOptions::Validate in RunUnit
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("codec family ", p.family()));
  }
  c.C = p.c();
  c.P = p.p();
  c.K = p.k();
  c.Q = p.q();
  c.E = p.e();
  switch (p.variant()) {
    case v1::CODEC_VARIANT_PAPER:
      c.variant = Variant::kPaper;
      break;
    case v1::CODEC_VARIANT_I8:
      c.variant = Variant::kI8;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("codec variant ", p.variant()));
  }
  return c;  // ranges: SearchOptions::Validate in RunUnit
}

v1::CodecParams CodecToProto(const CodecConfig& c) {
  v1::CodecParams p;
  if (c.is_trellis()) {
    p.set_family(v1::CODEC_FAMILY_TRELLIS);
    p.set_trellis_l(c.trellis.L);
    p.set_trellis_r(c.trellis.R);
    p.set_trellis_t(c.trellis.T);
    p.set_trellis_rotate(c.trellis.rotate);
    return p;
  }
  p.set_family(v1::CODEC_FAMILY_BLOCK);
  p.set_c(c.C);
  p.set_p(c.P);
  p.set_k(c.K);
  p.set_q(c.Q);
  p.set_e(c.E);
  p.set_variant(c.variant == Variant::kI8 ? v1::CODEC_VARIANT_I8
                                          : v1::CODEC_VARIANT_PAPER);
  return p;
}

// `s` cut to at most `max` bytes of valid UTF-8 (proto3 strings must be):
// invalid bytes become '?', a cut never splits a character.
std::string Utf8Bounded(const std::string& s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80         ? 1
               : (c >> 5) == 6  ? 2
               : (c >> 4) == 14 ? 3
               : (c >> 3) == 30 ? 4
                                : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (!ok) n = 1;
    if (out.size() + n > max) break;
    out.append(ok ? s.substr(i, n) : std::string("?"));
    i += n;
  }
  return out;
}

}  // namespace

absl::StatusOr<UnitTask> TaskFromProto(const v1::WorkUnit& unit) {
  UnitTask t;
  t.job_id = unit.job_id();
  t.unit_index = unit.unit_index();
  switch (unit.kind()) {
    case v1::UNIT_KIND_CHOOSE_BIAS:
      t.kind = UnitKind::kChooseBias;
      break;
    case v1::UNIT_KIND_COMPRESS_ROWS:
      t.kind = UnitKind::kCompressRows;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unit kind ", unit.kind()));
  }
  auto codec = CodecFromProto(unit.codec());
  if (!codec.ok()) return codec.status();
  t.search.codec = *codec;
  auto mode = ModeFromProto(unit.exponent_mode());
  if (!mode.ok()) return mode.status();
  t.search.mode = *mode;
  t.search.exponent_bias = unit.exponent_bias();
  t.handshake = HandshakeFromProto(unit.handshake());
  t.rows = unit.rows();
  t.cols = unit.cols();
  t.row_begin = unit.row_begin();
  t.row_end = unit.row_end();
  t.payload_bytes = unit.payload_bytes();
  if (t.payload_bytes > static_cast<uint64_t>(kMaxUnitElements)) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload of ", t.payload_bytes, " bytes"));
  }
  if (unit.has_rows_data()) {
    const v1::RowsData& d = unit.rows_data();
    auto dtype = DTypeFromProto(d.dtype());
    if (!dtype.ok()) return dtype.status();
    t.stored = StoredRows{
        *dtype, std::vector<uint8_t>(d.data().begin(), d.data().end()),
        d.crc32()};
  } else if (unit.has_rows_ref()) {
    const v1::RowsRef& r = unit.rows_ref();
    t.reference =
        RowsReference{r.model_path(), r.tensor_name(), r.rows_crc32()};
  } else {
    return absl::InvalidArgumentError("the unit carries no rows");
  }
  return t;
}

v1::WorkUnit TaskToProto(const UnitTask& t) {
  v1::WorkUnit u;
  u.set_job_id(t.job_id);
  u.set_unit_index(t.unit_index);
  u.set_kind(t.kind == UnitKind::kChooseBias ? v1::UNIT_KIND_CHOOSE_BIAS
                                             : v1::UNIT_KIND_COMPRESS_ROWS);
  *u.mutable_codec() = CodecToProto(t.search.codec);
  *u.mutable_handshake() = HandshakeToProto(t.handshake);
  u.set_exponent_mode(ModeToProto(t.search.mode));
  u.set_exponent_bias(t.search.exponent_bias);
  u.set_rows(t.rows);
  u.set_cols(t.cols);
  u.set_row_begin(t.row_begin);
  u.set_row_end(t.row_end);
  u.set_payload_bytes(t.payload_bytes);
  if (t.stored.has_value()) {
    v1::RowsData* d = u.mutable_rows_data();
    d->set_dtype(DTypeToProto(t.stored->dtype));
    d->set_data(t.stored->bytes.data(), t.stored->bytes.size());
    d->set_crc32(t.stored->crc32);
  } else if (t.reference.has_value()) {
    v1::RowsRef* r = u.mutable_rows_ref();
    r->set_model_path(t.reference->model_path);
    r->set_tensor_name(t.reference->tensor_name);
    r->set_rows_crc32(t.reference->rows_crc32);
  }
  return u;
}

v1::CodecHandshake HandshakeToProto(const CodecHandshake& h) {
  v1::CodecHandshake p;
  p.set_codec_id(h.codec_id);
  p.set_seed_table_crc(h.seed_table_crc);
  return p;
}

CodecHandshake HandshakeFromProto(const v1::CodecHandshake& h) {
  return CodecHandshake{h.codec_id(), h.seed_table_crc()};
}

void SetResult(const UnitOutcome& outcome, v1::CompleteWorkRequest* request) {
  switch (outcome.kind) {
    case UnitOutcome::Kind::kBias:
      request->mutable_bias()->set_exponent_bias(outcome.exponent_bias);
      return;
    case UnitOutcome::Kind::kRows: {
      v1::RowsResult* r = request->mutable_rows();
      r->set_payload(outcome.payload.data(), outcome.payload.size());
      r->set_crc32(Crc32(outcome.payload.data(), outcome.payload.size()));
      r->set_sq_error(outcome.sums.sq_error);
      r->set_sq_norm(outcome.sums.sq_norm);
      r->set_blocks(outcome.blocks);
      return;
    }
    case UnitOutcome::Kind::kRowsUnavailable: {
      v1::UnitFailure* f = request->mutable_failure();
      f->set_rows_unavailable(true);
      f->set_message(
          Utf8Bounded(outcome.unavailable.ToString(), kMaxFailureMessageBytes));
      return;
    }
  }
}

void SetFailure(const absl::Status& error, v1::CompleteWorkRequest* request) {
  v1::UnitFailure* f = request->mutable_failure();
  f->set_rows_unavailable(false);
  f->set_message(Utf8Bounded(error.ToString(), kMaxFailureMessageBytes));
}

}  // namespace seedlm::worker
