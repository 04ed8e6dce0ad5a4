// Conversions between the seedlm.v1 protos and the core's value types that
// both sides of WorkService need (codec, exponent mode, dtype, handshake),
// and ExecutorService's tensor storage kind.
// Decoding is checked: an out-of-range enum or codec becomes
// INVALID_ARGUMENT naming the field, never a crash.
#ifndef SEEDLM_PROTO_RPC_CONVERT_H_
#define SEEDLM_PROTO_RPC_CONVERT_H_

#include "absl/status/statusor.h"
#include "core/codec/codec.h"
#include "core/compress/handshake.h"
#include "core/format/container.h"
#include "core/util/dtype.h"
#include "seedlm/v1/common.pb.h"
#include "seedlm/v1/executor.pb.h"

namespace seedlm::rpc {

// Either family: a block codec sets family BLOCK and c..variant, a trellis
// codec family TRELLIS and the trellis_* fields (the rest left zero).
v1::CodecParams ToProto(const CodecConfig& codec);
// family UNSPECIFIED (older senders) or BLOCK: the block fields; TRELLIS:
// the trellis fields (block fields ignored, defaults kept). INVALID_ARGUMENT
// for an unknown family, an unspecified variant (block) or a codec that
// fails CodecConfig::Validate.
absl::StatusOr<CodecConfig> FromProto(const v1::CodecParams& p);

v1::ExponentMode ToProto(ExponentMode mode);
// UNSPECIFIED -> kSearch (the default); unknown values -> INVALID_ARGUMENT.
absl::StatusOr<ExponentMode> FromProto(v1::ExponentMode mode);

v1::DType ToProto(DType dtype);
absl::StatusOr<DType> FromProto(v1::DType dtype);

// A tensor's storage kind in a TensorHeader; unknown values ->
// INVALID_ARGUMENT naming TensorHeader.storage.
v1::TensorStorage ToProto(Storage storage);
absl::StatusOr<Storage> FromProto(v1::TensorStorage storage);

v1::CodecHandshake ToProto(const CodecHandshake& h);
CodecHandshake FromProto(const v1::CodecHandshake& h);

}  // namespace seedlm::rpc

#endif  // SEEDLM_PROTO_RPC_CONVERT_H_
