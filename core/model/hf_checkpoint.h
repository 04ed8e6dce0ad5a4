// Reader for Hugging Face checkpoint directories in safetensors form:
//   config.json                     required (a JSON object)
//   model.safetensors               a single-file checkpoint, or else
//   model.safetensors.index.json    {"weight_map": {tensor: shard file}}
//                                   with the shards beside it
//   tokenizer.json                  optional, becomes the tokenizer
//   tokenizer_config.json,          optional: the chat template, its
//   generation_config.json          bos/eos token texts and the stop token
//                                   ids (hf_chat_metadata.h)
// (model.safetensors wins when both it and the index exist, as in
// transformers.)
//
// Tensor order: shards in sorted file-name order, and within a shard by data
// offset (the file order). With an index, exactly the tensors it lists are
// exposed; a listed tensor missing from its shard, or a shard tensor the
// index does not list, is DATA_LOSS. Shard names must be plain file names in
// the directory (no '/', no "..": INVALID_ARGUMENT otherwise).
//
// Tied embeddings: tied = config "tie_word_embeddings" when it is a bool,
// else true exactly when no "lm_head.weight" is stored. A tied checkpoint may
// store either the embedding (e.g. model.embed_tokens.weight) or only
// lm_head.weight; whatever is stored is exposed unchanged, and
// metadata().arch_config_json records
//   {"hf_config": <config.json>, "tie_word_embeddings": <bool>,
//    "tied_embedding_tensor": "<the stored name>"}
// (the last key only when tied and one of the known names is stored; the
// embedding is preferred when both are).
//
// config.json and the index are read through the bounded JSON parse
// (core/util/json_util.h; at most kMaxHfJsonBytes, nested at most
// kMaxHfJsonDepth deep, at most kMaxJsonItems (core/util/json_util.h) items)
// and must be JSON objects; only the members read here are type-checked
// ("weight_map" an object of strings, "tie_word_embeddings" a bool when
// present). The Llama sizes are checked when the model is loaded to run
// (llama_config.h).
//
// Errors: NOT_FOUND (no config.json / no weights / missing shard),
// UNIMPLEMENTED (only PyTorch .bin weights), DATA_LOSS (bad JSON, a member of
// the wrong type, bad index, corrupt shard), RESOURCE_EXHAUSTED (a JSON file
// over a limit above, a tokenizer over 256 MiB).
#ifndef SEEDLM_CORE_MODEL_HF_CHECKPOINT_H_
#define SEEDLM_CORE_MODEL_HF_CHECKPOINT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/model/model_source.h"

namespace seedlm {

// Largest config.json or model.safetensors.index.json read, in bytes (real
// ones: a few KiB, and ~10 MiB for the index of a model of ~100k tensors).
inline constexpr uint64_t kMaxHfJsonBytes = uint64_t{64} << 20;
// Deepest JSON nesting accepted in them (real ones: 3 or 4).
inline constexpr int kMaxHfJsonDepth = 64;

// Opens the checkpoint directory `dir`. opts.tokenizer_path, when set,
// replaces tokenizer.json.
absl::StatusOr<std::unique_ptr<ModelSource>> OpenHfCheckpoint(
    const std::string& dir, const OpenModelOptions& opts);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_HF_CHECKPOINT_H_
