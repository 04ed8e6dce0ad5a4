// Test-only builders of small model files, byte for byte: a GGUF writer
// (every kind of metadata value, chosen alignment, tensors at chosen
// offsets), llama2.c checkpoints whose k-th weight float is k, and llama2.c
// tokenizers. Used by the core/model tests and by the fuzz seed generator
// (fuzz_seeds_main.cc), so that the fuzzers start from the files the tests
// trust. Header-only, no gtest. Not thread-safe only in the obvious sense
// (plain functions on values).
#ifndef SEEDLM_CORE_MODEL_MODEL_FILE_BUILDERS_H_
#define SEEDLM_CORE_MODEL_MODEL_FILE_BUILDERS_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace seedlm {
namespace model_builders {

// Appends the little-endian bytes of a trivially copyable value.
template <typename T>
void PutLE(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

// A GGUF string: u64 length, then the bytes.
inline void PutGgufString(std::string* out, const std::string& s) {
  PutLE(out, static_cast<uint64_t>(s.size()));
  *out += s;
}

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> ne;  // fastest-varying first
  uint32_t type;
  std::string data;
  int64_t offset = -1;  // -1: next aligned offset
};

struct GgufSpec {
  uint32_t version = 3;
  uint32_t alignment = 32;
  bool alignment_kv = true;  // write general.alignment
  std::vector<GgufTensor> tensors;
};

// KV pairs with every kind of value, including an array of strings and an
// array of arrays, then general.alignment.
inline std::string GgufKvSection(const GgufSpec& s, uint64_t* count) {
  std::string kv;
  PutGgufString(&kv, "general.architecture");
  PutLE(&kv, uint32_t{8});
  PutGgufString(&kv, "llama");
  PutGgufString(&kv, "llama.block_count");
  PutLE(&kv, uint32_t{4});
  PutLE(&kv, uint32_t{1});
  PutGgufString(&kv, "llama.rope.freq_base");
  PutLE(&kv, uint32_t{6});
  PutLE(&kv, 10000.f);
  PutGgufString(&kv, "tokenizer.ggml.tokens");
  PutLE(&kv, uint32_t{9});
  PutLE(&kv, uint32_t{8});
  PutLE(&kv, uint64_t{3});
  for (const char* t : {"<s>", "a", "bc"}) PutGgufString(&kv, t);
  PutGgufString(&kv, "test.nested");  // [[1, 2], []] of int16
  PutLE(&kv, uint32_t{9});
  PutLE(&kv, uint32_t{9});
  PutLE(&kv, uint64_t{2});
  PutLE(&kv, uint32_t{3});
  PutLE(&kv, uint64_t{2});
  PutLE(&kv, int16_t{1});
  PutLE(&kv, int16_t{2});
  PutLE(&kv, uint32_t{3});
  PutLE(&kv, uint64_t{0});
  PutGgufString(&kv, "test.flag");
  PutLE(&kv, uint32_t{7});
  PutLE(&kv, uint8_t{1});
  PutGgufString(&kv, "test.f64");
  PutLE(&kv, uint32_t{12});
  PutLE(&kv, 2.5);
  *count = 7;
  if (s.alignment_kv) {
    PutGgufString(&kv, "general.alignment");
    PutLE(&kv, uint32_t{4});
    PutLE(&kv, s.alignment);
    ++*count;
  }
  return kv;
}

inline std::string MakeGguf(const GgufSpec& s) {
  std::string out = "GGUF";
  PutLE(&out, s.version);
  uint64_t kv_count = 0;
  const std::string kv = GgufKvSection(s, &kv_count);
  PutLE(&out, static_cast<uint64_t>(s.tensors.size()));
  PutLE(&out, kv_count);
  out += kv;
  std::string data;
  for (const GgufTensor& t : s.tensors) {
    PutGgufString(&out, t.name);
    PutLE(&out, static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) PutLE(&out, d);
    PutLE(&out, t.type);
    data.append((s.alignment - data.size() % s.alignment) % s.alignment, '\0');
    PutLE(&out, static_cast<uint64_t>(t.offset >= 0 ? t.offset : data.size()));
    data += t.data;
  }
  out.append((s.alignment - out.size() % s.alignment) % s.alignment, '\0');
  return out + data;
}

// A llama2.c checkpoint whose k-th weight float has the value k (vocab < 0:
// unshared classifier).
inline std::string MakeLlama2c(int32_t dim, int32_t hidden, int32_t layers,
                               int32_t heads, int32_t kv_heads, int32_t vocab,
                               int32_t seq) {
  std::string out;
  for (int32_t v : {dim, hidden, layers, heads, kv_heads, vocab, seq}) {
    PutLE(&out, v);
  }
  const int64_t v = vocab < 0 ? -int64_t{vocab} : vocab;
  const int64_t kv_dim = int64_t{dim} * kv_heads / heads;
  const int64_t head_size = dim / heads;
  const int64_t floats =
      v * dim +
      layers * (2 * dim + 2 * dim * dim + 2 * kv_dim * dim + 3 * dim * hidden) +
      dim + seq * head_size / 2 * 2 + (vocab < 0 ? v * dim : 0);
  for (int64_t k = 0; k < floats; ++k) PutLE(&out, static_cast<float>(k));
  return out;
}

// A llama2.c tokenizer of `n` tokens "t0".."t9", "t0", ...
inline std::string MakeLlama2cTokenizer(int n) {
  std::string out;
  PutLE(&out, int32_t{3});
  for (int i = 0; i < n; ++i) {
    PutLE(&out, static_cast<float>(i));
    const std::string piece = "t" + std::to_string(i % 10);
    PutLE(&out, static_cast<int32_t>(piece.size()));
    out += piece;
  }
  return out;
}

}  // namespace model_builders
}  // namespace seedlm

#endif  // SEEDLM_CORE_MODEL_MODEL_FILE_BUILDERS_H_
