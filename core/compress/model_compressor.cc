#include "core/compress/model_compressor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/compress/checkpoint.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/tensor_select.h"
#include "core/util/crc32.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

std::map<std::string, std::string> ContainerMetadata(
    const ModelMetadata& m, const SearchOptions& search) {
  std::map<std::string, std::string> out;
  out[kMetaSourceFormat] = m.source_format;
  if (!m.arch_config_json.empty()) out[kMetaArchConfig] = m.arch_config_json;
  if (!m.tokenizer_format.empty()) {
    out[kMetaTokenizerFormat] = m.tokenizer_format;
    out[kMetaTokenizerData] = m.tokenizer_data;
  }
  const std::string preset = PresetName(search.codec);
  if (!preset.empty()) out[kMetaPreset] = preset;
  out[kMetaExponentMode] = ExponentModeName(search.mode);
  return out;
}

// Everything the output depends on except the tensors' bytes (which the
// checkpoint checks tensor by tensor).
std::string Fingerprint(const ModelSource& source, const CompressOptions& o) {
  const CodecConfig& c = o.search.codec;
  nlohmann::json tensors = nlohmann::json::array();
  for (const TensorInfo& t : source.tensors()) {
    tensors.push_back({t.name, t.shape, DTypeName(t.dtype)});
  }
  const ModelMetadata& m = source.metadata();
  const nlohmann::json j = {
      {"container_version", kContainerVersion},
      {"codec", {c.C, c.P, c.K, c.Q, c.E, VariantName(c.variant)}},
      {"mode", ExponentModeName(o.search.mode)},
      {"bias", o.auto_bias ? nlohmann::json("auto")
                           : nlohmann::json(o.search.exponent_bias)},
      {"include", o.include},
      {"exclude", o.exclude},
      {"source_format", m.source_format},
      {"arch_crc", Crc32(m.arch_config_json.data(), m.arch_config_json.size())},
      {"tokenizer_crc",
       Crc32(m.tokenizer_data.data(), m.tokenizer_data.size())},
      {"tensors", tensors}};
  return j.dump();
}

TensorReport BaseReport(const TensorInfo& info, Storage storage) {
  TensorReport r;
  r.name = info.name;
  r.shape = info.shape;
  r.storage = storage;
  r.weights = NumElements(info.shape);
  return r;
}

// Compresses tensor i into the checkpoint, slice by slice.
absl::StatusOr<CheckpointEntry> CompressTensor(
    const ModelSource& source, size_t i, uint32_t input_crc,
    const CompressOptions& options, const BlockSearcher& fixed_bias_searcher,
    Checkpoint& ckpt, ThreadPool* pool, const SearchCallbacks& cb) {
  const TensorInfo& info = source.tensors()[i];
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(i));
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t cols = info.shape.back();
  const int64_t rows = NumElements(info.shape) / cols;
  const size_t es = DTypeSize(info.dtype);
  auto read = [&](int64_t r0, int64_t r1, absl::Span<float> out) {
    return ConvertToFloat32(
        info.dtype, raw.subspan(r0 * cols * es, (r1 - r0) * cols * es), out);
  };
  auto sink = [&](absl::Span<const uint8_t> bytes) {
    return ckpt.Append(bytes);
  };
  const BlockSearcher* searcher = &fixed_bias_searcher;
  std::unique_ptr<BlockSearcher> own;
  int bias = options.search.exponent_bias;
  if (options.auto_bias) {
    absl::StatusOr<int> b = ChooseExponentBias(
        options.search, options.algorithm, rows, cols, read, pool, cb);
    if (!b.ok()) {
      return absl::Status(b.status().code(),
                          absl::StrCat(info.name, ": ", b.status().message()));
    }
    bias = *b;
    SearchOptions o = options.search;
    o.exponent_bias = bias;
    ASSIGN_OR_RETURN(own, CreateSearcher(o, options.algorithm));
    searcher = own.get();
  }
  RETURN_IF_ERROR(ckpt.BeginTensor(i));
  absl::StatusOr<MatrixStats> stats =
      CompressMatrixStreaming(*searcher, rows, cols, read, sink, pool, cb);
  if (!stats.ok()) {
    return absl::Status(
        stats.status().code(),
        absl::StrCat(info.name, ": ", stats.status().message()));
  }
  CheckpointEntry e;
  e.input_crc = input_crc;
  e.sq_error = stats->sq_error;
  e.sq_norm = stats->sq_norm;
  e.seconds = SecondsSince(t0);
  e.exponent_bias = bias;
  RETURN_IF_ERROR(ckpt.CommitTensor(i, e));
  if (!ckpt.Lookup(i, e.input_crc, &e)) {
    return absl::DataLossError(
        absl::StrCat("checkpoint of ", info.name, " did not read back intact"));
  }
  return e;
}

// Copies a finished payload from the checkpoint into the container.
absl::Status AppendPayloadFile(const std::string& path, ContainerWriter& w) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> f, MappedFile::Open(path));
  constexpr uint64_t kChunk = 16 << 20;
  for (uint64_t off = 0; off < f->size(); off += kChunk) {
    const uint64_t n = std::min(kChunk, f->size() - off);
    RETURN_IF_ERROR(w.AppendPayload(absl::MakeConstSpan(f->data() + off, n)));
    f->DropPages(off, n);
  }
  return absl::OkStatus();
}

// Writes the container from the source (stored tensors) and the checkpoint
// (compressed ones).
absl::Status Assemble(const ModelSource& source, const std::vector<bool>& sel,
                      const std::vector<int>& biases,
                      const CompressOptions& options, const Checkpoint& ckpt,
                      const std::string& out_path) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<ContainerWriter> writer,
      ContainerWriter::Create(
          out_path, ContainerMetadata(source.metadata(), options.search)));
  for (size_t i = 0; i < source.tensors().size(); ++i) {
    const TensorInfo& info = source.tensors()[i];
    TensorEntry e;
    e.name = info.name;
    e.shape = info.shape;
    if (!sel[i]) {
      e.storage = static_cast<Storage>(info.dtype);
      ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(i));
      RETURN_IF_ERROR(writer->AddTensor(e, raw));
      source.ReleasePages(i);
      continue;
    }
    e.storage = Storage::kSeedLM;
    e.codec = options.search.codec;
    e.exponent_mode = options.search.mode;
    e.exponent_bias = biases[i];
    RETURN_IF_ERROR(writer->BeginTensor(e));
    RETURN_IF_ERROR(AppendPayloadFile(ckpt.PayloadPath(i), *writer));
    RETURN_IF_ERROR(writer->EndTensor());
  }
  return writer->Finish();
}

}  // namespace

absl::StatusOr<CompressReport> CompressModel(
    const ModelSource& source, const std::string& out_path,
    const CompressOptions& options, ThreadPool* pool,
    const CompressCallbacks& callbacks) {
  const auto t_start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<BlockSearcher> searcher,
                   CreateSearcher(options.search, options.algorithm));
  ASSIGN_OR_RETURN(TensorSelector selector,
                   TensorSelector::Create(options.include, options.exclude));
  const CodecConfig& codec = options.search.codec;
  const std::vector<TensorInfo>& infos = source.tensors();
  std::vector<bool> selected(infos.size());
  int64_t total_blocks = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    selected[i] = selector.Selects(infos[i]);
    if (!selected[i]) continue;
    const int64_t cols = infos[i].shape.back();
    total_blocks +=
        MakeGeometry(codec, NumElements(infos[i].shape) / cols, cols)
            .num_blocks();
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<Checkpoint> ckpt,
      Checkpoint::Open(out_path, Fingerprint(source, options), options.resume));
  CompressReport report;
  std::vector<int> biases(infos.size(), 0);
  int64_t blocks_before = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    const TensorInfo& info = infos[i];
    if (!selected[i]) {
      TensorReport r = BaseReport(info, static_cast<Storage>(info.dtype));
      r.payload_bytes =
          static_cast<uint64_t>(r.weights) * DTypeSize(info.dtype);
      r.bits_per_weight = 8.0 * DTypeSize(info.dtype);
      report.tensors.push_back(std::move(r));
      continue;
    }
    const int64_t cols = info.shape.back();
    const PackedGeometry g =
        MakeGeometry(codec, NumElements(info.shape) / cols, cols);
    SearchCallbacks cb;
    cb.cancel = callbacks.cancel;
    if (callbacks.progress) {
      cb.progress = [&](int64_t done, int64_t) {
        callbacks.progress(info.name, blocks_before + done, total_blocks);
      };
    }
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(i));
    CheckpointEntry e;
    const uint32_t input_crc = Crc32(raw.data(), raw.size());
    if (!ckpt->Lookup(i, input_crc, &e)) {
      ASSIGN_OR_RETURN(e, CompressTensor(source, i, input_crc, options,
                                         *searcher, *ckpt, pool, cb));
    } else {
      ++report.reused_tensors;
      if (cb.progress) cb.progress(g.num_blocks(), g.num_blocks());
    }
    source.ReleasePages(i);
    blocks_before += g.num_blocks();
    TensorReport r = BaseReport(info, Storage::kSeedLM);
    r.payload_bytes = e.payload_bytes;
    r.blocks = g.num_blocks();
    r.bits_per_weight = g.bits_per_weight();
    r.sq_error = e.sq_error;
    r.sq_norm = e.sq_norm;
    r.rel_error = e.sq_norm > 0 ? std::sqrt(e.sq_error / e.sq_norm) : 0.0;
    r.seconds = e.seconds;
    r.exponent_bias = biases[i] = e.exponent_bias;
    report.tensors.push_back(std::move(r));
  }
  RETURN_IF_ERROR(Assemble(source, selected, biases, options, *ckpt, out_path));
  RETURN_IF_ERROR(ckpt->Remove());
  report.seconds = SecondsSince(t_start);
  return report;
}

}  // namespace seedlm
