// Read-only access to the tensors of an uncompressed model checkpoint, whatever
// its on-disk format (llama2.c .bin, Hugging Face checkpoint directory, plain
// safetensors file, GGUF file), plus the metadata a .seedlm container needs to
// be servable on its own (architecture config and tokenizer bytes).
//
// OpenModel() picks the reader from the path; every reader memory-maps its
// files and hands out views of the stored bytes, so opening a model costs no
// copy of the weights.
//
// Errors (absl::Status codes, every message names the file):
//   NOT_FOUND         the model path, a required file (config.json, a shard)
//                     or an explicitly given tokenizer does not exist
//   DATA_LOSS         the file is corrupt or inconsistent (bad header, sizes
//                     that do not add up, offsets out of range, bad JSON)
//   UNIMPLEMENTED     a valid file using something we do not support (tensor
//                     dtypes other than f32/f16/bf16, quantized GGUF tensors,
//                     llama2.c "version 1/2" exports, PyTorch pickles)
//   INVALID_ARGUMENT  the path is no supported model, an ambiguous default
//                     tokenizer, a bad tensor index
//   RESOURCE_EXHAUSTED  a header or JSON side file larger than its sanity cap
//                     or nested too deep, more tensors, dimensions, JSON
//                     items or name bytes than the limits below
#ifndef SEEDLM_CORE_MODEL_MODEL_SOURCE_H_
#define SEEDLM_CORE_MODEL_MODEL_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/util/dtype.h"

namespace seedlm {

// One stored tensor. `shape` is row-major, outermost dimension first (as in
// PyTorch / safetensors; GGUF's fastest-varying-first dims are reversed).
// An empty shape is a scalar (one element).
struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kF32;
};

// Number of elements of `shape` (1 for a scalar). REQUIRES: the shape came
// from a ModelSource (readers reject shapes whose product overflows).
int64_t NumElements(const std::vector<int64_t>& shape);

// What a .seedlm container carries so that it can be served without the
// original checkpoint.
struct ModelMetadata {
  // "llama2c", "hf", "safetensors" or "gguf".
  std::string source_format;
  // Normalized architecture config as JSON text (keys sorted, no whitespace),
  // empty when unknown (plain safetensors, GGUF).
  //   llama2c: {"architecture":"llama","dim":..,"hidden_dim":..,
  //             "max_seq_len":..,"n_heads":..,"n_kv_heads":..,"n_layers":..,
  //             "norm_eps":1e-05,"rope_style":"interleaved",
  //             "rope_theta":10000.0,"shared_classifier":true|false,
  //             "vocab_size":..}
  //   hf:      {"hf_config":{...config.json, untouched...},
  //             "tie_word_embeddings":true|false,
  //             "tied_embedding_tensor":"<stored name>"}  (last key only when
  //             tied and one of the known embedding/head names is stored)
  std::string arch_config_json;
  // "llama2c-bin", "hf-tokenizer-json", or "" when there is no tokenizer.
  std::string tokenizer_format;
  // Raw bytes of the tokenizer file.
  std::string tokenizer_data;
  // Chat serving (Hugging Face checkpoints; carried by .seedlm metadata):
  // the Jinja chat template of tokenizer_config.json ("" when none), the
  // text of its bos_token / eos_token (template variables), and the stop
  // token ids of generation_config.json's eos_token_id, else config.json's
  // (empty when none; core/model/hf_chat_metadata.h).
  std::string chat_template;
  std::string chat_bos_token;
  std::string chat_eos_token;
  std::vector<int32_t> stop_token_ids;
};

// Limits every reader enforces (docs/LIMITS.md).
// Most tensors one model file (a safetensors file or shard, a GGUF file) may
// list; more is RESOURCE_EXHAUSTED, checked before the list is built.
inline constexpr uint64_t kMaxModelTensors = uint64_t{1} << 20;
// Most dimensions of one safetensors tensor; more is RESOURCE_EXHAUSTED
// (GGUF allows 4 by its format: more is DATA_LOSS there). The same as a
// .seedlm container's limit.
inline constexpr size_t kMaxModelTensorRank = 8;
// Longest tensor name, in bytes (safetensors, GGUF); longer is
// RESOURCE_EXHAUSTED. The same as a .seedlm container's limit.
inline constexpr size_t kMaxModelTensorNameBytes = 4096;
// An opened checkpoint. Immutable after construction: all methods are const
// and safe to call concurrently from several threads.
class ModelSource {
 public:
  virtual ~ModelSource() = default;

  // All supported tensors, in a deterministic order (the order of the bytes in
  // the file; for sharded checkpoints shard by shard, see hf_checkpoint.h).
  // Names are unique.
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  virtual const ModelMetadata& metadata() const = 0;

  // The stored little-endian bytes of tensor i (NumElements * DTypeSize
  // bytes). The view points into a memory map owned by this source and stays
  // valid while the source lives. It may be unaligned.
  // INVALID_ARGUMENT if i >= tensors().size().
  virtual absl::StatusOr<absl::Span<const uint8_t>> RawBytes(
      size_t i) const = 0;

  // Hint that the caller is done with tensor i for now: memory-mapped pages
  // may leave the resident set (reading again brings them back). Keeps the
  // peak memory of a tensor-by-tensor pass near one tensor. Default: no-op.
  virtual void ReleasePages(size_t i) const { (void)i; }

  // Tensor i widened to float32 (exact for f16/bf16).
  absl::StatusOr<std::vector<float>> ReadFloat32(size_t i) const;

  // Index of the tensor named `name`; NOT_FOUND if absent. Linear scan.
  absl::StatusOr<size_t> Find(absl::string_view name) const;
};

struct OpenModelOptions {
  // Tokenizer file to attach. Empty means the format's default:
  //   llama2c: the single "tok*.bin" beside the model ("tokenizer.bin"
  //            counts as one: several → INVALID_ARGUMENT listing them, even
  //            when one is tokenizer.bin; none → no tokenizer, not an error);
  //   hf:      tokenizer.json in the directory if present;
  //   safetensors, gguf: none.
  // When set, the file must exist (NOT_FOUND otherwise); its format is
  // "hf-tokenizer-json" if the name ends in ".json", else "llama2c-bin".
  // A llama2c-bin tokenizer attached to a llama2c model must hold exactly
  // vocab_size entries (INVALID_ARGUMENT otherwise: it belongs to another
  // model).
  std::string tokenizer_path;
  // File whose bytes replace metadata().chat_template (any format; e.g. a
  // template for a model that has none, such as a llama2.c checkpoint).
  // Empty: the format's own (Hugging Face: tokenizer_config.json). When
  // set, the file must exist (NOT_FOUND) and hold at most 64 KiB
  // (RESOURCE_EXHAUSTED).
  std::string chat_template_path;
};

// Which reader OpenModel uses for a path.
enum class ModelFormat { kHfDirectory, kGguf, kSafetensors, kLlama2c };

// The format OpenModel(path) dispatches on (below), from the path's type,
// name and first bytes, without parsing further: NOT_FOUND for a missing
// path, INVALID_ARGUMENT for a path that is neither a regular file nor a
// directory or no supported model, errors of stat and of reading the head.
// Clients that send a model elsewhere (an upload) use it to pick the files
// the reader will open.
absl::StatusOr<ModelFormat> DetectModelFormat(const std::string& path);

// Opens the model at `path`:
//   a directory                       → Hugging Face checkpoint
//   a file starting with "GGUF", or *.gguf → GGUF
//   *.safetensors, or a file that looks like one → plain safetensors
//   *.bin with a plausible llama2.c header    → llama2.c
// anything else → INVALID_ARGUMENT naming the supported formats.
absl::StatusOr<std::unique_ptr<ModelSource>> OpenModel(
    const std::string& path, const OpenModelOptions& opts = {});

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_MODEL_SOURCE_H_
