#include "core/compress/model_compressor.h"

#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/compress/tensor_compressor.h"
#include "core/model/tensor_select.h"
#include "core/search/reference_search.h"
#include "core/util/status_macros.h"

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

// Stores tensor i as it is in the source.
absl::StatusOr<TensorReport> StoreRaw(const ModelSource& source, size_t i,
                                      ContainerWriter& writer) {
  const TensorInfo& info = source.tensors()[i];
  ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw, source.RawBytes(i));
  TensorEntry e;
  e.name = info.name;
  e.shape = info.shape;
  e.storage = static_cast<Storage>(info.dtype);
  RETURN_IF_ERROR(writer.AddTensor(e, raw));
  TensorReport r;
  r.name = info.name;
  r.shape = info.shape;
  r.storage = e.storage;
  r.weights = NumElements(info.shape);
  r.payload_bytes = raw.size();
  r.bits_per_weight = r.weights ? 8.0 * raw.size() / r.weights : 0.0;
  return r;
}

}  // namespace

absl::StatusOr<CompressReport> CompressModel(
    const ModelSource& source, const std::string& out_path,
    const CompressOptions& options, ThreadPool* pool,
    const CompressCallbacks& callbacks) {
  const auto t_start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<ReferenceSearcher> searcher,
                   ReferenceSearcher::Create(options.search));
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
    const int64_t rows = NumElements(infos[i].shape) / cols;
    total_blocks += MakeGeometry(codec, rows, cols).num_blocks();
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<ContainerWriter> writer,
      ContainerWriter::Create(out_path, ContainerMetadata(source.metadata(),
                                                          options.search)));
  CompressReport report;
  int64_t blocks_before = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    const TensorInfo& info = infos[i];
    if (!selected[i]) {
      ASSIGN_OR_RETURN(TensorReport r, StoreRaw(source, i, *writer));
      report.tensors.push_back(std::move(r));
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::vector<float> w, source.ReadFloat32(i));
    const int64_t cols = info.shape.back();
    const int64_t rows = static_cast<int64_t>(w.size()) / cols;
    SearchCallbacks cb;
    cb.cancel = callbacks.cancel;
    if (callbacks.progress) {
      cb.progress = [&](int64_t done, int64_t) {
        callbacks.progress(info.name, blocks_before + done, total_blocks);
      };
    }
    absl::StatusOr<CompressedMatrix> m =
        CompressMatrix(*searcher, w, rows, cols, pool, cb);
    if (!m.ok()) {
      return absl::Status(m.status().code(),
                          absl::StrCat(info.name, ": ", m.status().message()));
    }
    blocks_before += m->geometry.num_blocks();
    TensorEntry e;
    e.name = info.name;
    e.shape = info.shape;
    e.storage = Storage::kSeedLM;
    e.codec = codec;
    e.exponent_mode = options.search.mode;
    e.exponent_bias = options.search.exponent_bias;
    RETURN_IF_ERROR(writer->AddTensor(e, m->payload));
    TensorReport r;
    r.name = info.name;
    r.shape = info.shape;
    r.storage = Storage::kSeedLM;
    r.weights = static_cast<int64_t>(w.size());
    r.payload_bytes = m->payload.size();
    r.blocks = m->geometry.num_blocks();
    r.bits_per_weight = m->geometry.bits_per_weight();
    r.rel_error = m->rel_error();
    r.sq_error = m->sq_error;
    r.sq_norm = m->sq_norm;
    r.seconds = SecondsSince(t0);
    report.tensors.push_back(std::move(r));
  }
  RETURN_IF_ERROR(writer->Finish());
  report.seconds = SecondsSince(t_start);
  return report;
}

}  // namespace seedlm
