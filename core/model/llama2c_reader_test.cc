#include "core/model/llama2c_reader.h"

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/model/model_file_builders.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace seedlm {
namespace {

using testing_util::Put;
using testing_util::ReadAll;
using testing_util::ScratchDir;

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

using model_builders::MakeLlama2c;

std::string MakeTokenizer(int n) {
  return model_builders::MakeLlama2cTokenizer(n);
}

TEST(Llama2cReaderTest, Stories260KShapesAndMetadata) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto model = OpenModel(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& t = (*model)->tensors();
  ASSERT_EQ(t.size(), 5u * 9u + 2u);  // shared classifier: no output.weight
  EXPECT_EQ(t[0].name, "tok_embeddings.weight");
  EXPECT_EQ(t[0].shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(t[1].name, "layers.0.attention_norm.weight");
  EXPECT_EQ(t[1].shape, (std::vector<int64_t>{64}));
  EXPECT_EQ(t.back().name, "norm.weight");
  auto shape_of = [&](const std::string& name) {
    auto i = (*model)->Find(name);
    EXPECT_TRUE(i.ok()) << name;
    return i.ok() ? t[*i].shape : std::vector<int64_t>{};
  };
  EXPECT_EQ(shape_of("layers.2.attention.wq.weight"),
            (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(shape_of("layers.0.attention.wk.weight"),
            (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(shape_of("layers.4.attention.wv.weight"),
            (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(shape_of("layers.1.feed_forward.w1.weight"),
            (std::vector<int64_t>{172, 64}));
  EXPECT_EQ(shape_of("layers.4.feed_forward.w2.weight"),
            (std::vector<int64_t>{64, 172}));
  EXPECT_EQ((*model)->Find("output.weight").status().code(),
            absl::StatusCode::kNotFound);
  for (const TensorInfo& ti : t) EXPECT_EQ(ti.dtype, DType::kF32);

  const ModelMetadata& m = (*model)->metadata();
  EXPECT_EQ(m.source_format, "llama2c");
  const auto cfg = nlohmann::json::parse(m.arch_config_json, nullptr, false);
  ASSERT_TRUE(cfg.is_object()) << m.arch_config_json;
  EXPECT_EQ(cfg["dim"], 64);
  EXPECT_EQ(cfg["hidden_dim"], 172);
  EXPECT_EQ(cfg["n_layers"], 5);
  EXPECT_EQ(cfg["n_heads"], 8);
  EXPECT_EQ(cfg["n_kv_heads"], 4);
  EXPECT_EQ(cfg["vocab_size"], 512);
  EXPECT_EQ(cfg["max_seq_len"], 512);
  EXPECT_EQ(cfg["shared_classifier"], true);
  EXPECT_EQ(cfg["rope_style"], "interleaved");
  EXPECT_EQ(cfg["architecture"], "llama");
  // The only tok*.bin beside it is tok512.bin.
  EXPECT_EQ(m.tokenizer_format, "llama2c-bin");
  EXPECT_EQ(m.tokenizer_data.size(), 6227u);
}

TEST(Llama2cReaderTest, Stories260KValuesMatchFileOffsets) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  const std::string bytes = ReadAll(kStories);
  ASSERT_EQ(bytes.size(), 1056540u);
  auto model = OpenModel(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  constexpr int64_t kDim = 64, kHidden = 172, kL = 5, kKv = 32, kVocab = 512;
  struct Probe {
    std::string name;
    int64_t float_offset;
    int64_t floats;
  };
  const int64_t wq = kVocab * kDim + kL * kDim;
  const int64_t wk = wq + kL * kDim * kDim;
  const int64_t w1 = wk + 2 * kL * kKv * kDim + kL * kDim * kDim + kL * kDim;
  const int64_t w2 = w1 + kL * kHidden * kDim;
  const int64_t norm = w2 + 2 * kL * kHidden * kDim;
  const std::vector<Probe> probes = {
      {"tok_embeddings.weight", 0, kVocab * kDim},
      {"layers.3.attention_norm.weight", kVocab * kDim + 3 * kDim, kDim},
      {"layers.3.attention.wk.weight", wk + 3 * kKv * kDim, kKv * kDim},
      {"layers.4.feed_forward.w2.weight", w2 + 4 * kHidden * kDim,
       kHidden * kDim},
      {"norm.weight", norm, kDim},
  };
  for (const Probe& p : probes) {
    auto i = (*model)->Find(p.name);
    ASSERT_TRUE(i.ok()) << p.name;
    auto raw = (*model)->RawBytes(*i);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw->size(), static_cast<size_t>(p.floats * 4)) << p.name;
    EXPECT_EQ(std::memcmp(raw->data(), bytes.data() + 28 + 4 * p.float_offset,
                          raw->size()),
              0)
        << p.name;
    auto f = (*model)->ReadFloat32(*i);
    ASSERT_TRUE(f.ok());
    float expect_last;
    std::memcpy(&expect_last,
                bytes.data() + 28 + 4 * (p.float_offset + p.floats - 1), 4);
    EXPECT_EQ(f->back(), expect_last) << p.name;
  }
  // rms_final is followed by exactly the two RoPE tables (512 * 4 each).
  EXPECT_EQ(28 + 4 * (norm + kDim + 2 * 512 * 4), 1056540);
}

TEST(Llama2cReaderTest, UnsharedClassifierAndSliceOffsets) {
  ScratchDir dir;
  // dim 4, hidden 6, 2 layers, 2 heads, 1 kv head, vocab 5 unshared, seq 3.
  const std::string path =
      dir.Write("m.bin", MakeLlama2c(4, 6, 2, 2, 1, -5, 3));
  auto model = OpenModel(path);
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& t = (*model)->tensors();
  ASSERT_EQ(t.size(), 2u * 9u + 3u);
  EXPECT_EQ(t.back().name, "output.weight");
  EXPECT_EQ(t.back().shape, (std::vector<int64_t>{5, 4}));
  EXPECT_NE(
      (*model)->metadata().arch_config_json.find("\"shared_classifier\":false"),
      std::string::npos);
  // Values equal their float index in the file.
  const int64_t wk1 = 5 * 4 + 2 * 4 + 2 * 16 + 1 * 2 * 4;  // layers.1.wk
  auto i = (*model)->Find("layers.1.attention.wk.weight");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(t[*i].shape, (std::vector<int64_t>{2, 4}));
  auto f = (*model)->ReadFloat32(*i);
  ASSERT_TRUE(f.ok());
  for (size_t k = 0; k < f->size(); ++k)
    EXPECT_EQ((*f)[k], static_cast<float>(wk1 + static_cast<int64_t>(k)));
  auto out = (*model)->ReadFloat32(t.size() - 1);
  ASSERT_TRUE(out.ok());
  const int64_t total = static_cast<int64_t>(ReadAll(path).size() - 28) / 4;
  EXPECT_EQ(out->back(), static_cast<float>(total - 1));
  EXPECT_EQ(out->front(), static_cast<float>(total - 20));
}

TEST(Llama2cReaderTest, BadHeadersAndSizes) {
  ScratchDir dir;
  std::string good = MakeLlama2c(4, 6, 2, 2, 1, 5, 3);
  ASSERT_TRUE(OpenLlama2c(dir.Write("ok.bin", good), {}).ok());
  auto code = [&](const std::string& bytes) {
    return OpenLlama2c(dir.Write("x.bin", bytes), {}).status().code();
  };
  EXPECT_EQ(code(good + "abcd"), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(good.substr(0, good.size() - 4)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(good.substr(0, 20)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(MakeLlama2c(5, 6, 2, 2, 1, 5, 3)),  // heads don't divide dim
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(code(MakeLlama2c(4, 6, 2, 2, 3, 5, 3)),  // kv_heads > heads
            absl::StatusCode::kDataLoss);
  std::string zero = good;
  std::memset(&zero[8], 0, 4);  // n_layers = 0
  EXPECT_EQ(code(zero), absl::StatusCode::kDataLoss);
  std::string huge;  // products overflow 64 bits; must not crash
  for (int32_t v :
       {0x7fffffff, 0x7fffffff, 0x7fffffff, 1, 1, 0x7fffffff, 0x7fffffff}) {
    Put(&huge, v);
  }
  EXPECT_EQ(code(huge), absl::StatusCode::kDataLoss);
  std::string v1;  // llama2.c export version 1
  Put(&v1, uint32_t{0x616b3432});
  Put(&v1, int32_t{1});
  v1.append(256 - 8, '\0');
  EXPECT_EQ(code(v1), absl::StatusCode::kUnimplemented);
}

TEST(Llama2cReaderTest, DefaultTokenizerDiscovery) {
  ScratchDir dir;
  const std::string model =
      dir.Write("model.bin", MakeLlama2c(4, 6, 1, 2, 1, 5, 3));
  auto m = OpenModel(model);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->metadata().tokenizer_format, "");  // none: fine

  auto found = FindDefaultLlama2cTokenizer(model);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, "");

  const std::string tok5 = MakeTokenizer(5);
  dir.Write("tok5.bin", tok5);
  m = OpenModel(model);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->metadata().tokenizer_data, tok5);
  found = FindDefaultLlama2cTokenizer(model);  // what an upload sends
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, dir.File("tok5.bin"));

  dir.Write("tok_other.bin", MakeTokenizer(5));
  m = OpenModel(model);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("tok5.bin"), std::string::npos);
  EXPECT_NE(m.status().message().find("tok_other.bin"), std::string::npos);
  EXPECT_EQ(FindDefaultLlama2cTokenizer(model).status().code(),
            absl::StatusCode::kInvalidArgument);

  OpenModelOptions opts;
  opts.tokenizer_path = dir.File("tok5.bin");
  EXPECT_TRUE(OpenModel(model, opts).ok());

  dir.Write("tokenizer.bin", MakeTokenizer(5));
  m = OpenModel(model);  // still ambiguous: tokenizer.bin wins nothing
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
}

// Issue 12: with tokenizer.bin and another tok*.bin beside the model,
// tokenizer.bin was picked silently. Any ambiguity is now an error; a single
// candidate, whatever its name, is still picked.
TEST(Llama2cReaderTest, TokenizerBinBesideAnotherIsAmbiguous) {
  ScratchDir dir;
  const std::string model =
      dir.Write("model.bin", MakeLlama2c(4, 6, 1, 2, 1, 5, 3));
  dir.Write("tokenizer.bin", MakeTokenizer(5));
  auto m = OpenModel(model);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->metadata().tokenizer_data, MakeTokenizer(5));

  dir.Write("tok512.bin", MakeTokenizer(5));
  m = OpenModel(model);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("tokenizer.bin"), std::string::npos);
  EXPECT_NE(m.status().message().find("tok512.bin"), std::string::npos);
  EXPECT_NE(m.status().message().find("--tokenizer"), std::string::npos);

  OpenModelOptions opts;  // an explicit choice settles it
  opts.tokenizer_path = dir.File("tokenizer.bin");
  EXPECT_TRUE(OpenModel(model, opts).ok());
  // Not a regular file: no candidate (a FIFO would block a read).
  std::filesystem::remove(dir.File("tok512.bin"));
  std::filesystem::create_directory(dir.File("tok_dir.bin"));
  EXPECT_TRUE(OpenModel(model).ok());
}

// Issue 12: the one Llama size check (llama_dims.h) applies to the llama2.c
// header: an odd head size was accepted (the model could be compressed but
// never run), and sizes far beyond any model reached the layout arithmetic.
TEST(Llama2cReaderTest, HeaderGoesThroughTheLlamaSizeCheck) {
  ScratchDir dir;
  auto status = [&](const std::string& bytes) {
    return OpenLlama2c(dir.Write("x.bin", bytes), {}).status();
  };
  // dim 6, 2 heads: head size 3 is odd (the file size is right).
  const absl::Status odd = status(MakeLlama2c(6, 6, 1, 2, 1, 5, 4));
  EXPECT_EQ(odd.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(odd.message().find("head_dim 3 is odd"), std::string::npos) << odd;
  EXPECT_TRUE(status(MakeLlama2c(8, 6, 1, 2, 1, 5, 4)).ok());
  // Within int32 but over the limits: refused before any product is formed
  // (the header alone, no file size could match).
  for (const std::vector<int32_t>& h : std::vector<std::vector<int32_t>>{
           {1 << 20, 8, 1, 2, 1, 5, 4},        // dim
           {8, 1 << 30, 1, 2, 1, 5, 4},        // hidden_dim
           {8, 8, 1 << 20, 2, 1, 5, 4},        // n_layers
           {1 << 16, 8, 1, 1 << 14, 1, 5, 4},  // n_heads
           {8, 8, 1, 2, 1, 1 << 30, 4},        // vocab
           {8, 8, 1, 2, 1, -(1 << 30), 4},     // vocab (unshared)
           {8, 8, 1, 2, 1, 5, 0x7fffffff},     // seq_len
           {8, 8, 1, 2, 1, INT32_MIN, 4}}) {   // vocab = -2^31
    std::string bytes;
    for (int32_t v : h) Put(&bytes, v);
    bytes.append(64, '\0');
    const absl::Status s = status(bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_NE(s.message().find("outside [1, "), std::string::npos) << s;
  }
}

TEST(Llama2cReaderTest, TokenizerErrors) {
  ScratchDir dir;
  const std::string model =
      dir.Write("model.bin", MakeLlama2c(4, 6, 1, 2, 1, 5, 3));
  OpenModelOptions opts;
  opts.tokenizer_path = dir.File("missing.bin");
  EXPECT_EQ(OpenModel(model, opts).status().code(),
            absl::StatusCode::kNotFound);
  opts.tokenizer_path = dir.Write("t6.bin", MakeTokenizer(6));  // vocab is 5
  EXPECT_EQ(OpenModel(model, opts).status().code(),
            absl::StatusCode::kInvalidArgument);
  opts.tokenizer_path = dir.Write("t4.bin", MakeTokenizer(4));
  EXPECT_EQ(OpenModel(model, opts).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string bad = MakeTokenizer(5);
  std::memset(&bad[4 + 4], 0xff, 4);  // first token length -1
  opts.tokenizer_path = dir.Write("tbad.bin", bad);
  EXPECT_EQ(OpenModel(model, opts).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Llama2cReaderTest, ConcurrentReadsAgree) {
  ScratchDir dir;
  auto model = OpenModel(dir.Write("m.bin", MakeLlama2c(8, 12, 3, 2, 2, 7, 4)));
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelSource& src = **model;
  std::vector<std::vector<float>> first(src.tensors().size());
  for (size_t i = 0; i < first.size(); ++i) first[i] = *src.ReadFloat32(i);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int rep = 0; rep < 50; ++rep) {
        for (size_t i = 0; i < first.size(); ++i) {
          auto f = src.ReadFloat32(i);
          if (!f.ok() || *f != first[i]) ++mismatches[w];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
  EXPECT_EQ(src.RawBytes(first.size()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
