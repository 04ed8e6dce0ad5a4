#include "core/model/hf_checkpoint.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/model/hf_chat_metadata.h"
#include "core/model/mapped_source.h"
#include "core/model/safetensors.h"
#include "core/util/file_util.h"
#include "core/util/json_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

using model_internal::ByteRange;
namespace fs = std::filesystem;

// Names under which checkpoints store the input embedding.
constexpr const char* kEmbeddingNames[] = {
    "model.embed_tokens.weight", "embed_tokens.weight",
    "transformer.wte.weight", "transformer.word_embeddings.weight",
    "gpt_neox.embed_in.weight"};
constexpr const char* kLmHeadName = "lm_head.weight";

bool IsRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Reads a JSON object file through the bounded parse (kMaxHfJsonBytes,
// kMaxHfJsonDepth, kMaxJsonItems). NOT_FOUND if missing,
// RESOURCE_EXHAUSTED over a limit, DATA_LOSS if not a JSON object.
absl::StatusOr<Json> ReadJsonObject(const fs::path& path) {
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

bool IsPlainFileName(const std::string& s) {
  return !s.empty() && s != "." && s != ".." &&
         s.find('/') == std::string::npos &&
         s.find('\\') == std::string::npos && s.find('\0') == std::string::npos;
}

// weight_map of model.safetensors.index.json: tensor name -> shard file.
absl::StatusOr<std::map<std::string, std::string>> ReadIndex(
    const fs::path& index_path) {
  ASSIGN_OR_RETURN(const Json index, ReadJsonObject(index_path));
  const std::string where = index_path.string();
  ASSIGN_OR_RETURN(const Json* wm, JsonObject(index, "weight_map", where));
  std::map<std::string, std::string> out;
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    ASSIGN_OR_RETURN(
        const std::string shard,
        JsonAsString(it.value(),
                     absl::StrCat(where, ": weight_map.", it.key())));
    if (!IsPlainFileName(shard)) {
      return absl::InvalidArgumentError(
          absl::StrCat(index_path.string(), ": shard name '", shard,
                       "' is not a plain file name in the checkpoint"));
    }
    out[it.key()] = shard;
  }
  return out;
}

struct Loaded {
  std::vector<std::shared_ptr<const MappedFile>> files;
  std::vector<TensorInfo> infos;
  std::vector<ByteRange> ranges;
};

// Maps the shards and collects their tensors (see the order in the header).
// `weight_map` is null for a single-file checkpoint.
absl::StatusOr<Loaded> LoadShards(
    const fs::path& dir, const std::set<std::string>& shards,
    const std::map<std::string, std::string>* weight_map) {
  Loaded out;
  for (const std::string& shard : shards) {
    const std::string path = (dir / shard).string();
    ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file,
                     MappedFile::Open(path));
    ASSIGN_OR_RETURN(
        SafetensorsHeader header,
        ParseSafetensorsHeader(absl::MakeConstSpan(file->data(), file->size()),
                               path));
    for (SafetensorsEntry& e : header.tensors) {
      if (weight_map != nullptr) {
        const auto it = weight_map->find(e.info.name);
        if (it == weight_map->end() || it->second != shard) {
          return absl::DataLossError(absl::StrCat(
              path, " holds tensor '", e.info.name,
              "' which model.safetensors.index.json does not map to it"));
        }
      }
      out.ranges.push_back({out.files.size(), e.offset, e.size});
      out.infos.push_back(std::move(e.info));
    }
    out.files.push_back(std::move(file));
  }
  if (weight_map != nullptr && out.infos.size() != weight_map->size()) {
    std::set<std::string> have;
    for (const TensorInfo& t : out.infos) have.insert(t.name);
    for (const auto& [name, shard] : *weight_map) {
      if (have.count(name) == 0) {
        return absl::DataLossError(
            absl::StrCat("model.safetensors.index.json maps '", name, "' to ",
                         shard, ", which does not hold it"));
      }
    }
  }
  return out;
}

absl::StatusOr<std::string> TiedArchConfig(
    Json config, const std::string& config_path,
    const std::vector<TensorInfo>& infos) {
  std::set<std::string> names;
  for (const TensorInfo& t : infos) names.insert(t.name);
  ASSIGN_OR_RETURN(const std::optional<bool> tie,
                   JsonOptBool(config, "tie_word_embeddings", config_path));
  const bool tied = tie.value_or(names.count(kLmHeadName) == 0);
  Json arch = {{"hf_config", std::move(config)}, {"tie_word_embeddings", tied}};
  if (tied) {
    std::string holder;
    for (const char* e : kEmbeddingNames) {
      if (holder.empty() && names.count(e) != 0) holder = e;
    }
    if (holder.empty() && names.count(kLmHeadName) != 0) holder = kLmHeadName;
    if (!holder.empty()) arch["tied_embedding_tensor"] = holder;
  }
  return DumpJson(arch);
}

absl::Status AttachTokenizer(const fs::path& dir, const OpenModelOptions& opts,
                             ModelMetadata* meta) {
  if (!opts.tokenizer_path.empty()) {
    return model_internal::LoadExplicitTokenizer(opts.tokenizer_path, meta);
  }
  const fs::path tok = dir / "tokenizer.json";
  if (!IsRegularFile(tok)) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      meta->tokenizer_data,
      ReadFileToString(tok.string(), model_internal::kMaxSideFileBytes));
  meta->tokenizer_format = "hf-tokenizer-json";
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelSource>> OpenHfCheckpoint(
    const std::string& dir_str, const OpenModelOptions& opts) {
  const fs::path dir(dir_str);
  const fs::path config_path = dir / "config.json";
  ASSIGN_OR_RETURN(Json config, ReadJsonObject(config_path));
  std::set<std::string> shards;
  std::map<std::string, std::string> weight_map;
  bool indexed = false;
  if (IsRegularFile(dir / "model.safetensors")) {
    shards.insert("model.safetensors");
  } else if (IsRegularFile(dir / "model.safetensors.index.json")) {
    ASSIGN_OR_RETURN(weight_map,
                     ReadIndex(dir / "model.safetensors.index.json"));
    for (const auto& [name, shard] : weight_map) shards.insert(shard);
    indexed = true;
  } else if (IsRegularFile(dir / "pytorch_model.bin") ||
             IsRegularFile(dir / "pytorch_model.bin.index.json")) {
    return absl::UnimplementedError(absl::StrCat(
        dir_str,
        " holds PyTorch pickle weights; only safetensors checkpoints "
        "are supported (convert with save_pretrained(..., "
        "safe_serialization=True))"));
  } else {
    return absl::NotFoundError(
        absl::StrCat(dir_str,
                     " has neither model.safetensors nor "
                     "model.safetensors.index.json"));
  }
  ASSIGN_OR_RETURN(Loaded loaded,
                   LoadShards(dir, shards, indexed ? &weight_map : nullptr));
  ModelMetadata meta;
  meta.source_format = "hf";
  RETURN_IF_ERROR(ReadHfChatMetadata(dir_str, config, &meta));
  ASSIGN_OR_RETURN(
      meta.arch_config_json,
      TiedArchConfig(std::move(config), config_path.string(), loaded.infos));
  RETURN_IF_ERROR(AttachTokenizer(dir, opts, &meta));
  return std::unique_ptr<ModelSource>(new model_internal::MappedModelSource(
      std::move(loaded.files), std::move(loaded.infos),
      std::move(loaded.ranges), std::move(meta)));
}

}  // namespace seedlm
