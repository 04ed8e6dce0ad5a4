#include "core/runtime/llama_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/format/container.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/safetensors.h"
#include "core/runtime/kernels.h"
#include "core/runtime/llama_session.h"
#include "core/runtime/perplexity.h"
#include "core/tokenizer/llama2c_tokenizer.h"
#include "core/tokenizer/tokenizer_test_util.h"
#include "core/util/dtype.h"
#include "core/util/file_util.h"
#include "core/util/shared_data.h"
#include "core/util/status_macros.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

std::vector<int32_t> Greedy(const LlamaModel& model, ThreadPool* pool, int n) {
  LlamaSession s(&model, pool);
  std::vector<int32_t> out;
  int32_t tok = 1;  // BOS
  for (int i = 0; i < n; ++i) {
    auto logits = s.Forward(tok);
    EXPECT_TRUE(logits.ok()) << logits.status();
    if (!logits.ok()) break;
    tok = static_cast<int32_t>(
        std::max_element(logits->begin(), logits->end()) - logits->begin());
    out.push_back(tok);
  }
  return out;
}

TEST(LlamaModel, Stories260KConfig) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  const LlamaConfig& c = (*model)->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.max_seq_len, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.rope_style, RopeStyle::kInterleaved);
  EXPECT_EQ((*model)->stats().linear_weights,
            5 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 64 * 172));
}

// Golden facts measured by an independent implementation
// (../shared/data/README.md).
TEST(LlamaModel, Stories260KGoldenLogitsAndGreedyIds) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  LlamaSession s(model->get(), nullptr);
  auto logits = s.Forward(1);
  ASSERT_TRUE(logits.ok());
  const float want[] = {-6.2229f, 8.4043f, -6.2237f, -6.2225f, -6.222f};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR((*logits)[i], want[i], 6e-4) << i;
  const std::vector<int32_t> ids = Greedy(**model, nullptr, 20);
  EXPECT_EQ(ids, (std::vector<int32_t>{403, 407, 261, 378, 432, 383, 286,
                                       261, 376, 298, 315, 421, 395, 317,
                                       426, 338, 401, 396, 267, 337}));
}

TEST(LlamaModel, SameLogitsForAnyThreadCount) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  ThreadPool two(2), three(3);
  LlamaSession a(model->get(), nullptr), b(model->get(), &two),
      c(model->get(), &three);
  for (int32_t tok : {1, 403, 407, 261, 378, 500, 7}) {
    auto x = a.Forward(tok);
    std::vector<float> va(x->begin(), x->end());
    auto y = b.Forward(tok);
    std::vector<float> vb(y->begin(), y->end());
    auto z = c.Forward(tok);
    std::vector<float> vc(z->begin(), z->end());
    EXPECT_EQ(va, vb);
    EXPECT_EQ(va, vc);
  }
}

// A prefill batch gives, bit for bit, the logits of feeding the tokens one
// by one (dense and packed weights, any thread count), and continues the
// same sequence.
TEST(LlamaSession, ForwardBatchEqualsSequentialForward) {
  auto dense = LlamaModel::Load(kStories);
  ASSERT_TRUE(dense.ok());
  const std::vector<int32_t> toks = {1,   403, 407, 261, 378, 432, 383,
                                     286, 261, 376, 298, 315, 421};
  ThreadPool two(2);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
    LlamaSession one(dense->get(), pool), batch(dense->get(), pool);
    std::vector<float> want;
    for (int32_t t : toks) {
      auto l = one.Forward(t);
      ASSERT_TRUE(l.ok());
      want.insert(want.end(), l->begin(), l->end());
    }
    // Two batches: positions 0..4, then 5..12.
    auto a = batch.ForwardBatch(absl::MakeConstSpan(toks).subspan(0, 5));
    ASSERT_TRUE(a.ok()) << a.status();
    std::vector<float> got(a->begin(), a->end());
    auto b = batch.ForwardBatch(absl::MakeConstSpan(toks).subspan(5));
    ASSERT_TRUE(b.ok()) << b.status();
    got.insert(got.end(), b->begin(), b->end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(batch.position(), 13);
  }
  LlamaSession s(dense->get(), nullptr, /*context=*/4);
  EXPECT_EQ(s.ForwardBatch({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  EXPECT_EQ(s.ForwardBatch(five).status().code(),
            absl::StatusCode::kOutOfRange);
  const std::vector<int32_t> bad = {1, 512};
  EXPECT_EQ(s.ForwardBatch(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.position(), 0);
}

TEST(LlamaSession, Errors) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  LlamaSession s(model->get(), nullptr, /*context=*/2);
  EXPECT_EQ(s.Forward(512).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Forward(-1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Forward(1).ok());
  EXPECT_TRUE(s.Forward(2).ok());
  EXPECT_EQ(s.Forward(3).status().code(), absl::StatusCode::kOutOfRange);
  s.Reset();
  EXPECT_TRUE(s.Forward(1).ok());
}

TEST(LlamaModel, LoadErrors) {
  EXPECT_EQ(LlamaModel::Load("/nonexistent/model.bin").status().code(),
            absl::StatusCode::kNotFound);
}

// Hugging Face's converter permutes the rows of wq/wk within each head so
// that the half-split rotary pairs (i, i + hd/2) are Meta's pairs (2i, 2i+1):
// new row k*hd/2 + i = old row 2i + k.
std::vector<float> PermuteForHf(const std::vector<float>& w, int heads, int hd,
                                int cols) {
  std::vector<float> out(w.size());
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < hd / 2; ++i) {
      for (int k = 0; k < 2; ++k) {
        std::copy_n(&w[(h * hd + 2 * i + k) * cols], cols,
                    &out[(h * hd + k * hd / 2 + i) * cols]);
      }
    }
  }
  return out;
}

// Writes stories260K as a Hugging Face checkpoint in `dir` (config.json +
// model.safetensors, q/k permuted as transformers' converter does), in
// float32 or rounded to bfloat16.
absl::Status WriteStoriesAsHf(const std::string& dir, bool bf16) {
  auto src = OpenModel(kStories);
  if (!src.ok()) return src.status();
  std::vector<std::pair<std::string, std::vector<float>>> named;
  std::vector<std::pair<TensorInfo, absl::Span<const uint8_t>>> tensors;
  std::vector<std::vector<float>> keep;
  std::vector<std::vector<uint16_t>> keep16;
  auto hf_name = [](const std::string& n) -> std::string {
    if (n == "tok_embeddings.weight") return "model.embed_tokens.weight";
    if (n == "norm.weight") return "model.norm.weight";
    const size_t dot = n.find('.', 7);
    const std::string layer = n.substr(7, dot - 7);
    const std::string rest = n.substr(dot + 1);
    const std::string p = "model.layers." + layer + ".";
    static const std::map<std::string, std::string> m = {
        {"attention_norm.weight", "input_layernorm.weight"},
        {"ffn_norm.weight", "post_attention_layernorm.weight"},
        {"attention.wq.weight", "self_attn.q_proj.weight"},
        {"attention.wk.weight", "self_attn.k_proj.weight"},
        {"attention.wv.weight", "self_attn.v_proj.weight"},
        {"attention.wo.weight", "self_attn.o_proj.weight"},
        {"feed_forward.w1.weight", "mlp.gate_proj.weight"},
        {"feed_forward.w2.weight", "mlp.down_proj.weight"},
        {"feed_forward.w3.weight", "mlp.up_proj.weight"}};
    return p + m.at(rest);
  };
  const auto& infos = (*src)->tensors();
  keep.reserve(infos.size());
  keep16.reserve(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    std::vector<float> v = *(*src)->ReadFloat32(i);
    const std::string& n = infos[i].name;
    if (n.find("attention.wq") != std::string::npos)
      v = PermuteForHf(v, 8, 8, 64);
    if (n.find("attention.wk") != std::string::npos)
      v = PermuteForHf(v, 4, 8, 64);
    TensorInfo t{hf_name(n), infos[i].shape, bf16 ? DType::kBF16 : DType::kF32};
    if (bf16) {
      std::vector<uint16_t> b(v.size());
      for (size_t k = 0; k < v.size(); ++k) b[k] = FloatToBFloat16(v[k]);
      keep16.push_back(std::move(b));
      tensors.emplace_back(
          t, absl::Span<const uint8_t>(
                 reinterpret_cast<const uint8_t*>(keep16.back().data()),
                 keep16.back().size() * 2));
      continue;
    }
    keep.push_back(std::move(v));
    tensors.emplace_back(
        t, absl::Span<const uint8_t>(
               reinterpret_cast<const uint8_t*>(keep.back().data()),
               keep.back().size() * 4));
  }
  RETURN_IF_ERROR(WriteSafetensors(dir + "/model.safetensors", tensors, {}));
  return WriteFileAtomically(
      dir + "/config.json",
      R"({"model_type":"llama","hidden_size":64,)"
      R"("intermediate_size":172,"num_hidden_layers":5,)"
      R"("num_attention_heads":8,"num_key_value_heads":4,)"
      R"("vocab_size":512,"max_position_embeddings":512,)"
      R"("rms_norm_eps":1e-05,"rope_theta":10000.0,)"
      R"("tie_word_embeddings":true,"hidden_act":"silu"})");
}

// The half-split rotary path reproduces the llama2.c model.
TEST(LlamaModel, HuggingFaceConversionOfStories260KAgrees) {
  testing_util::ScratchDir dir;
  ASSERT_TRUE(WriteStoriesAsHf(dir.path(), /*bf16=*/false).ok());
  auto hf = LlamaModel::Load(dir.path());
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ((*hf)->config().rope_style, RopeStyle::kHalfSplit);
  auto meta = LlamaModel::Load(kStories);
  ASSERT_TRUE(meta.ok());
  LlamaSession a(meta->get(), nullptr), b(hf->get(), nullptr);
  // Attention dot products sum head dimensions in another order, so the
  // logits agree closely, not bit for bit.
  for (int32_t tok : {1, 403, 407, 261, 378, 432, 383, 286, 261, 376}) {
    auto la = a.Forward(tok);
    std::vector<float> va(la->begin(), la->end());
    auto lb = b.Forward(tok);
    for (size_t v = 0; v < va.size(); ++v) {
      ASSERT_NEAR(va[v], (*lb)[v], 2e-4) << "token " << tok << " logit " << v;
    }
  }
  EXPECT_EQ(Greedy(**hf, nullptr, 20), Greedy(**meta, nullptr, 20));

  // With a tokenizer.json converted from tok512.bin the way transformers
  // converts SentencePiece models, the HF directory reproduces the golden
  // perplexity end to end.
  auto tok_bin = Llama2cTokenizer::Create(tokenizer_testing::ReadFileOrFail(
      SharedDataPath("data/stories260K/tok512.bin")));
  ASSERT_TRUE(tok_bin.ok());
  ASSERT_TRUE(WriteFileAtomically(dir.path() + "/tokenizer.json",
                                  tokenizer_testing::Llama2cToHfJson(
                                      **tok_bin, /*legacy=*/true, false))
                  .ok());
  auto with_tok = LlamaModel::Load(dir.path());
  ASSERT_TRUE(with_tok.ok()) << with_tok.status();
  const ModelMetadata& md = (*with_tok)->metadata();
  EXPECT_EQ(md.tokenizer_format, "hf-tokenizer-json");
  auto tok = CreateTokenizer(md.tokenizer_format, md.tokenizer_data);
  ASSERT_TRUE(tok.ok()) << tok.status();
  auto docs = TokenizeForPerplexity(
      **tok,
      tokenizer_testing::ReadFileOrFail(
          SharedDataPath("data/text/tinystories-sample.txt")),
      0);
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto ppl = ScoreDocuments(**with_tok, nullptr, *docs, 0, nullptr);
  ASSERT_TRUE(ppl.ok()) << ppl.status();
  EXPECT_EQ(ppl->tokens, 1804);
  EXPECT_NEAR(ppl->perplexity, 3.548, 0.0015);
}

// A .seedlm model runs straight from the packed blocks; its logits equal,
// bit for bit, those of the original model whose linear weights were
// replaced by the container's reference decode (for the fused i8 kernel's
// codecs: within float32 rounding, with the same greedy token).
class CompressedModel : public ::testing::TestWithParam<const char*> {};

TEST_P(CompressedModel, MatchesReferenceDecode) {
  const bool fused = kernels::FusedSupports(*PresetByName(GetParam()));
  auto src = OpenModel(kStories);
  ASSERT_TRUE(src.ok());
  testing_util::ScratchDir dir;
  const std::string out = dir.path() + "/m.seedlm";
  CompressOptions opt;
  opt.codec = *PresetByName(GetParam());
  ThreadPool pool(2);
  ASSERT_TRUE(CompressModel(**src, out, opt, &pool, {}).ok());
  auto reader = ContainerReader::Open(out);
  ASSERT_TRUE(reader.ok());
  LoadModelOptions lo;
  int replaced = 0;
  lo.transform_linear = [&](const std::string& name, int64_t, int64_t,
                            std::vector<float>* w) -> absl::Status {
    auto i = (*reader)->FindTensor(name);
    if (!i.ok()) return i.status();
    ++replaced;
    return (*reader)->DecodeToFloat32(*i, absl::MakeSpan(*w));
  };
  auto decoded = LlamaModel::Load(kStories, lo);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(replaced, 35);
  auto packed = LlamaModel::Load(out);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ((*packed)->file_kind(), "seedlm");
  EXPECT_EQ((*packed)->stats().packed_tensors, 35);
  EXPECT_EQ((*packed)->metadata().tokenizer_format, "llama2c-bin");
  LlamaSession a(decoded->get(), nullptr), b(packed->get(), &pool);
  for (int32_t tok : {1, 403, 407, 261, 378, 432, 9, 500}) {
    auto la = a.Forward(tok);
    std::vector<float> va(la->begin(), la->end());
    auto lb = b.Forward(tok);
    std::vector<float> vb(lb->begin(), lb->end());
    if (!fused) {
      EXPECT_EQ(va, vb);
      continue;
    }
    ASSERT_EQ(va.size(), vb.size());
    float max_diff = 0;
    for (size_t i = 0; i < va.size(); ++i) {
      max_diff = std::max(max_diff, std::fabs(va[i] - vb[i]));
    }
    EXPECT_LT(max_diff, 2e-4f) << "token " << tok;
    EXPECT_EQ(std::max_element(va.begin(), va.end()) - va.begin(),
              std::max_element(vb.begin(), vb.end()) - vb.begin());
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, CompressedModel,
                         ::testing::Values("4bit", "4bit-i8"));

// bf16 matrices stored raw in a container are served as bf16 straight from
// the map; the logits equal those of the checkpoint widened to float32.
TEST(LlamaModel, RawBf16TensorsServedFromTheContainer) {
  testing_util::ScratchDir dir;
  ASSERT_TRUE(WriteStoriesAsHf(dir.path(), /*bf16=*/true).ok());
  auto src = OpenModel(dir.path());
  ASSERT_TRUE(src.ok()) << src.status();
  const std::string out = dir.path() + "/raw.seedlm";
  CompressOptions opt;
  opt.include = {"^nothing$"};  // keep every tensor as stored (bf16)
  ASSERT_TRUE(CompressModel(**src, out, opt, nullptr, {}).ok());
  auto widened = LlamaModel::Load(dir.path());
  auto served = LlamaModel::Load(out);
  ASSERT_TRUE(widened.ok() && served.ok());
  // The 35 matrices take half the bytes: served as bf16, not widened.
  EXPECT_EQ((*served)->stats().linear_bytes * 2,
            (*widened)->stats().linear_bytes);
  LlamaSession a(widened->get(), nullptr), b(served->get(), nullptr);
  for (int32_t tok : {1, 403, 407, 261, 378}) {
    auto la = a.Forward(tok);
    std::vector<float> va(la->begin(), la->end());
    auto lb = b.Forward(tok);
    EXPECT_EQ(va, std::vector<float>(lb->begin(), lb->end()));
  }
}

}  // namespace
}  // namespace seedlm
