#include "core/model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/model/mapped_source.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

using model_internal::ShapeByteSize;

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("corrupt safetensors file ", path, ": ", what));
}

// Maps a safetensors dtype string to ours; UNIMPLEMENTED for the rest.
absl::StatusOr<DType> ParseDTypeFor(const std::string& path,
                                    const std::string& name,
                                    const std::string& dtype) {
  if (dtype == "F32") return DType::kF32;
  if (dtype == "F16") return DType::kF16;
  if (dtype == "BF16") return DType::kBF16;
  return absl::UnimplementedError(
      absl::StrCat(path, ": tensor '", name, "' has dtype ", dtype,
                   "; only F32, F16 and BF16 tensors are supported"));
}

// Member `key` of a tensor entry: an array of at most `max_size` integers in
// [0, INT64_MAX] (floats such as 2.0 are refused: the format has integers).
// A longer array is `too_long` (RESOURCE_EXHAUSTED past a limit of ours,
// DATA_LOSS past the format's).
absl::StatusOr<std::vector<int64_t>> NaturalArray(const Json& entry,
                                                  absl::string_view key,
                                                  size_t max_size,
                                                  absl::StatusCode too_long,
                                                  const std::string& where) {
  ASSIGN_OR_RETURN(const Json* a, JsonArray(entry, key, where));
  const std::string at = absl::StrCat(where, ".", key);
  if (a->size() > max_size) {
    return absl::Status(
        too_long,
        absl::StrCat(at, ": ", a->size(), " elements, more than ", max_size));
  }
  std::vector<int64_t> out;
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const Json& v = (*a)[i];
    const std::string elem = absl::StrCat(at, "[", i, "]");
    if (!v.is_number_integer()) {
      return absl::DataLossError(absl::StrCat(
          elem, ": expected an integer, got ", DumpJson(v).substr(0, 40)));
    }
    ASSIGN_OR_RETURN(const int64_t n, JsonAsInt(v, 0, INT64_MAX, elem));
    out.push_back(n);
  }
  return out;
}

absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& path,
                                            const std::string& name,
                                            const Json& j, uint64_t data_begin,
                                            uint64_t data_size) {
  const std::string where =
      absl::StrCat("corrupt safetensors file ", path, ": '", name, "'");
  if (!j.is_object()) {
    return absl::DataLossError(
        absl::StrCat(where, ": expected an object, got ", JsonTypeName(j)));
  }
  SafetensorsEntry e;
  e.info.name = name;
  ASSIGN_OR_RETURN(const std::string dtype, JsonString(j, "dtype", where));
  ASSIGN_OR_RETURN(e.info.dtype, ParseDTypeFor(path, name, dtype));
  ASSIGN_OR_RETURN(e.info.shape,
                   NaturalArray(j, "shape", kMaxModelTensorRank,
                                absl::StatusCode::kResourceExhausted, where));
  ASSIGN_OR_RETURN(
      const std::vector<int64_t> offsets,
      NaturalArray(j, "data_offsets", 2, absl::StatusCode::kDataLoss, where));
  if (offsets.size() != 2 || offsets[0] > offsets[1]) {
    return Corrupt(path, absl::StrCat("tensor '", name,
                                      "': data_offsets must be [begin, end]"));
  }
  const uint64_t begin = static_cast<uint64_t>(offsets[0]);
  const uint64_t end = static_cast<uint64_t>(offsets[1]);
  uint64_t bytes = 0;
  if (!ShapeByteSize(e.info.shape, e.info.dtype, &bytes) || bytes > data_size) {
    return Corrupt(path, absl::StrCat("tensor '", name, "': its shape needs ",
                                      "more bytes than the file holds"));
  }
  if (end > data_size) {
    return Corrupt(path,
                   absl::StrCat("tensor '", name, "': data_offsets end ", end,
                                " beyond the data size ", data_size));
  }
  if (end - begin != bytes) {
    return Corrupt(path,
                   absl::StrCat("tensor '", name, "' holds ", end - begin,
                                " bytes but its shape and dtype need ", bytes));
  }
  e.offset = data_begin + begin;
  e.size = bytes;
  return e;
}

absl::Status ParseMetadata(const std::string& path, const Json& j,
                           std::map<std::string, std::string>* out) {
  const std::string where =
      absl::StrCat("corrupt safetensors file ", path, ": __metadata__");
  if (!j.is_object()) {
    return absl::DataLossError(
        absl::StrCat(where, ": expected an object, got ", JsonTypeName(j)));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    ASSIGN_OR_RETURN(
        (*out)[it.key()],
        JsonAsString(it.value(), absl::StrCat(where, ".", it.key())));
  }
  return absl::OkStatus();
}

// The header text without its padding. The format pads with spaces (0x20)
// only: a NUL or any other byte after the JSON is DATA_LOSS (a NUL would
// otherwise end the JSON parse early and hide what follows).
absl::StatusOr<absl::string_view> UnpaddedHeader(const std::string& path,
                                                 absl::string_view h) {
  const size_t nul = h.find('\0');
  if (nul != absl::string_view::npos) {
    return Corrupt(path, absl::StrCat("header byte ", nul,
                                      " is NUL (only spaces may pad it)"));
  }
  const size_t last = h.find_last_not_of(' ');
  if (h.empty() || h[0] != '{' || last == absl::string_view::npos ||
      h[last] != '}') {
    return Corrupt(path, "header is not a JSON object padded with spaces");
  }
  return h.substr(0, last + 1);
}

// The format forbids holes and overlaps: sorted by offset, each tensor must
// start where the previous one ended and the last must end the file.
absl::Status CheckCoverage(const std::string& path, uint64_t data_begin,
                           uint64_t file_size,
                           std::vector<SafetensorsEntry>* entries) {
  std::sort(entries->begin(), entries->end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              if (a.offset != b.offset) return a.offset < b.offset;
              if (a.size != b.size) return a.size < b.size;
              return a.info.name < b.info.name;
            });
  uint64_t pos = data_begin;
  for (const SafetensorsEntry& e : *entries) {
    if (e.offset != pos) {
      return Corrupt(
          path, absl::StrCat("tensor '", e.info.name, "' starts at data byte ",
                             e.offset - data_begin,
                             " but the previous ends at ", pos - data_begin,
                             e.offset < pos ? " (overlap)" : " (hole)"));
    }
    pos += e.size;
  }
  if (pos != file_size) {
    return Corrupt(path, absl::StrCat("tensors cover ", pos - data_begin,
                                      " data bytes but the file holds ",
                                      file_size - data_begin));
  }
  return absl::OkStatus();
}

}  // namespace

const char* SafetensorsDTypeName(DType t) {
  switch (t) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(
    absl::Span<const uint8_t> file, const std::string& path) {
  if (file.size() < 8) return Corrupt(path, "shorter than 8 bytes");
  const uint64_t n = model_internal::LoadU64(file.data());
  if (n > file.size() - 8) {
    return Corrupt(path, absl::StrCat("header length ", n,
                                      " exceeds the file size ", file.size()));
  }
  if (n > kMaxSafetensorsHeaderBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": safetensors header of ", n, " bytes exceeds the limit of ",
        kMaxSafetensorsHeaderBytes));
  }
  ASSIGN_OR_RETURN(
      const absl::string_view text,
      UnpaddedHeader(path, absl::string_view(
                               reinterpret_cast<const char*>(file.data()) + 8,
                               static_cast<size_t>(n))));
  ASSIGN_OR_RETURN(
      const Json j,
      ParseJson(
          text, absl::StrCat("corrupt safetensors file ", path, ": header"),
          JsonLimits{kMaxSafetensorsHeaderBytes, kMaxSafetensorsHeaderDepth}));
  if (!j.is_object()) return Corrupt(path, "header is not a JSON object");
  if (j.size() > kMaxModelTensors + 1) {  // + "__metadata__"
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": ", j.size(), " header entries exceed the limit of ",
        kMaxModelTensors, " tensors"));
  }
  const uint64_t data_begin = 8 + n;
  const uint64_t data_size = file.size() - data_begin;
  SafetensorsHeader out;
  out.tensors.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      RETURN_IF_ERROR(ParseMetadata(path, it.value(), &out.metadata));
      continue;
    }
    if (it.key().empty() || it.key().find('\0') != std::string::npos) {
      return Corrupt(path, "empty tensor name, or one holding a NUL byte");
    }
    if (it.key().size() > kMaxModelTensorNameBytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          path, ": a tensor name of ", it.key().size(),
          " bytes exceeds the limit of ", kMaxModelTensorNameBytes));
    }
    ASSIGN_OR_RETURN(SafetensorsEntry e, ParseEntry(path, it.key(), it.value(),
                                                    data_begin, data_size));
    out.tensors.push_back(std::move(e));
  }
  RETURN_IF_ERROR(CheckCoverage(path, data_begin, file.size(), &out.tensors));
  return out;
}

absl::StatusOr<std::unique_ptr<ModelSource>> OpenSafetensorsFile(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file,
                   MappedFile::Open(path));
  ASSIGN_OR_RETURN(SafetensorsHeader header,
                   ParseSafetensorsHeader(
                       absl::MakeConstSpan(file->data(), file->size()), path));
  ModelMetadata meta;
  meta.source_format = "safetensors";
  if (!opts.tokenizer_path.empty()) {
    RETURN_IF_ERROR(
        model_internal::LoadExplicitTokenizer(opts.tokenizer_path, &meta));
  }
  std::vector<TensorInfo> infos;
  std::vector<model_internal::ByteRange> ranges;
  for (SafetensorsEntry& e : header.tensors) {
    ranges.push_back({0, e.offset, e.size});
    infos.push_back(std::move(e.info));
  }
  return std::unique_ptr<ModelSource>(new model_internal::MappedModelSource(
      {file}, std::move(infos), std::move(ranges), std::move(meta)));
}

absl::Status WriteSafetensors(
    const std::string& path,
    const std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>>&
        tensors,
    const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  uint64_t pos = 0;
  std::set<std::string> names;
  for (const auto& [info, bytes] : tensors) {
    if (info.name.empty() || info.name == "__metadata__" ||
        !names.insert(info.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WriteSafetensors ", path, ": empty, reserved or duplicate name '",
          info.name, "'"));
    }
    uint64_t need = 0;
    if (!ShapeByteSize(info.shape, info.dtype, &need) || need != bytes.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WriteSafetensors ", path, ": tensor '", info.name, "' has ",
          bytes.size(), " bytes, which does not match its shape and dtype"));
    }
    header[info.name] = {{"dtype", SafetensorsDTypeName(info.dtype)},
                         {"shape", info.shape},
                         {"data_offsets", {pos, pos + need}}};
    pos += need;
  }
  std::string text = DumpJson(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  const uint64_t n = text.size();
  std::memcpy(len, &n, 8);
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> w,
                   AtomicFileWriter::Create(path));
  RETURN_IF_ERROR(w->Append(len, 8));
  RETURN_IF_ERROR(w->Append(text));
  for (const auto& t : tensors) {
    RETURN_IF_ERROR(w->Append(t.second.data(), t.second.size()));
  }
  return w->Commit();
}

}  // namespace seedlm
