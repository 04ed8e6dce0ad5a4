#include "core/model/llama2c_reader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/model/llama_dims.h"
#include "core/model/mapped_source.h"
#include "core/util/file_util.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using model_internal::ByteRange;
using model_internal::CheckedAdd;
using model_internal::CheckedMul;

constexpr uint32_t kLlama2cMagic = 0x616b3432;  // "ak42", export versions 1+
constexpr uint64_t kHeaderBytes = 7 * 4;

int32_t Field(absl::Span<const uint8_t> head, int i) {
  int32_t v;
  std::memcpy(&v, head.data() + 4 * i, 4);
  return v;
}

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("corrupt llama2.c checkpoint ", path, ": ", what));
}

// One weight array of the file: `count` slices of `rows` x `cols` floats (a
// 1-D slice when rows == 0).
struct Array {
  const char* name;  // printf-like: "%d" is replaced by the layer
  uint64_t count;
  int64_t rows;
  int64_t cols;
  bool exposed;
};

std::vector<Array> Layout(const Llama2cConfig& c) {
  const int64_t head_size = c.dim / c.n_heads;
  const int64_t kv_dim = c.dim * c.n_kv_heads / c.n_heads;
  const uint64_t l = static_cast<uint64_t>(c.n_layers);
  const int64_t freq = c.seq_len * head_size / 2;
  std::vector<Array> a = {
      {"tok_embeddings.weight", 1, c.vocab_size, c.dim, true},
      {"layers.%d.attention_norm.weight", l, 0, c.dim, true},
      {"layers.%d.attention.wq.weight", l, c.dim, c.dim, true},
      {"layers.%d.attention.wk.weight", l, kv_dim, c.dim, true},
      {"layers.%d.attention.wv.weight", l, kv_dim, c.dim, true},
      {"layers.%d.attention.wo.weight", l, c.dim, c.dim, true},
      {"layers.%d.ffn_norm.weight", l, 0, c.dim, true},
      {"layers.%d.feed_forward.w1.weight", l, c.hidden_dim, c.dim, true},
      {"layers.%d.feed_forward.w2.weight", l, c.dim, c.hidden_dim, true},
      {"layers.%d.feed_forward.w3.weight", l, c.hidden_dim, c.dim, true},
      {"norm.weight", 1, 0, c.dim, true},
      {"freq_cis_real", 1, 0, freq, false},
      {"freq_cis_imag", 1, 0, freq, false},
  };
  if (!c.shared_classifier) {
    a.push_back({"output.weight", 1, c.vocab_size, c.dim, true});
  }
  return a;
}

uint64_t SliceFloats(const Array& a) {
  return static_cast<uint64_t>(a.rows == 0 ? 1 : a.rows) *
         static_cast<uint64_t>(a.cols);  // < 2^62: both fit in int32
}

std::string LayerName(const char* pattern, uint64_t layer) {
  std::string s = pattern;
  const size_t p = s.find("%d");
  if (p != std::string::npos) s.replace(p, 2, absl::StrCat(layer));
  return s;
}

std::string ArchConfigJson(const Llama2cConfig& c) {
  nlohmann::json j = {{"architecture", "llama"},
                      {"dim", c.dim},
                      {"hidden_dim", c.hidden_dim},
                      {"n_layers", c.n_layers},
                      {"n_heads", c.n_heads},
                      {"n_kv_heads", c.n_kv_heads},
                      {"vocab_size", c.vocab_size},
                      {"max_seq_len", c.seq_len},
                      {"shared_classifier", c.shared_classifier},
                      {"rope_style", "interleaved"},
                      {"norm_eps", 1e-5},
                      {"rope_theta", 10000.0}};
  return j.dump();
}

// A llama2.c tokenizer: int32 max_token_length, then per token a float score,
// an int32 length and the bytes. It must hold exactly `vocab` tokens.
absl::Status CheckTokenizer(const std::string& path, const std::string& data,
                            int64_t vocab) {
  uint64_t pos = 4;
  int64_t n = 0;
  while (n < vocab && pos + 8 <= data.size()) {
    int32_t len;
    std::memcpy(&len, data.data() + pos + 4, 4);
    if (len < 0 || static_cast<uint64_t>(len) > data.size() - pos - 8) break;
    pos += 8 + static_cast<uint64_t>(len);
    ++n;
  }
  if (data.size() < 4 || n != vocab || pos != data.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tokenizer ", path, " is not a llama2.c tokenizer with exactly ", vocab,
        " tokens; does it belong to this model? (use --tokenizer)"));
  }
  return absl::OkStatus();
}

absl::Status AttachTokenizer(const std::string& model_path,
                             const OpenModelOptions& opts, int64_t vocab,
                             ModelMetadata* meta) {
  std::string tok = opts.tokenizer_path;
  if (tok.empty()) {
    ASSIGN_OR_RETURN(tok, FindDefaultLlama2cTokenizer(model_path));
    if (tok.empty()) return absl::OkStatus();
  }
  RETURN_IF_ERROR(model_internal::LoadExplicitTokenizer(tok, meta));
  if (meta->tokenizer_format == "llama2c-bin") {
    RETURN_IF_ERROR(CheckTokenizer(tok, meta->tokenizer_data, vocab));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FindDefaultLlama2cTokenizer(
    const std::string& model_path) {
  namespace fs = std::filesystem;
  const fs::path model(model_path);
  const fs::path dir = model.has_parent_path() ? model.parent_path() : ".";
  std::error_code ec;
  std::vector<std::string> found;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::StartsWith(name, "tok") && absl::EndsWith(name, ".bin") &&
        name != model.filename().string() && it->is_regular_file(ec)) {
      found.push_back(it->path().string());
    }
  }
  if (ec) {
    return absl::UnknownError(
        absl::StrCat("cannot list ", dir.string(), ": ", ec.message()));
  }
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    return absl::InvalidArgumentError(absl::StrCat(
        "several candidate tokenizers beside ", model_path, ": ",
        absl::StrJoin(found, ", "), "; choose one with --tokenizer"));
  }
  return found.empty() ? std::string() : found[0];
}

bool LooksLikeLlama2cHeader(absl::Span<const uint8_t> head) {
  if (head.size() < kHeaderBytes) return false;
  if (static_cast<uint32_t>(Field(head, 0)) == kLlama2cMagic) return true;
  for (int i = 0; i < 7; ++i) {
    if (i != 5 && Field(head, i) <= 0) return false;
  }
  return Field(head, 5) != 0;
}

absl::StatusOr<Llama2cConfig> ParseLlama2cHeader(absl::Span<const uint8_t> file,
                                                 const std::string& path) {
  if (file.size() < kHeaderBytes)
    return Corrupt(path, "shorter than its header");
  if (static_cast<uint32_t>(Field(file, 0)) == kLlama2cMagic) {
    return absl::UnimplementedError(
        absl::StrCat(path, " is a llama2.c export of version ", Field(file, 1),
                     "; only the legacy (version 0) format is supported"));
  }
  Llama2cConfig c;
  c.dim = Field(file, 0);
  c.hidden_dim = Field(file, 1);
  c.n_layers = Field(file, 2);
  c.n_heads = Field(file, 3);
  c.n_kv_heads = Field(file, 4);
  const int64_t vocab = Field(file, 5);
  c.seq_len = Field(file, 6);
  c.shared_classifier = vocab > 0;
  c.vocab_size = vocab < 0 ? -vocab : vocab;
  LlamaDims dims;
  dims.dim = c.dim;
  dims.hidden_dim = c.hidden_dim;
  dims.n_layers = c.n_layers;
  dims.n_heads = c.n_heads;
  dims.n_kv_heads = c.n_kv_heads;
  dims.vocab_size = c.vocab_size;
  dims.max_seq_len = c.seq_len;
  // Sizes in range, heads dividing dim, an even head size: before any
  // product below is formed.
  RETURN_IF_ERROR(
      CheckLlamaDims(dims, absl::StrCat("corrupt llama2.c checkpoint ", path))
          .status());
  uint64_t floats = 0;
  for (const Array& a : Layout(c)) {
    uint64_t n = 0;
    if (!CheckedMul(a.count, SliceFloats(a), &n) ||
        !CheckedAdd(floats, n, &floats)) {
      return Corrupt(path, "header implies an impossibly large file");
    }
  }
  uint64_t expected = 0;
  if (!CheckedMul(floats, 4, &expected) ||
      !CheckedAdd(expected, kHeaderBytes, &expected) ||
      expected != file.size()) {
    return Corrupt(path, absl::StrCat("the header (dim=", c.dim, " hidden_dim=",
                                      c.hidden_dim, " n_layers=", c.n_layers,
                                      " vocab=", vocab, " seq_len=", c.seq_len,
                                      ") implies ", expected,
                                      " bytes but the file has ", file.size()));
  }
  return c;
}

absl::StatusOr<std::unique_ptr<ModelSource>> OpenLlama2c(
    const std::string& path, const OpenModelOptions& opts) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file,
                   MappedFile::Open(path));
  ASSIGN_OR_RETURN(const Llama2cConfig c,
                   ParseLlama2cHeader(
                       absl::MakeConstSpan(file->data(), file->size()), path));
  ModelMetadata meta;
  meta.source_format = "llama2c";
  meta.arch_config_json = ArchConfigJson(c);
  RETURN_IF_ERROR(AttachTokenizer(path, opts, c.vocab_size, &meta));

  std::vector<TensorInfo> infos;
  std::vector<ByteRange> ranges;
  uint64_t pos = kHeaderBytes;
  for (const Array& a : Layout(c)) {
    const uint64_t slice_bytes = SliceFloats(a) * 4;
    for (uint64_t i = 0; i < a.count; ++i, pos += slice_bytes) {
      if (!a.exposed) continue;
      TensorInfo t;
      t.name = LayerName(a.name, i);
      if (a.rows != 0) t.shape.push_back(a.rows);
      t.shape.push_back(a.cols);
      t.dtype = DType::kF32;
      infos.push_back(std::move(t));
      ranges.push_back({0, pos, slice_bytes});
    }
  }
  return std::unique_ptr<ModelSource>(new model_internal::MappedModelSource(
      {file}, std::move(infos), std::move(ranges), std::move(meta)));
}

}  // namespace seedlm
