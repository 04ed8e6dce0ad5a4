#include "core/model/mapped_source.h"

#include <climits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace model_internal {

absl::StatusOr<absl::Span<const uint8_t>> MappedModelSource::RawBytes(
    size_t i) const {
  if (i >= ranges_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor index ", i, " out of range (", ranges_.size(), " tensors)"));
  }
  const ByteRange& r = ranges_[i];
  if (r.size == 0) return absl::Span<const uint8_t>();
  return absl::MakeConstSpan(files_[r.file]->data() + r.offset, r.size);
}

void MappedModelSource::ReleasePages(size_t i) const {
  if (i >= ranges_.size()) return;
  const ByteRange& r = ranges_[i];
  files_[r.file]->DropPages(r.offset, r.size);
}

bool ShapeByteSize(const std::vector<int64_t>& shape, DType dtype,
                   uint64_t* bytes) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || !CheckedMul(n, static_cast<uint64_t>(d), &n)) return false;
  }
  if (!CheckedMul(n, DTypeSize(dtype), &n) ||
      n > static_cast<uint64_t>(INT64_MAX)) {
    return false;
  }
  *bytes = n;
  return true;
}

absl::Status LoadExplicitTokenizer(const std::string& path,
                                   ModelMetadata* meta) {
  ASSIGN_OR_RETURN(meta->tokenizer_data,
                   ReadFileToString(path, kMaxSideFileBytes));
  meta->tokenizer_format =
      absl::EndsWith(path, ".json") ? "hf-tokenizer-json" : "llama2c-bin";
  return absl::OkStatus();
}

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the 2nd byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong forms
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < static_cast<size_t>(len) || p[i + 1] < lo || p[i + 1] > hi) {
      return false;
    }
    for (int k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += static_cast<size_t>(len);
  }
  return true;
}

}  // namespace model_internal
}  // namespace seedlm
