#include "core/runtime/llama_model.h"

#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/format/model_metadata.h"
#include "core/model/mapped_source.h"  // LoadExplicitTokenizer
#include "core/runtime/trellis_linear.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// One stored tensor, raw (widened to float32) or packed.
struct StoredTensor {
  std::vector<int64_t> shape;
  bool packed = false;
  std::vector<float> values;             // raw (unless bf16_view is set)
  absl::Span<const uint16_t> bf16_view;  // raw bf16 matrix, served as is
  CodecConfig codec;                     // packed
  int bias = 0;                          // packed
  absl::Span<const uint8_t> payload;     // packed
  // Keeps payload / bf16_view alive (FromTensors); null when they lie in a
  // container's map, which the model owns.
  std::shared_ptr<const void> owner;
};

// A stored packed tensor, or a 2-D bf16 one served as bf16; false for a
// tensor that is widened to float32. `bytes` is its verified payload.
bool ServedAsStored(const TensorEntry& e, absl::Span<const uint8_t> bytes,
                    std::shared_ptr<const void> owner, StoredTensor* t) {
  t->shape = e.shape;
  if (e.storage == Storage::kSeedLM || e.storage == Storage::kTrellis) {
    t->packed = true;
    t->codec = e.codec;
    t->bias = e.exponent_bias;
    t->payload = bytes;
  } else if (e.storage == Storage::kBF16 && e.shape.size() == 2) {
    t->bf16_view = absl::MakeConstSpan(
        reinterpret_cast<const uint16_t*>(bytes.data()), bytes.size() / 2);
  } else {
    return false;
  }
  t->owner = std::move(owner);
  return true;
}

class TensorFetcher {
 public:
  virtual ~TensorFetcher() = default;
  virtual absl::StatusOr<StoredTensor> Fetch(const std::string& name) = 0;
};

class CheckpointFetcher : public TensorFetcher {
 public:
  explicit CheckpointFetcher(const ModelSource* source) : source_(source) {}
  absl::StatusOr<StoredTensor> Fetch(const std::string& name) override {
    ASSIGN_OR_RETURN(size_t i, source_->Find(name));
    StoredTensor t;
    t.shape = source_->tensors()[i].shape;
    ASSIGN_OR_RETURN(t.values, source_->ReadFloat32(i));
    source_->ReleasePages(i);
    return t;
  }

 private:
  const ModelSource* source_;
};

class ContainerFetcher : public TensorFetcher {
 public:
  explicit ContainerFetcher(const ContainerReader* reader) : reader_(reader) {}
  absl::StatusOr<StoredTensor> Fetch(const std::string& name) override {
    ASSIGN_OR_RETURN(size_t i, reader_->FindTensor(name));
    const TensorEntry& e = reader_->tensors()[i];
    StoredTensor t;
    if (e.storage == Storage::kSeedLM || e.storage == Storage::kTrellis ||
        (e.storage == Storage::kBF16 && e.shape.size() == 2)) {
      ASSIGN_OR_RETURN(absl::Span<const uint8_t> raw,
                       reader_->Payload(i));  // verifies the CRC
      ServedAsStored(e, raw, nullptr, &t);
      // Served from the map; a bf16 matrix's pages come back as rows are used.
      if (!t.packed) reader_->ReleasePages(i);
      return t;
    }
    t.shape = e.shape;
    t.values.resize(static_cast<size_t>(e.num_elements()));
    RETURN_IF_ERROR(reader_->DecodeToFloat32(i, absl::MakeSpan(t.values)));
    return t;
  }

 private:
  const ContainerReader* reader_;
};

absl::Status ShapeError(const std::string& name,
                        const std::vector<int64_t>& got,
                        const std::vector<int64_t>& want) {
  return absl::InvalidArgumentError(
      absl::StrCat("tensor '", name, "' has shape [", absl::StrJoin(got, ", "),
                   "], the config implies [", absl::StrJoin(want, ", "), "]"));
}

}  // namespace

class LlamaModel::Builder {
 public:
  Builder(LlamaModel* model, TensorFetcher* fetcher,
          const LoadModelOptions& options)
      : m_(model), fetcher_(fetcher), options_(options) {}

  absl::Status Build() {
    const LlamaConfig& c = m_->config_;
    const int begin = options_.layer_begin;
    const int end = options_.layer_end == -1 ? c.n_layers : options_.layer_end;
    RETURN_IF_ERROR(CheckLayerRange(c, begin, end));
    m_->layer_begin_ = begin;
    m_->layer_end_ = end;
    if (options_.load_embedding) {
      ASSIGN_OR_RETURN(m_->embedding_, Linear(c.embedding_tensor, c.vocab_size,
                                              c.dim, /*layer=*/false));
    }
    if (options_.load_head &&
        (!c.tied_embeddings || !options_.load_embedding)) {
      // Tied and without the embedding: the embedding matrix is the head.
      const std::string head =
          c.tied_embeddings ? c.embedding_tensor : OutputHeadName(c);
      ASSIGN_OR_RETURN(m_->output_, Linear(head, c.vocab_size, c.dim, false));
    }
    m_->layers_.resize(end - begin);
    for (int l = begin; l < end; ++l) {
      RETURN_IF_ERROR(BuildLayer(l, &m_->layers_[l - begin]));
    }
    if (options_.load_head) {
      ASSIGN_OR_RETURN(m_->final_norm_, Vector(FinalNormName(c), c.dim));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status BuildLayer(int l, Layer* layer) {
    const LlamaConfig& c = m_->config_;
    const int q_dim = c.n_heads * c.head_dim;
    const int kv_dim = c.n_kv_heads * c.head_dim;
    Layer& L = *layer;
    auto name = [&](const char* what) { return LayerTensorName(c, l, what); };
    ASSIGN_OR_RETURN(L.attn_norm, Vector(name("attn_norm"), c.dim));
    ASSIGN_OR_RETURN(L.ffn_norm, Vector(name("ffn_norm"), c.dim));
    ASSIGN_OR_RETURN(L.wq, Linear(name("wq"), q_dim, c.dim, true));
    ASSIGN_OR_RETURN(L.wk, Linear(name("wk"), kv_dim, c.dim, true));
    ASSIGN_OR_RETURN(L.wv, Linear(name("wv"), kv_dim, c.dim, true));
    ASSIGN_OR_RETURN(L.wo, Linear(name("wo"), c.dim, q_dim, true));
    ASSIGN_OR_RETURN(L.w1, Linear(name("w1"), c.hidden_dim, c.dim, true));
    ASSIGN_OR_RETURN(L.w2, Linear(name("w2"), c.dim, c.hidden_dim, true));
    ASSIGN_OR_RETURN(L.w3, Linear(name("w3"), c.hidden_dim, c.dim, true));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<LinearWeight>> Linear(const std::string& name,
                                                       int64_t rows,
                                                       int64_t cols,
                                                       bool layer) {
    ASSIGN_OR_RETURN(StoredTensor t, fetcher_->Fetch(name));
    if (t.shape != std::vector<int64_t>{rows, cols}) {
      return ShapeError(name, t.shape, {rows, cols});
    }
    WeightStats& s = m_->stats_;
    std::unique_ptr<LinearWeight> w;
    if (t.packed) {
      ASSIGN_OR_RETURN(w, CreateCompressedLinear(t.codec, t.bias, rows, cols,
                                                 t.payload, t.owner));
      s.packed_weights += rows * cols;
      s.packed_bytes += w->StorageBytes();
      ++s.packed_tensors;
    } else if (!t.bf16_view.empty()) {
      w = std::make_unique<DenseBf16Linear>(rows, cols, t.bf16_view, t.owner);
    } else {
      if (layer && options_.transform_linear) {
        RETURN_IF_ERROR(options_.transform_linear(name, rows, cols, &t.values));
        if (t.values.size() != static_cast<size_t>(rows * cols)) {
          return absl::InternalError("transform_linear changed the size");
        }
      }
      w = std::make_unique<DenseLinear>(rows, cols, std::move(t.values));
    }
    if (layer) {
      s.linear_weights += rows * cols;
      s.linear_bytes += w->StorageBytes();
    }
    s.total_bytes += w->StorageBytes();
    return w;
  }

  absl::StatusOr<std::vector<float>> Vector(const std::string& name,
                                            int64_t n) {
    ASSIGN_OR_RETURN(StoredTensor t, fetcher_->Fetch(name));
    if (t.shape != std::vector<int64_t>{n})
      return ShapeError(name, t.shape, {n});
    std::vector<float> v(static_cast<size_t>(n));
    if (t.packed) {
      ASSIGN_OR_RETURN(
          auto w, CreateCompressedLinear(t.codec, t.bias, 1, n, t.payload));
      w->GetRow(0, v.data());
    } else {
      v = std::move(t.values);
    }
    m_->stats_.total_bytes += static_cast<uint64_t>(n) * 4;
    return v;
  }

  LlamaModel* m_;
  TensorFetcher* fetcher_;
  const LoadModelOptions& options_;
};

bool IsContainerFile(const std::string& path) {
  char magic[sizeof(kContainerMagic)] = {};
  const absl::StatusOr<size_t> n = ReadFileHead(path, magic, sizeof(magic));
  return n.ok() && *n == sizeof(magic) &&
         std::memcmp(magic, kContainerMagic, sizeof(magic)) == 0;
}

absl::StatusOr<std::unique_ptr<LlamaModel>> LlamaModel::Load(
    const std::string& path, const LoadModelOptions& options) {
  std::unique_ptr<LlamaModel> model(new LlamaModel());
  std::unique_ptr<ModelSource> source;
  std::unique_ptr<TensorFetcher> fetcher;
  if (IsContainerFile(path)) {
    ASSIGN_OR_RETURN(model->container_, ContainerReader::Open(path));
    model->file_kind_ = "seedlm";
    model->metadata_ =
        ModelMetadataFromContainer(model->container_->metadata());
    if (!options.tokenizer_path.empty()) {  // replaces the embedded one
      RETURN_IF_ERROR(model_internal::LoadExplicitTokenizer(
          options.tokenizer_path, &model->metadata_));
    }
    fetcher = std::make_unique<ContainerFetcher>(model->container_.get());
  } else {
    OpenModelOptions open;
    open.tokenizer_path = options.tokenizer_path;
    ASSIGN_OR_RETURN(source, OpenModel(path, open));
    model->file_kind_ = "checkpoint";
    model->metadata_ = source->metadata();
    fetcher = std::make_unique<CheckpointFetcher>(source.get());
  }
  ASSIGN_OR_RETURN(model->config_,
                   ParseLlamaConfig(model->metadata_.source_format,
                                    model->metadata_.arch_config_json));
  Builder builder(model.get(), fetcher.get(), options);
  RETURN_IF_ERROR(builder.Build());
  return model;
}

namespace {

// Tensors handed over with their payloads (FromTensors); each is fetched at
// most once, its payload moved into the weight.
class OwnedFetcher : public TensorFetcher {
 public:
  absl::Status Add(OwnedTensor t) {
    RETURN_IF_ERROR(ValidateTensorEntry(t.entry));
    ASSIGN_OR_RETURN(const uint64_t want, ExpectedPayloadBytes(t.entry));
    if (t.payload.size() != want) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.entry.name, "' has ", t.payload.size(),
                       " payload bytes, expected ", want));
    }
    const std::string name = t.entry.name;
    if (!tensors_.emplace(name, std::move(t)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "' is given twice"));
    }
    return absl::OkStatus();
  }

  // Hands the tensor over (it leaves the set): packed and bf16 payloads are
  // moved into the weight, no copy.
  absl::StatusOr<StoredTensor> Fetch(const std::string& name) override {
    auto node = tensors_.extract(name);
    if (node.empty()) {
      return absl::NotFoundError(absl::StrCat("no tensor '", name, "'"));
    }
    const TensorEntry& e = node.mapped().entry;
    auto bytes = std::make_shared<const std::vector<uint8_t>>(
        std::move(node.mapped().payload));
    StoredTensor t;
    if (ServedAsStored(e, *bytes, bytes, &t)) return t;
    t.shape = e.shape;
    t.values.resize(static_cast<size_t>(e.num_elements()));
    RETURN_IF_ERROR(ConvertToFloat32(static_cast<DType>(e.storage), *bytes,
                                     absl::MakeSpan(t.values)));
    return t;
  }

  // INVALID_ARGUMENT naming a tensor that was never fetched.
  absl::Status CheckAllUsed() const {
    if (tensors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", tensors_.begin()->first,
                     "' is not used by the part being built"));
  }

 private:
  std::map<std::string, OwnedTensor> tensors_;  // not fetched yet
};

}  // namespace

absl::StatusOr<std::unique_ptr<LlamaModel>> LlamaModel::FromTensors(
    const ModelMetadata& metadata, std::vector<OwnedTensor> tensors,
    const LoadModelOptions& options) {
  std::unique_ptr<LlamaModel> model(new LlamaModel());
  model->file_kind_ = "tensors";
  model->metadata_ = metadata;
  ASSIGN_OR_RETURN(model->config_, ParseLlamaConfig(metadata.source_format,
                                                    metadata.arch_config_json));
  OwnedFetcher fetcher;
  for (OwnedTensor& t : tensors) RETURN_IF_ERROR(fetcher.Add(std::move(t)));
  Builder builder(model.get(), &fetcher, options);
  RETURN_IF_ERROR(builder.Build());
  RETURN_IF_ERROR(fetcher.CheckAllUsed());
  return model;
}

}  // namespace seedlm
