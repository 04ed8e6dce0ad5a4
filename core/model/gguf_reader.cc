#include "core/model/gguf_reader.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/model/mapped_source.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

using model_internal::ByteRange;
using model_internal::CheckedAdd;

constexpr uint32_t kTypeString = 8;
constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxAlignment = 1u << 30;

// Bounds-checked little-endian reader over the mapped file. Every failure is
// DATA_LOSS naming the file and the offset.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  absl::Status Error(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat("corrupt GGUF file ", path_, ": ",
                                            what, " (at byte ", pos_, ")"));
  }
  absl::Status Skip(uint64_t n) {
    if (n > left()) return Error("truncated");
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status U32(uint32_t* v) {
    if (left() < 4) return Error("truncated");
    *v = model_internal::LoadU32(data_ + pos_);
    pos_ += 4;
    return absl::OkStatus();
  }
  absl::Status U64(uint64_t* v) {
    if (left() < 8) return Error("truncated");
    *v = model_internal::LoadU64(data_ + pos_);
    pos_ += 8;
    return absl::OkStatus();
  }
  // A string the reader keeps (a key or a tensor name): at most `max_bytes`
  // (`over_limit` is the code beyond it) and valid UTF-8, as the format
  // requires; `what` names it in errors.
  absl::Status String(std::string* s, absl::string_view what,
                      uint64_t max_bytes, absl::StatusCode over_limit) {
    uint64_t n = 0;
    RETURN_IF_ERROR(U64(&n));
    if (n > left()) return Error(absl::StrCat(what, " runs past the end"));
    if (n > max_bytes) {
      return absl::Status(
          over_limit, absl::StrCat("GGUF file ", path_, ": ", what, " of ", n,
                                   " bytes exceeds the limit of ", max_bytes,
                                   " (at byte ", pos_, ")"));
    }
    const absl::string_view text(reinterpret_cast<const char*>(data_ + pos_),
                                 static_cast<size_t>(n));
    if (!model_internal::IsValidUtf8(text)) {
      return Error(absl::StrCat(what, " is not valid UTF-8"));
    }
    s->assign(text.data(), text.size());
    pos_ += n;
    return absl::OkStatus();
  }
  absl::Status SkipString() {
    uint64_t n = 0;
    RETURN_IF_ERROR(U64(&n));
    return Skip(n);
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  const std::string& path_;
  uint64_t pos_ = 0;
};

// Size of a fixed-size metadata value type, 0 for string/array, -1 if unknown.
int FixedSize(uint32_t type) {
  static constexpr int kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return type < 13 ? kSizes[type] : -1;
}

absl::Status SkipValue(Cursor& c, uint32_t type, int depth) {
  const int fixed = FixedSize(type);
  if (fixed < 0) return c.Error(absl::StrCat("unknown value type ", type));
  if (fixed > 0) return c.Skip(static_cast<uint64_t>(fixed));
  if (type == kTypeString) return c.SkipString();
  if (depth >= kMaxArrayDepth) return c.Error("arrays nested too deep");
  uint32_t elem = 0;
  uint64_t count = 0;
  RETURN_IF_ERROR(c.U32(&elem));
  RETURN_IF_ERROR(c.U64(&count));
  const int elem_fixed = FixedSize(elem);
  if (elem_fixed < 0) return c.Error(absl::StrCat("unknown array type ", elem));
  if (elem_fixed > 0) {
    if (count > c.left() / static_cast<uint64_t>(elem_fixed)) {
      return c.Error("array runs past the end of the file");
    }
    return c.Skip(count * static_cast<uint64_t>(elem_fixed));
  }
  // Strings take >= 8 bytes each, arrays >= 12: cap the loop by the bytes left.
  const uint64_t min_size = elem == kTypeString ? 8 : 12;
  if (count > c.left() / min_size) {
    return c.Error("array runs past the end of the file");
  }
  for (uint64_t i = 0; i < count; ++i) {
    RETURN_IF_ERROR(SkipValue(c, elem, depth + 1));
  }
  return absl::OkStatus();
}

// Reads an integer-typed value (general.alignment).
absl::Status ReadUnsigned(Cursor& c, uint32_t type, uint64_t* v) {
  uint32_t v32 = 0;
  switch (type) {
    case 4:  // uint32
    case 5:  // int32
      RETURN_IF_ERROR(c.U32(&v32));
      *v = type == 5 && static_cast<int32_t>(v32) < 0 ? 0 : v32;
      return absl::OkStatus();
    case 10:  // uint64
      return c.U64(v);
    default:
      return c.Error(absl::StrCat("general.alignment has value type ", type));
  }
}

absl::Status ReadMetadata(Cursor& c, uint64_t kv_count, uint64_t* alignment) {
  if (kv_count > c.left() / 13) return c.Error("kv count exceeds the file");
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string key;
    uint32_t type = 0;
    RETURN_IF_ERROR(c.String(&key, "metadata key", kMaxGgufKeyBytes,
                             absl::StatusCode::kDataLoss));
    RETURN_IF_ERROR(c.U32(&type));
    if (key != "general.alignment") {
      RETURN_IF_ERROR(SkipValue(c, type, 0));
      continue;
    }
    RETURN_IF_ERROR(ReadUnsigned(c, type, alignment));
    if (*alignment == 0 || *alignment > kMaxAlignment ||
        (*alignment & (*alignment - 1)) != 0) {
      return c.Error(absl::StrCat("general.alignment ", *alignment,
                                  " is not a power of two"));
    }
  }
  return absl::OkStatus();
}

struct RawInfo {
  TensorInfo info;
  uint32_t ggml_type = 0;
  uint64_t offset = 0;
};

absl::Status ReadTensorInfos(Cursor& c, const std::string& path, uint64_t count,
                             std::vector<RawInfo>* out) {
  // name (>= 8) + n_dims (4) + type (4) + offset (8).
  if (count > c.left() / 24) return c.Error("tensor count exceeds the file");
  if (count > kMaxModelTensors) {
    return absl::ResourceExhaustedError(
        absl::StrCat("GGUF file ", path, ": ", count,
                     " tensors exceed the limit of ", kMaxModelTensors));
  }
  out->reserve(count);
  std::set<std::string> names;
  for (uint64_t i = 0; i < count; ++i) {
    RawInfo r;
    uint32_t n_dims = 0;
    RETURN_IF_ERROR(c.String(&r.info.name, "tensor name",
                             kMaxModelTensorNameBytes,
                             absl::StatusCode::kResourceExhausted));
    if (r.info.name.empty() || r.info.name.find('\0') != std::string::npos) {
      return c.Error("empty tensor name, or one holding a NUL byte");
    }
    if (!names.insert(r.info.name).second) {
      return c.Error(absl::StrCat("duplicate tensor '", r.info.name, "'"));
    }
    RETURN_IF_ERROR(c.U32(&n_dims));
    if (n_dims > kMaxDims) {
      return c.Error(absl::StrCat("tensor '", r.info.name, "' has ", n_dims,
                                  " dimensions"));
    }
    r.info.shape.resize(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      RETURN_IF_ERROR(c.U64(&dim));
      if (dim > static_cast<uint64_t>(INT64_MAX)) {
        return c.Error(absl::StrCat("tensor '", r.info.name, "': bad dim"));
      }
      r.info.shape[n_dims - 1 - d] = static_cast<int64_t>(dim);  // reversed
    }
    RETURN_IF_ERROR(c.U32(&r.ggml_type));
    RETURN_IF_ERROR(c.U64(&r.offset));
    out->push_back(std::move(r));
  }
  return absl::OkStatus();
}

std::string GgmlTypeName(uint32_t t) {
  static constexpr const char* kNames[] = {
      "F32",   "F16",   "Q4_0",    "Q4_1",   "Q4_2",    "Q4_3",  "Q5_0",
      "Q5_1",  "Q8_0",  "Q8_1",    "Q2_K",   "Q3_K",    "Q4_K",  "Q5_K",
      "Q6_K",  "Q8_K",  "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
      "IQ3_S", "IQ2_S", "IQ4_XS",  "I8",     "I16",     "I32",   "I64",
      "F64",   "IQ1_M", "BF16"};
  if (t < sizeof(kNames) / sizeof(kNames[0])) return kNames[t];
  return absl::StrCat("ggml type ", t);
}

// Resolves dtypes and byte ranges; checks alignment, bounds and overlaps.
absl::Status PlaceTensors(const std::string& path, uint64_t file_size,
                          uint64_t data_start, uint64_t alignment,
                          std::vector<RawInfo>* raw,
                          std::vector<ByteRange>* ranges) {
  auto corrupt = [&](const RawInfo& r, absl::string_view what) {
    return absl::DataLossError(absl::StrCat(
        "corrupt GGUF file ", path, ": tensor '", r.info.name, "' ", what));
  };
  for (RawInfo& r : *raw) {
    switch (r.ggml_type) {
      case 0:
        r.info.dtype = DType::kF32;
        break;
      case 1:
        r.info.dtype = DType::kF16;
        break;
      case 30:
        r.info.dtype = DType::kBF16;
        break;
      default:
        return absl::UnimplementedError(
            absl::StrCat(path, ": tensor '", r.info.name, "' has type ",
                         GgmlTypeName(r.ggml_type),
                         "; only F32, F16 and BF16 are supported"));
    }
    uint64_t bytes = 0, begin = 0, end = 0;
    if (!model_internal::ShapeByteSize(r.info.shape, r.info.dtype, &bytes)) {
      return corrupt(r, "has a shape that overflows");
    }
    if (r.offset % alignment != 0) return corrupt(r, "is not aligned");
    if (!CheckedAdd(data_start, r.offset, &begin) ||
        !CheckedAdd(begin, bytes, &end) || end > file_size) {
      return corrupt(r, "lies beyond the end of the file");
    }
    ranges->push_back({0, begin, bytes});
  }
  std::vector<size_t> order(ranges->size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return (*ranges)[a].offset < (*ranges)[b].offset;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const ByteRange& prev = (*ranges)[order[k - 1]];
    if (prev.offset + prev.size > (*ranges)[order[k]].offset) {
      return corrupt((*raw)[order[k]], "overlaps another tensor");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GgufTensors> ParseGguf(absl::Span<const uint8_t> file,
                                      const std::string& path) {
  Cursor c(file.data(), file.size(), path);
  uint32_t magic = 0, version = 0;
  uint64_t tensor_count = 0, kv_count = 0, alignment = 32;
  RETURN_IF_ERROR(c.U32(&magic));
  if (magic != 0x46554747u) {  // "GGUF" read little-endian
    return absl::DataLossError(absl::StrCat(path, " lacks the GGUF magic"));
  }
  RETURN_IF_ERROR(c.U32(&version));
  if (version != 2 && version != 3) {
    return absl::UnimplementedError(
        absl::StrCat(path, ": GGUF version ", version,
                     " (only little-endian versions 2 and 3 are supported)"));
  }
  RETURN_IF_ERROR(c.U64(&tensor_count));
  RETURN_IF_ERROR(c.U64(&kv_count));
  RETURN_IF_ERROR(ReadMetadata(c, kv_count, &alignment));
  std::vector<RawInfo> raw;
  RETURN_IF_ERROR(ReadTensorInfos(c, path, tensor_count, &raw));
  const uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  std::vector<ByteRange> ranges;
  RETURN_IF_ERROR(
      PlaceTensors(path, file.size(), data_start, alignment, &raw, &ranges));
  GgufTensors out;
  for (size_t i = 0; i < raw.size(); ++i) {
    out.infos.push_back(std::move(raw[i].info));
    out.offsets.push_back(ranges[i].offset);
    out.sizes.push_back(ranges[i].size);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ModelSource>> OpenGguf(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file,
                   MappedFile::Open(path));
  ASSIGN_OR_RETURN(
      GgufTensors parsed,
      ParseGguf(absl::MakeConstSpan(file->data(), file->size()), path));
  ModelMetadata meta;
  meta.source_format = "gguf";
  if (!opts.tokenizer_path.empty()) {
    RETURN_IF_ERROR(
        model_internal::LoadExplicitTokenizer(opts.tokenizer_path, &meta));
  }
  std::vector<ByteRange> ranges;
  for (size_t i = 0; i < parsed.infos.size(); ++i) {
    ranges.push_back({0, parsed.offsets[i], parsed.sizes[i]});
  }
  return std::unique_ptr<ModelSource>(new model_internal::MappedModelSource(
      {file}, std::move(parsed.infos), std::move(ranges), std::move(meta)));
}

}  // namespace seedlm
