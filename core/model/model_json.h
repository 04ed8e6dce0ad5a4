// The bounded parse of the JSON texts that come with a model: a safetensors
// header, config.json, model.safetensors.index.json, and the architecture
// config a .seedlm file carries (core/runtime/llama_config.cc).
//
// ParseJson (core/util/json_util.h) bounds bytes and depth; a text within
// both can still be made of millions of tiny items, each costing up to ~300
// bytes in nlohmann's tree (a 95 MB safetensors header of "k":"" pairs built
// 2.2 GB). ParseModelJson also bounds the item count, by a linear scan
// before anything is built, and refuses NUL bytes, at which nlohmann's parser
// would silently stop as if the text ended there. Thread-safe (no state).
#ifndef SEEDLM_CORE_MODEL_MODEL_JSON_H_
#define SEEDLM_CORE_MODEL_MODEL_JSON_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/util/json_util.h"

namespace seedlm {

// Most items (objects, arrays, object members and array elements) one JSON
// text of a model may hold; more is RESOURCE_EXHAUSTED. Bounds a parse near
// 300 MiB whatever the byte size. (A safetensors tensor entry is about 12
// items: ~87k tensors per file.)
inline constexpr uint64_t kMaxModelJsonItems = uint64_t{1} << 20;

// Items of the JSON `text`: one plus its '{', '[', ':' and ',' outside
// strings, counted in one linear pass that stops once past `stop_at`. An
// upper bound on what a parse builds; does not validate.
uint64_t CountJsonItems(absl::string_view text, uint64_t stop_at);

// ParseJson of a model's JSON text, refusing more than kMaxModelJsonItems
// items and any NUL byte first. `what` names it in messages.
// RESOURCE_EXHAUSTED beyond `max_bytes`, `max_depth` or the item limit;
// DATA_LOSS for malformed JSON (a NUL included).
absl::StatusOr<Json> ParseModelJson(absl::string_view text,
                                    absl::string_view what, uint64_t max_bytes,
                                    int max_depth);

}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_MODEL_JSON_H_
