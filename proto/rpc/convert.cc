#include "proto/rpc/convert.h"

#include "absl/strings/str_cat.h"

namespace seedlm::rpc {

v1::CodecParams ToProto(const CodecConfig& codec) {
  v1::CodecParams p;
  if (codec.is_trellis()) {
    p.set_family(v1::CODEC_FAMILY_TRELLIS);
    p.set_trellis_l(codec.trellis.L);
    p.set_trellis_r(codec.trellis.R);
    p.set_trellis_t(codec.trellis.T);
    p.set_trellis_rotate(codec.trellis.rotate);
    return p;
  }
  p.set_family(v1::CODEC_FAMILY_BLOCK);
  p.set_c(codec.C);
  p.set_p(codec.P);
  p.set_k(codec.K);
  p.set_q(codec.Q);
  p.set_e(codec.E);
  p.set_variant(codec.variant == Variant::kI8 ? v1::CODEC_VARIANT_I8
                                              : v1::CODEC_VARIANT_PAPER);
  return p;
}

absl::StatusOr<CodecConfig> FromProto(const v1::CodecParams& p) {
  CodecConfig c;
  switch (p.family()) {
    case v1::CODEC_FAMILY_UNSPECIFIED:
    case v1::CODEC_FAMILY_BLOCK:
      break;
    case v1::CODEC_FAMILY_TRELLIS: {
      c.family = CodecFamily::kTrellis;
      c.trellis = TrellisParams{p.trellis_l(), p.trellis_r(), p.trellis_t(),
                                p.trellis_rotate()};
      absl::Status s = c.Validate();
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("codec: ", s.message()));
      }
      return c;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("codec.family: ", p.family(), " is not a family"));
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
          absl::StrCat("codec.variant: ", p.variant(), " is not a variant"));
  }
  absl::Status s = c.Validate();
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("codec: ", s.message()));
  }
  return c;
}

v1::ExponentMode ToProto(ExponentMode mode) {
  switch (mode) {
    case ExponentMode::kFit:
      return v1::EXPONENT_MODE_FIT;
    case ExponentMode::kPaper:
      return v1::EXPONENT_MODE_PAPER;
    case ExponentMode::kSearch:
      break;
  }
  return v1::EXPONENT_MODE_SEARCH;
}

absl::StatusOr<ExponentMode> FromProto(v1::ExponentMode mode) {
  switch (mode) {
    case v1::EXPONENT_MODE_UNSPECIFIED:
    case v1::EXPONENT_MODE_SEARCH:
      return ExponentMode::kSearch;
    case v1::EXPONENT_MODE_FIT:
      return ExponentMode::kFit;
    case v1::EXPONENT_MODE_PAPER:
      return ExponentMode::kPaper;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("exponent_mode: ", mode, " is not a mode"));
  }
}

v1::DType ToProto(DType dtype) {
  switch (dtype) {
    case DType::kF16:
      return v1::DTYPE_F16;
    case DType::kBF16:
      return v1::DTYPE_BF16;
    case DType::kF32:
      break;
  }
  return v1::DTYPE_F32;
}

absl::StatusOr<DType> FromProto(v1::DType dtype) {
  switch (dtype) {
    case v1::DTYPE_F32:
      return DType::kF32;
    case v1::DTYPE_F16:
      return DType::kF16;
    case v1::DTYPE_BF16:
      return DType::kBF16;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("dtype: ", dtype, " is not a dtype"));
  }
}

v1::TensorStorage ToProto(Storage storage) {
  switch (storage) {
    case Storage::kF32:
      return v1::TENSOR_STORAGE_F32;
    case Storage::kF16:
      return v1::TENSOR_STORAGE_F16;
    case Storage::kBF16:
      return v1::TENSOR_STORAGE_BF16;
    case Storage::kSeedLM:
      return v1::TENSOR_STORAGE_SEEDLM;
    case Storage::kTrellis:
      return v1::TENSOR_STORAGE_TRELLIS;
  }
  return v1::TENSOR_STORAGE_UNSPECIFIED;
}

absl::StatusOr<Storage> FromProto(v1::TensorStorage storage) {
  switch (storage) {
    case v1::TENSOR_STORAGE_F32:
      return Storage::kF32;
    case v1::TENSOR_STORAGE_F16:
      return Storage::kF16;
    case v1::TENSOR_STORAGE_BF16:
      return Storage::kBF16;
    case v1::TENSOR_STORAGE_SEEDLM:
      return Storage::kSeedLM;
    case v1::TENSOR_STORAGE_TRELLIS:
      return Storage::kTrellis;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "TensorHeader.storage: unknown value ", static_cast<int>(storage)));
  }
}

v1::CodecHandshake ToProto(const CodecHandshake& h) {
  v1::CodecHandshake p;
  p.set_codec_id(h.codec_id);
  p.set_seed_table_crc(h.seed_table_crc);
  return p;
}

CodecHandshake FromProto(const v1::CodecHandshake& h) {
  return CodecHandshake{h.codec_id(), h.seed_table_crc()};
}

}  // namespace seedlm::rpc
