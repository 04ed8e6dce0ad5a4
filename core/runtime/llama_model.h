// A Llama-architecture model's weights, loaded for inference from a
// llama2.c file, a Hugging Face checkpoint or a .seedlm container.
//
// Compressed (seedlm) tensors stay packed: they become PackedLinear weights
// that point into the container's memory map, and bf16 matrices stored raw
// in a container (embeddings, output head) are served as bf16 from the map
// too, so serving a compressed model needs about its file size in memory.
// Other raw tensors (and every tensor of a checkpoint) are widened to
// float32.
//
// A model may hold only a part: a contiguous range of layers, with or
// without the token embedding and the output head (LoadModelOptions), so
// that an executor running some layers (llama_forward.h) holds only their
// weights. Its tensors may also come from elsewhere than a file, e.g. a
// network stream (FromTensors).
//
// Thread-safety: immutable after Load / FromTensors (but for mutable_layer,
// used before sharing); share one model between sessions (llama_session.h)
// and forward passes (llama_forward.h) on any number of threads.

#ifndef SEEDLM_CORE_RUNTIME_LLAMA_MODEL_H_
#define SEEDLM_CORE_RUNTIME_LLAMA_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/format/container.h"
#include "core/model/model_source.h"
#include "core/runtime/linear.h"
#include "core/runtime/llama_config.h"

namespace seedlm {

struct LoadModelOptions {
  // Tokenizer file (OpenModelOptions::tokenizer_path: the format follows
  // the extension). For a checkpoint it replaces the default tokenizer; for
  // a .seedlm file it replaces the embedded one in metadata().
  std::string tokenizer_path;
  // When set, called for every per-layer linear weight that is stored raw
  // (not for seedlm tensors, embeddings or the output head) with its name,
  // shape and float32 values, which it may replace in place (same size).
  // Used to evaluate other quantizers (round-to-nearest baselines) through
  // the same forward pass. An error aborts the load.
  std::function<absl::Status(const std::string& name, int64_t rows,
                             int64_t cols, std::vector<float>* values)>
      transform_linear;
  // The part of the model to load: layers [layer_begin, layer_end) (-1:
  // through the last layer), the token embedding (LlamaForward::Embed) and
  // the head (final norm and output matrix, LlamaForward::Head; with tied
  // embeddings the embedding matrix is then loaded as the head). The other
  // tensors are neither read nor decoded, and their payloads stay unused in
  // the map. INVALID_ARGUMENT unless 0 <= layer_begin <= layer_end <=
  // n_layers.
  int layer_begin = 0;
  int layer_end = -1;
  bool load_embedding = true;
  bool load_head = true;
};

// One tensor handed over with its bytes (e.g. received over a network
// stream), for LlamaModel::FromTensors.
struct OwnedTensor {
  // name, shape, storage, and for kSeedLM codec and exponent_bias, as in a
  // .seedlm directory (offset, size and crc are ignored).
  TensorEntry entry;
  // The payload as a .seedlm container stores it: ExpectedPayloadBytes(entry)
  // bytes (packed blocks, or raw little-endian f32 / f16 / bf16 elements).
  std::vector<uint8_t> payload;
};

// What the loaded weights cost, for reports.
struct WeightStats {
  int64_t linear_weights = 0;  // elements of the per-layer matrices
  uint64_t linear_bytes = 0;   // their storage in memory
  int64_t packed_weights = 0;  // elements stored as seedlm blocks
  uint64_t packed_bytes = 0;   // their payload bytes
  int packed_tensors = 0;
  uint64_t total_bytes = 0;  // all weights, as held in memory
};

class LlamaModel {
 public:
  struct Layer {
    std::vector<float> attn_norm;                  // dim
    std::vector<float> ffn_norm;                   // dim
    std::unique_ptr<LinearWeight> wq, wk, wv, wo;  // attention projections
    std::unique_ptr<LinearWeight> w1, w2, w3;      // gate, down, up
  };

  // Opens `path` (a .seedlm file is recognised by its magic; anything else
  // goes through OpenModel) and loads every tensor the architecture needs
  // (of the part that `options` selects).
  // Errors: those of OpenModel / ContainerReader::Open; UNIMPLEMENTED for a
  // model that is not a supported Llama (see ParseLlamaConfig); NOT_FOUND
  // for a missing tensor; INVALID_ARGUMENT for a tensor of the wrong shape
  // or a bad layer range; DATA_LOSS for a corrupt payload or architecture
  // config (ParseLlamaConfig).
  static absl::StatusOr<std::unique_ptr<LlamaModel>> Load(
      const std::string& path, const LoadModelOptions& options = {});

  // Builds the part of a model that `options` selects from `tensors`, which
  // must hold exactly the tensors that part needs (named for the layers'
  // absolute indices, as in the source file). `metadata` gives the
  // architecture (source_format, arch_config_json, as a .seedlm file's
  // metadata carries them); the tokenizer fields are kept as given. The
  // payloads are taken over: packed tensors and bf16 matrices are served
  // from them as they are (the weights own the bytes, no copy), other raw
  // tensors are widened to float32. The result equals, bit for bit, the
  // same part loaded from a container holding these tensors. file_kind() is
  // "tensors"; options.tokenizer_path is ignored and transform_linear
  // applies as in Load. Errors: as Load for the configuration, a missing
  // tensor (NOT_FOUND), a wrong shape (INVALID_ARGUMENT) or seed 0
  // (DATA_LOSS); INVALID_ARGUMENT also for an invalid entry, a payload of
  // the wrong size, a duplicate name or a tensor the part does not use.
  static absl::StatusOr<std::unique_ptr<LlamaModel>> FromTensors(
      const ModelMetadata& metadata, std::vector<OwnedTensor> tensors,
      const LoadModelOptions& options = {});

  const LlamaConfig& config() const { return config_; }
  // Source format, arch config and tokenizer bytes (from the container's
  // metadata for .seedlm files, the tokenizer from tokenizer_path if given).
  const ModelMetadata& metadata() const { return metadata_; }
  // "checkpoint" or "seedlm".
  const std::string& file_kind() const { return file_kind_; }

  // What was loaded (LoadModelOptions).
  int layer_begin() const { return layer_begin_; }
  int layer_end() const { return layer_end_; }
  bool has_layer(int i) const { return i >= layer_begin_ && i < layer_end_; }
  bool has_embedding() const { return embedding_ != nullptr; }
  bool has_head() const { return !final_norm_.empty(); }
  // Every layer, the embedding and the head.
  bool is_complete() const {
    return layer_begin_ == 0 && layer_end_ == config_.n_layers &&
           has_embedding() && has_head();
  }

  // vocab x dim. REQUIRES: has_embedding().
  const LinearWeight& embedding() const { return *embedding_; }
  // vocab x dim. REQUIRES: has_head().
  const LinearWeight& output() const {
    return output_ != nullptr ? *output_ : *embedding_;
  }
  // REQUIRES: has_layer(i).
  const Layer& layer(int i) const { return layers_[i - layer_begin_]; }
  // Layer i for a wrapper that swaps its weights (fpga/host/fpga_linear.h)
  // before the model is shared: a replacement must keep the weight's shape
  // and give the same results. Not thread-safe. REQUIRES: has_layer(i).
  Layer& mutable_layer(int i) { return layers_[i - layer_begin_]; }
  // dim floats; empty unless has_head().
  const std::vector<float>& final_norm() const { return final_norm_; }
  // The weights loaded (a part counts only its own).
  const WeightStats& stats() const { return stats_; }

 private:
  class Builder;
  LlamaModel() = default;

  LlamaConfig config_;
  ModelMetadata metadata_;
  std::string file_kind_;
  std::unique_ptr<ContainerReader> container_;  // owns packed payloads
  std::unique_ptr<LinearWeight> embedding_;
  std::unique_ptr<LinearWeight> output_;  // null when tied (or no head)
  int layer_begin_ = 0;
  int layer_end_ = 0;
  std::vector<Layer> layers_;  // layers [layer_begin_, layer_end_)
  std::vector<float> final_norm_;
  WeightStats stats_;
};

// Whether `path` is a .seedlm container (starts with its magic); false for
// anything else, including a file that cannot be read.
bool IsContainerFile(const std::string& path);

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_MODEL_H_
