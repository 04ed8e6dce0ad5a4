#include "core/format/model_metadata.h"

#include "core/format/metadata_keys.h"

namespace seedlm {
namespace {

std::string ValueOr(const std::map<std::string, std::string>& m,
                    const char* key) {
  const auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

std::map<std::string, std::string> ModelMetadataToContainer(
    const ModelMetadata& m) {
  std::map<std::string, std::string> out;
  out[kMetaSourceFormat] = m.source_format;
  if (!m.arch_config_json.empty()) out[kMetaArchConfig] = m.arch_config_json;
  if (!m.tokenizer_format.empty()) {
    out[kMetaTokenizerFormat] = m.tokenizer_format;
    out[kMetaTokenizerData] = m.tokenizer_data;
  }
  return out;
}

ModelMetadata ModelMetadataFromContainer(
    const std::map<std::string, std::string>& metadata) {
  ModelMetadata m;
  m.source_format = ValueOr(metadata, kMetaSourceFormat);
  m.arch_config_json = ValueOr(metadata, kMetaArchConfig);
  m.tokenizer_format = ValueOr(metadata, kMetaTokenizerFormat);
  m.tokenizer_data = ValueOr(metadata, kMetaTokenizerData);
  return m;
}

}  // namespace seedlm
