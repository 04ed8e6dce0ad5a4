// libFuzzer target for the llama2.c reader (and the same entry point is run
// over core/model/testdata/fuzz_llama2c/ by llama2c_fuzz_regression_test).
// Seeds: fuzz_seeds_main.cc.
//
// Each input is parsed as a whole checkpoint (ParseLlama2cHeader, in
// memory); when that succeeds it is also opened with OpenLlama2c from a
// scratch file (alone in its directory: no tokenizer is found) and every
// tensor is read. Invariants (abort when broken):
//   * parsing fails only with DATA_LOSS or UNIMPLEMENTED, before allocating
//     anything the header claims;
//   * a parsed header passes the one Llama size check (CheckLlamaDims);
//   * OpenLlama2c of a file that parsed succeeds, its architecture config is
//     valid JSON, and every tensor is readable and inside the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model/llama2c_reader.h"
#include "core/model/llama_dims.h"
#include "core/model/model_fuzz_util.h"
#include "core/util/json_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seedlm;  // NOLINT: a fuzz entry point
  const absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<Llama2cConfig> c = ParseLlama2cHeader(bytes, "fuzz");
  fuzz_util::CheckCode(
      c.status(),
      {absl::StatusCode::kDataLoss, absl::StatusCode::kUnimplemented},
      "ParseLlama2cHeader code");
  if (!c.ok()) return 0;
  LlamaDims d;
  d.dim = c->dim;
  d.hidden_dim = c->hidden_dim;
  d.n_layers = c->n_layers;
  d.n_heads = c->n_heads;
  d.n_kv_heads = c->n_kv_heads;
  d.vocab_size = c->vocab_size;
  d.max_seq_len = c->seq_len;
  const absl::Status dims = CheckLlamaDims(d, "fuzz").status();
  fuzz_util::Check(dims.ok(), "a parsed header passes CheckLlamaDims", dims);
  absl::StatusOr<std::unique_ptr<ModelSource>> m =
      OpenLlama2c(fuzz_util::WriteScratch("model.bin", bytes), {});
  fuzz_util::Check(m.ok(), "OpenLlama2c of a parsed file", m.status());
  const absl::Status arch = ParseJson((*m)->metadata().arch_config_json, "arch",
                                      JsonLimits{1 << 20, 8})
                                .status();
  fuzz_util::Check(arch.ok(), "the arch config is JSON", arch);
  fuzz_util::ExerciseSource(**m, size);
  return 0;
}
