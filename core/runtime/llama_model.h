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
// Thread-safety: immutable after Load; share one model between sessions
// (llama_session.h) on any number of threads.

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
  // Tokenizer file for a checkpoint (OpenModelOptions::tokenizer_path);
  // ignored for .seedlm files, which carry their own.
  std::string tokenizer_path;
  // When set, called for every per-layer linear weight that is stored raw
  // (not for seedlm tensors, embeddings or the output head) with its name,
  // shape and float32 values, which it may replace in place (same size).
  // Used to evaluate other quantizers (round-to-nearest baselines) through
  // the same forward pass. An error aborts the load.
  std::function<absl::Status(const std::string& name, int64_t rows,
                             int64_t cols, std::vector<float>* values)>
      transform_linear;
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
  // goes through OpenModel) and loads every tensor the architecture needs.
  // Errors: those of OpenModel / ContainerReader::Open; UNIMPLEMENTED for a
  // model that is not a supported Llama (see ParseLlamaConfig); NOT_FOUND
  // for a missing tensor; INVALID_ARGUMENT for a tensor of the wrong shape;
  // DATA_LOSS for a corrupt payload.
  static absl::StatusOr<std::unique_ptr<LlamaModel>> Load(
      const std::string& path, const LoadModelOptions& options = {});

  const LlamaConfig& config() const { return config_; }
  // Source format, arch config and tokenizer bytes (from the container's
  // metadata for .seedlm files).
  const ModelMetadata& metadata() const { return metadata_; }
  // "checkpoint" or "seedlm".
  const std::string& file_kind() const { return file_kind_; }

  const LinearWeight& embedding() const { return *embedding_; }  // vocab x dim
  const LinearWeight& output() const {                           // vocab x dim
    return output_ != nullptr ? *output_ : *embedding_;
  }
  const Layer& layer(int i) const { return layers_[i]; }
  const std::vector<float>& final_norm() const { return final_norm_; }
  const WeightStats& stats() const { return stats_; }

 private:
  class Builder;
  LlamaModel() = default;

  LlamaConfig config_;
  ModelMetadata metadata_;
  std::string file_kind_;
  std::unique_ptr<ContainerReader> container_;  // owns packed payloads
  std::unique_ptr<LinearWeight> embedding_;
  std::unique_ptr<LinearWeight> output_;  // null when tied
  std::vector<Layer> layers_;
  std::vector<float> final_norm_;
  WeightStats stats_;
};

}  // namespace seedlm

#endif  // SEEDLM_CORE_RUNTIME_LLAMA_MODEL_H_
