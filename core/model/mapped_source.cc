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

uint64_t CountJsonItems(absl::string_view text, uint64_t stop_at) {
  uint64_t items = 1;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[' || c == ':' || c == ',') {
      if (++items > stop_at) return items;
    }
  }
  return items;
}

absl::StatusOr<Json> ParseModelJson(absl::string_view text,
                                    absl::string_view what, uint64_t max_bytes,
                                    int max_depth) {
  if (text.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ", text.size(), " bytes of JSON exceed the ",
                     max_bytes, "-byte limit"));
  }
  if (CountJsonItems(text, kMaxModelJsonItems) > kMaxModelJsonItems) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": JSON of more than ", kMaxModelJsonItems,
                     " items (objects, arrays, members, elements)"));
  }
  return ParseJson(text, what, JsonLimits{max_bytes, max_depth});
}

}  // namespace model_internal
}  // namespace seedlm
