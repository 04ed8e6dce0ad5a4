#include "core/model/hf_chat_metadata.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/model/hf_checkpoint.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

namespace fs = std::filesystem;

// The JSON object in `path`, or null when there is no such file.
absl::StatusOr<Json> ReadOptionalObject(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Json();
  ASSIGN_OR_RETURN(const std::string text,
                   ReadFileToString(path.string(), kMaxHfJsonBytes));
  ASSIGN_OR_RETURN(Json j,
                   ParseJson(text, path.string(),
                             JsonLimits{kMaxHfJsonBytes, kMaxHfJsonDepth}));
  if (!j.is_object()) {
    return absl::DataLossError(absl::StrCat(
        path.string(), ": expected a JSON object, got ", JsonTypeName(j)));
  }
  return j;
}

// "bos_token" / "eos_token": a string or {"content": string}.
absl::Status ReadTokenText(const Json& cfg, const char* key,
                           const std::string& where, std::string* out) {
  ASSIGN_OR_RETURN(const Json* v, JsonFind(cfg, key, where));
  if (v == nullptr) return absl::OkStatus();
  const std::string field = absl::StrCat(where, ".", key);
  if (v->is_object()) {
    ASSIGN_OR_RETURN(*out, JsonString(*v, "content", field));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(*out, JsonAsString(*v, field));
  return absl::OkStatus();
}

// "chat_template": a string, or a list of {name, template}.
absl::Status ReadTemplate(const Json& cfg, const std::string& where,
                          std::string* out) {
  ASSIGN_OR_RETURN(const Json* v, JsonFind(cfg, "chat_template", where));
  if (v == nullptr) return absl::OkStatus();
  const std::string field = absl::StrCat(where, ".chat_template");
  if (v->is_array()) {
    for (size_t k = 0; k < v->size(); ++k) {
      const std::string item = absl::StrCat(field, "[", k, "]");
      ASSIGN_OR_RETURN(const std::string name,
                       JsonString((*v)[k], "name", item));
      ASSIGN_OR_RETURN(const std::string text,
                       JsonString((*v)[k], "template", item));
      if (name == "default") *out = text;
    }
  } else {
    ASSIGN_OR_RETURN(*out, JsonAsString(*v, field));
  }
  if (out->size() > kMaxChatTemplateBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        field, ": the chat template is ", out->size(), " bytes, over the ",
        kMaxChatTemplateBytes, "-byte limit"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseStopTokenIds(const Json& value, const std::string& where,
                               std::vector<int32_t>* out) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  out->clear();
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_array()) {
    ASSIGN_OR_RETURN(const int64_t id, JsonAsInt(value, 0, kMax, where));
    out->push_back(static_cast<int32_t>(id));
    return absl::OkStatus();
  }
  if (value.size() > kMaxStopTokenIds) {
    return absl::ResourceExhaustedError(
        absl::StrCat(where, ": ", value.size(), " stop token ids, over the ",
                     kMaxStopTokenIds, " limit"));
  }
  for (size_t k = 0; k < value.size(); ++k) {
    ASSIGN_OR_RETURN(
        const int64_t id,
        JsonAsInt(value[k], 0, kMax, absl::StrCat(where, "[", k, "]")));
    out->push_back(static_cast<int32_t>(id));
  }
  return absl::OkStatus();
}

absl::Status ReadHfChatMetadata(const std::string& dir, const Json& config,
                                ModelMetadata* meta) {
  const fs::path tok_path = fs::path(dir) / "tokenizer_config.json";
  ASSIGN_OR_RETURN(const Json tok, ReadOptionalObject(tok_path));
  if (!tok.is_null()) {
    const std::string where = tok_path.string();
    RETURN_IF_ERROR(ReadTemplate(tok, where, &meta->chat_template));
    RETURN_IF_ERROR(
        ReadTokenText(tok, "bos_token", where, &meta->chat_bos_token));
    RETURN_IF_ERROR(
        ReadTokenText(tok, "eos_token", where, &meta->chat_eos_token));
  }
  const fs::path gen_path = fs::path(dir) / "generation_config.json";
  ASSIGN_OR_RETURN(const Json gen, ReadOptionalObject(gen_path));
  const Json* eos = nullptr;
  std::string where;
  if (!gen.is_null()) {
    where = absl::StrCat(gen_path.string(), ": eos_token_id");
    ASSIGN_OR_RETURN(eos, JsonFind(gen, "eos_token_id", gen_path.string()));
  }
  if (eos == nullptr) {
    const std::string config_path = (fs::path(dir) / "config.json").string();
    where = absl::StrCat(config_path, ": eos_token_id");
    ASSIGN_OR_RETURN(eos, JsonFind(config, "eos_token_id", config_path));
  }
  if (eos != nullptr) {
    RETURN_IF_ERROR(ParseStopTokenIds(*eos, where, &meta->stop_token_ids));
  }
  return absl::OkStatus();
}

}  // namespace seedlm
