#include "core/format/model_metadata.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/format/metadata_keys.h"
#include "core/model/hf_chat_metadata.h"
#include "core/util/json_util.h"

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
  if (!m.chat_template.empty()) out[kMetaChatTemplate] = m.chat_template;
  if (!m.chat_bos_token.empty()) out[kMetaChatBosToken] = m.chat_bos_token;
  if (!m.chat_eos_token.empty()) out[kMetaChatEosToken] = m.chat_eos_token;
  if (!m.stop_token_ids.empty()) {
    out[kMetaChatStopTokenIds] =
        absl::StrCat("[", absl::StrJoin(m.stop_token_ids, ","), "]");
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
  m.chat_template = ValueOr(metadata, kMetaChatTemplate);
  m.chat_bos_token = ValueOr(metadata, kMetaChatBosToken);
  m.chat_eos_token = ValueOr(metadata, kMetaChatEosToken);
  const std::string ids = ValueOr(metadata, kMetaChatStopTokenIds);
  if (!ids.empty()) {
    absl::StatusOr<Json> j = ParseJson(ids, kMetaChatStopTokenIds);
    if (!j.ok() || !j->is_array() ||
        !ParseStopTokenIds(*j, kMetaChatStopTokenIds, &m.stop_token_ids).ok()) {
      m.stop_token_ids.clear();
    }
  }
  return m;
}

}  // namespace seedlm
