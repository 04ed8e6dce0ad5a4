// The chat-serving metadata of a Hugging Face checkpoint directory
// (ModelMetadata's chat_template, chat_bos_token, chat_eos_token,
// stop_token_ids), read from the side files beside config.json:
//   tokenizer_config.json   "chat_template": a string, or a list of
//                           {"name", "template"} objects (the one named
//                           "default" is used; none so named: no template);
//                           "bos_token" / "eos_token": a string or an
//                           AddedToken object {"content": "..."}
//   generation_config.json  "eos_token_id": an integer or a list of them;
//                           when the file or the member is absent,
//                           config.json's "eos_token_id" (transformers
//                           derives the generation config from it)
// Absent files, absent members and JSON nulls leave the fields empty.
//
// Errors (messages name the file and the member): DATA_LOSS for bad JSON or
// a member of the wrong type (a token id outside 0..2^31-1 included);
// RESOURCE_EXHAUSTED for a template over kMaxChatTemplateBytes, more than
// kMaxStopTokenIds stop ids, or a side file over kMaxHfJsonBytes.
// Pure function of the files; thread-compatible.
#ifndef SEEDLM_CORE_MODEL_HF_CHAT_METADATA_H_
#define SEEDLM_CORE_MODEL_HF_CHAT_METADATA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/model/model_source.h"
#include "core/util/json_util.h"

namespace seedlm {

// Largest chat template accepted (ChatTemplate::Parse's limit too).
inline constexpr size_t kMaxChatTemplateBytes = size_t{64} << 10;
// Most stop token ids accepted.
inline constexpr size_t kMaxStopTokenIds = 64;

// Fills meta's chat fields from the files in `dir`; `config` is the parsed
// config.json (for the eos_token_id fallback).
absl::Status ReadHfChatMetadata(const std::string& dir, const Json& config,
                                ModelMetadata* meta);

// The stop token ids an "eos_token_id" value holds (an integer or a list of
// integers, each in 0..2^31-1, at most kMaxStopTokenIds); `where` names the
// value in errors ("generation_config.json: eos_token_id").
absl::Status ParseStopTokenIds(const Json& value, const std::string& where,
                               std::vector<int32_t>* out);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_HF_CHAT_METADATA_H_
