// Writes the seed corpora of the model-reader fuzzers from the project's own
// writers and test builders, so that the fuzzers start from files the tests
// trust plus the hostile cases of issue 12:
//
//   model_fuzz_seeds REPO_ROOT
//
// fills (creating the directories, replacing files of the same names)
//   core/model/testdata/fuzz_safetensors/   safetensors_fuzz
//   core/model/testdata/fuzz_gguf/          gguf_fuzz
//   core/model/testdata/fuzz_llama2c/       llama2c_fuzz
//   core/runtime/testdata/fuzz_hf_config/   hf_config_fuzz
// Every seed is a few KB at most (tests/fuzz.sh's max_len). Crashers found by
// the fuzzers are added to these directories by hand (named crash-*), and
// rerunning this tool leaves them alone. The output is deterministic.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/model/hf_checkpoint.h"
#include "core/model/llama2c_reader.h"
#include "core/model/model_file_builders.h"
#include "core/model/model_source.h"
#include "core/model/safetensors.h"
#include "core/util/dtype.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"

namespace seedlm {
namespace {

namespace fs = std::filesystem;
using model_builders::GgufSpec;
using model_builders::MakeGguf;
using model_builders::MakeLlama2c;
using model_builders::PutLE;

using TensorList =
    std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>>;

// A safetensors file of a literal header (no padding added) and `data`.
std::string RawSafetensors(const std::string& header, size_t data_bytes) {
  std::string out;
  PutLE(&out, static_cast<uint64_t>(header.size()));
  return out + header + std::string(data_bytes, '\x01');
}

absl::Status SafetensorsSeeds(const fs::path& dir) {
  std::vector<uint8_t> f32(6 * 4), f16(4 * 2), bf16(6 * 2), one(4);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < 4; ++i) {
    const uint16_t h = FloatToHalf(0.5f * i), b = FloatToBFloat16(-1.5f * i);
    std::memcpy(&f16[2 * i], &h, 2);
    std::memcpy(&bf16[2 * i], &b, 2);
  }
  const TensorList mixed = {{{"z.f32", {2, 3}, DType::kF32}, f32},
                            {{"a.f16", {4}, DType::kF16}, f16},
                            {{"m.bf16", {3, 1, 2}, DType::kBF16}, bf16},
                            {{"empty", {0, 5}, DType::kF32}, {}},
                            {{"scalar", {}, DType::kF32}, one}};
  RETURN_IF_ERROR(WriteSafetensors((dir / "mixed.safetensors").string(), mixed,
                                   {{"format", "pt"}}));
  const TensorList hf = {
      {{"model.layers.0.self_attn.q_proj.weight", {2, 3}, DType::kF32}, f32},
      {{"model.norm.weight", {6}, DType::kBF16}, bf16},
      {{"lm_head.weight", {2, 2}, DType::kF16}, f16}};
  RETURN_IF_ERROR(
      WriteSafetensors((dir / "hf_shard.safetensors").string(), hf, {}));
  const TensorList unicode = {
      {{"blk.\xc3\xa9.\xe2\x82\xac", {1}, DType::kF32}, one}};
  RETURN_IF_ERROR(WriteSafetensors((dir / "unicode.safetensors").string(),
                                   unicode,
                                   {{"k\xc3\xa9", "v\xf0\x9f\x98\x80"}}));
  // Issue 12's hostile headers: NUL padding, members of the wrong type,
  // non-integer and huge dimensions, a deep nest, a non-string metadata value.
  const std::string entry = R"({"a":{"dtype":"F32","shape":[2],)"
                            R"("data_offsets":[0,8]}})";
  const std::map<std::string, std::string> hostile = {
      {"nul_padded", entry + std::string(3, '\0')},
      {"dtype_number", R"({"a":{"dtype":5,"shape":[2],"data_offsets":[0,8]}})"},
      {"shape_string",
       R"({"a":{"dtype":"F32","shape":"x","data_offsets":[0,8]}})"},
      {"offsets_mixed",
       R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[1,"a"]}})"},
      {"shape_float",
       R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})"},
      {"shape_huge", R"({"a":{"dtype":"F32","shape":[4294967296,)"
                     R"(4294967296],"data_offsets":[0,8]}})"},
      {"metadata_number", R"({"__metadata__":{"k":5},"a":{"dtype":"F32",)"
                          R"("shape":[2],"data_offsets":[0,8]}})"},
      {"deep", "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}"},
  };
  for (const auto& [name, header] : hostile) {
    RETURN_IF_ERROR(WriteFileAtomically(
        (dir / (name + ".safetensors")).string(), RawSafetensors(header, 8)));
  }
  return absl::OkStatus();
}

std::string Floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

std::string Halves(const std::vector<float>& v, bool bf16) {
  std::string out;
  for (float f : v) PutLE(&out, bf16 ? FloatToBFloat16(f) : FloatToHalf(f));
  return out;
}

absl::Status GgufSeeds(const fs::path& dir) {
  GgufSpec three;  // as gguf_reader_test.cc's ThreeTensors
  three.tensors = {
      {"token_embd.weight", {3, 2}, 0, Floats({1, 2, 3, 4, 5, 6})},
      {"blk.0.attn_q.weight", {2, 2}, 1, Halves({0.5f, -1, 2, 4}, false)},
      {"output_norm.weight", {3}, 30, Halves({1, -2, 0.25f}, true)},
  };
  std::map<std::string, std::string> seeds;
  seeds["v3"] = MakeGguf(three);
  GgufSpec v2 = three;
  v2.version = 2;
  v2.alignment = 64;
  seeds["v2_align64"] = MakeGguf(v2);
  GgufSpec plain = three;
  plain.alignment_kv = false;
  plain.tensors.resize(1);
  seeds["no_alignment_key"] = MakeGguf(plain);
  seeds["no_tensors"] = MakeGguf(GgufSpec{});
  GgufSpec bad = three;  // issue 12: made `seedlm compress` abort
  bad.tensors[1].name = "blk.\xff\xfe.weight";
  seeds["name_not_utf8"] = MakeGguf(bad);
  GgufSpec quant = three;
  quant.tensors[1].type = 2;  // Q4_0: UNIMPLEMENTED
  seeds["quantized"] = MakeGguf(quant);
  for (const auto& [name, bytes] : seeds) {
    RETURN_IF_ERROR(
        WriteFileAtomically((dir / (name + ".gguf")).string(), bytes));
  }
  return absl::OkStatus();
}

absl::Status Llama2cSeeds(const fs::path& dir) {
  const std::map<std::string, std::string> seeds = {
      {"shared", MakeLlama2c(4, 6, 2, 2, 1, 5, 3)},
      {"unshared", MakeLlama2c(4, 6, 1, 2, 2, -5, 2)},
      {"gqa", MakeLlama2c(8, 4, 1, 4, 2, 3, 2)},
      {"odd_head", MakeLlama2c(6, 6, 1, 2, 1, 5, 4)},  // issue 12
      {"truncated", MakeLlama2c(4, 6, 1, 2, 1, 5, 3).substr(0, 100)},
  };
  for (const auto& [name, bytes] : seeds) {
    RETURN_IF_ERROR(
        WriteFileAtomically((dir / (name + ".bin")).string(), bytes));
  }
  return absl::OkStatus();
}

// The architecture configs the readers produce (llama2.c, Hugging Face) and
// config.json texts, valid and hostile.
absl::Status HfConfigSeeds(const fs::path& dir, const fs::path& scratch) {
  const std::string config =
      R"({"model_type":"llama","hidden_size":64,"intermediate_size":172,)"
      R"("num_hidden_layers":5,"num_attention_heads":8,)"
      R"("num_key_value_heads":4,"vocab_size":512,)"
      R"("max_position_embeddings":512,"rms_norm_eps":1e-05,)"
      R"("rope_theta":10000.0,"tie_word_embeddings":true,)"
      R"("hidden_act":"silu"})";
  std::map<std::string, std::string> seeds = {
      {"config", config},
      {"huge_heads",
       R"({"model_type":"llama","hidden_size":64,"intermediate_size":8,)"
       R"("num_hidden_layers":1,"num_attention_heads":32768,)"
       R"("head_dim":65536,"vocab_size":8})"},
      {"odd_head_dim",
       R"({"model_type":"llama","hidden_size":60,"intermediate_size":8,)"
       R"("num_hidden_layers":1,"num_attention_heads":4,"vocab_size":8})"},
      {"wrong_types",
       R"({"model_type":"llama","hidden_size":"64","intermediate_size":8,)"
       R"("num_hidden_layers":1,"num_attention_heads":4,"vocab_size":8,)"
       R"("rms_norm_eps":"x","attention_bias":"no"})"},
      {"huge_context",
       R"({"model_type":"mistral","hidden_size":16,"intermediate_size":8,)"
       R"("num_hidden_layers":1,"num_attention_heads":4,"vocab_size":8,)"
       R"("max_position_embeddings":1073741824,"sliding_window":null})"},
  };
  // Through the readers: a llama2.c model, and a Hugging Face directory.
  const std::string l2c = (scratch / "model.bin").string();
  RETURN_IF_ERROR(WriteFileAtomically(l2c, MakeLlama2c(4, 6, 2, 2, 1, 5, 3)));
  ASSIGN_OR_RETURN(std::unique_ptr<ModelSource> m, OpenLlama2c(l2c, {}));
  seeds["arch_llama2c"] = m->metadata().arch_config_json;
  RETURN_IF_ERROR(
      WriteFileAtomically((scratch / "config.json").string(), config));
  const std::vector<uint8_t> w(16, 0);
  RETURN_IF_ERROR(WriteSafetensors(
      (scratch / "model.safetensors").string(),
      {{{"model.embed_tokens.weight", {2, 2}, DType::kF32}, w}}, {}));
  ASSIGN_OR_RETURN(m, OpenHfCheckpoint(scratch.string(), {}));
  seeds["arch_hf"] = m->metadata().arch_config_json;
  for (const auto& [name, text] : seeds) {
    RETURN_IF_ERROR(
        WriteFileAtomically((dir / (name + ".json")).string(), text));
  }
  return absl::OkStatus();
}

absl::Status Run(const fs::path& root) {
  const fs::path model = root / "core/model/testdata";
  const fs::path runtime = root / "core/runtime/testdata";
  const fs::path scratch = fs::temp_directory_path() / "seedlm_fuzz_seeds";
  std::error_code ec;
  for (const fs::path& d :
       {model / "fuzz_safetensors", model / "fuzz_gguf", model / "fuzz_llama2c",
        runtime / "fuzz_hf_config", scratch}) {
    fs::create_directories(d, ec);
    if (ec) return absl::InternalError(absl::StrCat("mkdir ", d.string()));
  }
  RETURN_IF_ERROR(SafetensorsSeeds(model / "fuzz_safetensors"));
  RETURN_IF_ERROR(GgufSeeds(model / "fuzz_gguf"));
  RETURN_IF_ERROR(Llama2cSeeds(model / "fuzz_llama2c"));
  const absl::Status s = HfConfigSeeds(runtime / "fuzz_hf_config", scratch);
  fs::remove_all(scratch, ec);
  return s;
}

}  // namespace
}  // namespace seedlm

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s REPO_ROOT\n", argv[0]);
    return 2;
  }
  const absl::Status s = seedlm::Run(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
