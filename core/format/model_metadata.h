// The one mapping between a model's ModelMetadata (core/model/model_source.h:
// source format, architecture config, tokenizer) and the metadata map of a
// .seedlm container (metadata_keys.h, docs/FORMAT.md). The compressor writes
// it, the runtime reads it back.
//
// Its own library (seedlm_model_metadata), because it needs both the format's
// keys and core/model's struct while the container library (seedlm_format)
// does not depend on core/model. Pure functions; thread-safe.
#ifndef SEEDLM_CORE_FORMAT_MODEL_METADATA_H_
#define SEEDLM_CORE_FORMAT_MODEL_METADATA_H_

#include <map>
#include <string>

#include "core/model/model_source.h"

namespace seedlm {

// The container entries of `m`: kMetaSourceFormat always; kMetaArchConfig
// when the config is non-empty; kMetaTokenizerFormat and kMetaTokenizerData
// when the tokenizer format is non-empty (tokenizer data without a format is
// dropped); each kMetaChat* key when its field is non-empty.
std::map<std::string, std::string> ModelMetadataToContainer(
    const ModelMetadata& m);

// The ModelMetadata a container's metadata describes; absent keys read as
// empty, other keys are ignored. A kMetaChatStopTokenIds value that is not
// a JSON array of at most 64 integers in 0..2^31-1 (never written so) reads
// as no stop ids. Inverse of ModelMetadataToContainer for every `m` whose
// tokenizer data is empty when its format is.
ModelMetadata ModelMetadataFromContainer(
    const std::map<std::string, std::string>& metadata);

}  // namespace seedlm

#endif  // SEEDLM_CORE_FORMAT_MODEL_METADATA_H_
