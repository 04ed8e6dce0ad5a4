#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/runtime/llama_model.h"
#include "core/runtime/llama_session.h"
#include "core/util/shared_data.h"
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
  EXPECT_EQ((*model)->stats().linear_weights, 5 * (2 * 64 * 64 + 2 * 32 * 64 +
                                                    3 * 64 * 172));
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
  EXPECT_EQ(ids, (std::vector<int32_t>{403, 407, 261, 378, 432, 383, 286, 261,
                                       376, 298, 315, 421, 395, 317, 426, 338,
                                       401, 396, 267, 337}));
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

}  // namespace
}  // namespace seedlm
