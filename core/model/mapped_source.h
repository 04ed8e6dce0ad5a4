// Internal to core/model: the ModelSource implementation shared by all
// readers (tensors as byte ranges of memory-mapped files), and small checked
// arithmetic / little-endian helpers the parsers use. Not part of the public
// API; include model_source.h instead.
#ifndef SEEDLM_CORE_MODEL_MAPPED_SOURCE_H_
#define SEEDLM_CORE_MODEL_MAPPED_SOURCE_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/model_source.h"
#include "core/util/file_util.h"

namespace seedlm {
namespace model_internal {

// Where tensor bytes live: [offset, offset + size) of files[file].
struct ByteRange {
  size_t file = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Immutable, hence thread-safe. Owns its mapped files.
class MappedModelSource : public ModelSource {
 public:
  // REQUIRES: infos.size() == ranges.size(), every range lies inside its
  // file, and names are unique (readers validate this before constructing).
  MappedModelSource(std::vector<std::shared_ptr<const MappedFile>> files,
                    std::vector<TensorInfo> infos,
                    std::vector<ByteRange> ranges, ModelMetadata metadata)
      : files_(std::move(files)),
        infos_(std::move(infos)),
        ranges_(std::move(ranges)),
        metadata_(std::move(metadata)) {}

  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  const ModelMetadata& metadata() const override { return metadata_; }
  absl::StatusOr<absl::Span<const uint8_t>> RawBytes(size_t i) const override;
  void ReleasePages(size_t i) const override;

 private:
  std::vector<std::shared_ptr<const MappedFile>> files_;
  std::vector<TensorInfo> infos_;
  std::vector<ByteRange> ranges_;
  ModelMetadata metadata_;
};

// a * b, or false on uint64 overflow.
inline bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

// Byte size of a tensor of `shape` and `dtype`, or false if any dimension is
// negative or the element count / byte size exceeds INT64_MAX.
bool ShapeByteSize(const std::vector<int64_t>& shape, DType dtype,
                   uint64_t* bytes);

inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // the project only targets little-endian hosts
  return v;
}
inline uint64_t LoadU64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Reads an explicitly requested tokenizer (OpenModelOptions::tokenizer_path)
// into `meta`, choosing the format from the extension (see model_source.h).
absl::Status LoadExplicitTokenizer(const std::string& path,
                                   ModelMetadata* meta);

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF). Names a reader keeps must pass: they end up in JSON
// (plan fingerprints, --json output), which cannot hold invalid UTF-8.
bool IsValidUtf8(absl::string_view s);

// Sanity cap for JSON side files and tokenizers.
inline constexpr uint64_t kMaxSideFileBytes = 256ull << 20;

}  // namespace model_internal
}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_MAPPED_SOURCE_H_
