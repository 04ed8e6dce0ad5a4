#include "core/runtime/weight_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/format/model_metadata.h"
#include "core/util/crc32.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

// The per-layer tensors, in the order LlamaModel's builder reads them.
constexpr const char* kLayerTensors[] = {
    "attn_norm", "ffn_norm", "wq", "wk", "wv", "wo", "w1", "w2", "w3"};

// A .seedlm container: entries and payloads as stored (Payload verifies the
// CRC the entry carries).
class ContainerWeightSource final : public WeightSource {
 public:
  ContainerWeightSource(std::unique_ptr<ContainerReader> reader,
                        ModelMetadata metadata, LlamaConfig config)
      : reader_(std::move(reader)), metadata_(std::move(metadata)) {
    config_ = std::move(config);
  }
  const ModelMetadata& metadata() const override { return metadata_; }

  absl::StatusOr<StoredWeight> Get(const std::string& name) const override {
    ASSIGN_OR_RETURN(const size_t i, reader_->FindTensor(name));
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> payload, reader_->Payload(i));
    return StoredWeight{reader_->tensors()[i], payload};
  }

 protected:
  absl::StatusOr<TensorEntry> Describe(const std::string& name) const override {
    ASSIGN_OR_RETURN(const size_t i, reader_->FindTensor(name));
    return reader_->tensors()[i];
  }

 private:
  std::unique_ptr<ContainerReader> reader_;
  ModelMetadata metadata_;
};

// A checkpoint (OpenModel): raw f32 / f16 / bf16 tensors, each entry's size
// and CRC computed from the stored bytes.
class CheckpointWeightSource final : public WeightSource {
 public:
  CheckpointWeightSource(std::unique_ptr<ModelSource> source,
                         LlamaConfig config)
      : source_(std::move(source)) {
    config_ = std::move(config);
  }
  const ModelMetadata& metadata() const override { return source_->metadata(); }

  absl::StatusOr<StoredWeight> Get(const std::string& name) const override {
    ASSIGN_OR_RETURN(TensorEntry entry, Describe(name));
    ASSIGN_OR_RETURN(const size_t i, source_->Find(name));
    ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes, source_->RawBytes(i));
    if (bytes.size() != entry.size) {
      return absl::DataLossError(absl::StrCat("tensor '", name, "' holds ",
                                              bytes.size(), " bytes, expected ",
                                              entry.size));
    }
    entry.crc = Crc32(bytes.data(), bytes.size());
    return StoredWeight{std::move(entry), bytes};
  }

 protected:
  absl::StatusOr<TensorEntry> Describe(const std::string& name) const override {
    ASSIGN_OR_RETURN(const size_t i, source_->Find(name));
    const TensorInfo& info = source_->tensors()[i];
    TensorEntry entry;
    entry.name = info.name;
    entry.shape = info.shape;
    switch (info.dtype) {
      case DType::kF32:
        entry.storage = Storage::kF32;
        break;
      case DType::kF16:
        entry.storage = Storage::kF16;
        break;
      case DType::kBF16:
        entry.storage = Storage::kBF16;
        break;
      default:
        return absl::UnimplementedError(absl::StrCat(
            "tensor '", name, "' has a dtype (", static_cast<int>(info.dtype),
            ") that a container cannot store"));
    }
    ASSIGN_OR_RETURN(entry.size, ExpectedPayloadBytes(entry));
    return entry;
  }

 private:
  std::unique_ptr<ModelSource> source_;
};

// What an executor holds for tensor `e` (LlamaModel's builder): packed and
// 2-D bf16 tensors as stored, other raw tensors widened to float32.
absl::StatusOr<uint64_t> HeldBytes(const TensorEntry& e) {
  if (e.storage == Storage::kSeedLM || e.storage == Storage::kTrellis ||
      (e.storage == Storage::kBF16 && e.shape.size() == 2)) {
    return ExpectedPayloadBytes(e);
  }
  return static_cast<uint64_t>(e.num_elements()) * sizeof(float);
}

}  // namespace

std::vector<std::string> LayerTensorNames(const LlamaConfig& config, int begin,
                                          int end) {
  std::vector<std::string> names;
  for (int l = begin; l < end; ++l) {
    for (const char* what : kLayerTensors) {
      names.push_back(LayerTensorName(config, l, what));
    }
  }
  return names;
}

absl::StatusOr<std::unique_ptr<WeightSource>> WeightSource::Open(
    const std::string& path) {
  if (IsContainerFile(path)) {
    ASSIGN_OR_RETURN(std::unique_ptr<ContainerReader> reader,
                     ContainerReader::Open(path));
    ModelMetadata metadata = ModelMetadataFromContainer(reader->metadata());
    ASSIGN_OR_RETURN(
        LlamaConfig config,
        ParseLlamaConfig(metadata.source_format, metadata.arch_config_json));
    return std::unique_ptr<WeightSource>(new ContainerWeightSource(
        std::move(reader), std::move(metadata), std::move(config)));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> source, OpenModel(path));
  ASSIGN_OR_RETURN(LlamaConfig config,
                   ParseLlamaConfig(source->metadata().source_format,
                                    source->metadata().arch_config_json));
  return std::unique_ptr<WeightSource>(
      new CheckpointWeightSource(std::move(source), std::move(config)));
}

absl::StatusOr<std::vector<uint64_t>> WeightSource::LayerBytes() const {
  std::vector<uint64_t> bytes(static_cast<size_t>(config_.n_layers), 0);
  for (int l = 0; l < config_.n_layers; ++l) {
    for (const std::string& name : LayerTensorNames(config_, l, l + 1)) {
      ASSIGN_OR_RETURN(const TensorEntry entry, Describe(name));
      ASSIGN_OR_RETURN(const uint64_t held, HeldBytes(entry));
      bytes[l] += held;
    }
  }
  return bytes;
}

// --- WeightAssembler ---
//
// bytes_ counts the payload bytes of the tensors held (complete ones and
// the one being received); a tensor dropped for its CRC no longer counts.

WeightAssembler::WeightAssembler(size_t max_tensors, uint64_t max_bytes)
    : max_tensors_(max_tensors), max_bytes_(max_bytes) {}

absl::Status WeightAssembler::BeginTensor(const TensorEntry& entry) {
  if (open_) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", current_.entry.name, "' is incomplete (",
                     current_.payload.size(), " of ", current_.entry.size,
                     " bytes) when '", entry.name, "' begins"));
  }
  RETURN_IF_ERROR(ValidateTensorEntry(entry));
  ASSIGN_OR_RETURN(const uint64_t expected, ExpectedPayloadBytes(entry));
  if (entry.size != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", entry.name, "' announces ", entry.size,
                     " payload bytes, its entry implies ", expected));
  }
  for (const OwnedTensor& t : done_) {
    if (t.entry.name == entry.name) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", entry.name, "' is sent twice"));
    }
  }
  if (done_.size() >= max_tensors_ || expected > max_bytes_ - bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", entry.name, "' (", expected,
                     " bytes) exceeds the bound of ", max_tensors_,
                     " tensors and ", max_bytes_, " bytes"));
  }
  current_.entry = entry;
  current_.payload.clear();
  current_.payload.reserve(static_cast<size_t>(expected));
  crc_ = 0;
  open_ = true;
  bytes_ += expected;  // reserved now; returned if the tensor is dropped
  if (expected == 0) return AddChunk(0, {});
  return absl::OkStatus();
}

absl::Status WeightAssembler::AddChunk(uint64_t offset,
                                       absl::Span<const uint8_t> data) {
  if (!open_) {
    return absl::InvalidArgumentError("payload bytes with no tensor begun");
  }
  const uint64_t have = current_.payload.size();
  const uint64_t want = current_.entry.size;
  if (offset != have) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", current_.entry.name, "': bytes at offset ",
                     offset, ", expected offset ", have));
  }
  if (data.size() > want - have) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", current_.entry.name, "': ", data.size(),
                     " bytes at offset ", offset, " overrun its ", want));
  }
  current_.payload.insert(current_.payload.end(), data.begin(), data.end());
  crc_ = Crc32(data.data(), data.size(), crc_);
  if (current_.payload.size() < want) return absl::OkStatus();
  open_ = false;
  if (crc_ != current_.entry.crc) {
    bytes_ -= want;
    const absl::Status error = absl::DataLossError(
        absl::StrCat("tensor '", current_.entry.name, "' arrived with CRC ",
                     crc_, ", its entry says ", current_.entry.crc));
    current_ = OwnedTensor();
    return error;
  }
  done_.push_back(std::move(current_));
  current_ = OwnedTensor();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OwnedTensor>> WeightAssembler::Finish() {
  if (open_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tensor '", current_.entry.name, "' is incomplete (",
        current_.payload.size(), " of ", current_.entry.size, " bytes)"));
  }
  std::vector<OwnedTensor> out = std::move(done_);
  done_.clear();
  bytes_ = 0;
  return out;
}

}  // namespace seedlm
