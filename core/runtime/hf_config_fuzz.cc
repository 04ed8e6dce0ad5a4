// libFuzzer target for the Llama architecture config (ParseLlamaConfig) and
// a Hugging Face config.json read as hf_checkpoint.cc reads it (and the same
// entry point is run over core/runtime/testdata/fuzz_hf_config/ by
// hf_config_fuzz_regression_test). Seeds: core/model/fuzz_seeds_main.cc.
//
// Each input is tried as the architecture config of both source formats
// ("hf", "llama2c"), and, when it parses as a JSON object, as a config.json
// wrapped the way OpenHfCheckpoint wraps it. Invariants (abort when broken):
//   * ParseLlamaConfig fails only with DATA_LOSS, RESOURCE_EXHAUSTED or
//     UNIMPLEMENTED (never an exception or a crash);
//   * a config it accepts passes the one Llama size check (CheckLlamaDims)
//     with the same sizes, and its float fields are finite and positive.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model/hf_checkpoint.h"
#include "core/model/llama_dims.h"
#include "core/model/model_fuzz_util.h"
#include "core/runtime/llama_config.h"
#include "core/util/json_util.h"

namespace seedlm {
namespace {

using fuzz_util::Check;

void Exercise(absl::string_view format, absl::string_view text) {
  absl::StatusOr<LlamaConfig> c = ParseLlamaConfig(format, text);
  fuzz_util::CheckCode(
      c.status(),
      {absl::StatusCode::kDataLoss, absl::StatusCode::kResourceExhausted,
       absl::StatusCode::kUnimplemented},
      "ParseLlamaConfig code");
  if (!c.ok()) return;
  LlamaDims d;
  d.dim = c->dim;
  d.hidden_dim = c->hidden_dim;
  d.n_layers = c->n_layers;
  d.n_heads = c->n_heads;
  d.n_kv_heads = c->n_kv_heads;
  d.head_dim = c->head_dim;
  d.vocab_size = c->vocab_size;
  d.max_seq_len = c->max_seq_len;
  const absl::Status dims = CheckLlamaDims(d, "fuzz").status();
  Check(dims.ok(), "an accepted config passes CheckLlamaDims", dims);
  Check(std::isfinite(c->norm_eps) && c->norm_eps > 0 &&
            std::isfinite(c->rope_theta) && c->rope_theta > 0,
        "finite positive norm_eps and rope_theta", absl::OkStatus());
  Check(!c->embedding_tensor.empty(), "an embedding tensor name",
        absl::OkStatus());
}

}  // namespace
}  // namespace seedlm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seedlm;  // NOLINT: a fuzz entry point
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  Exercise("hf", text);
  Exercise("llama2c", text);
  // As a config.json: parsed as hf_checkpoint.cc parses it, then wrapped.
  absl::StatusOr<Json> config = ParseJson(
      text, "config.json", JsonLimits{kMaxHfJsonBytes, kMaxHfJsonDepth});
  if (config.ok() && config->is_object()) {
    const Json arch = {{"hf_config", *std::move(config)},
                       {"tie_word_embeddings", true}};
    Exercise("hf", DumpJson(arch));
  }
  return 0;
}
