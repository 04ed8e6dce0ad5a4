#include "core/model/tensor_select.h"

#include <filesystem>
#include <string>
#include <vector>

#include "core/model/model_source.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

TensorInfo Matrix(const std::string& name) {
  return {name, {4, 4}, DType::kF32};
}

TensorSelector MustCreate(std::vector<std::string> include,
                          std::vector<std::string> exclude) {
  auto s = TensorSelector::Create(std::move(include), std::move(exclude));
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(TensorSelectTest, DefaultOnStories260KIsTheLinearWeights) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto model = OpenModel(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  const TensorSelector sel = MustCreate({}, {});
  std::vector<std::string> picked;
  for (const TensorInfo& t : (*model)->tensors()) {
    if (sel.Selects(t)) picked.push_back(t.name);
  }
  ASSERT_EQ(picked.size(), 35u);  // 5 layers x (wq wk wv wo w1 w2 w3)
  for (const std::string& n : picked) {
    EXPECT_TRUE(n.find(".attention.w") != std::string::npos ||
                n.find(".feed_forward.w") != std::string::npos)
        << n;
  }
}

TEST(TensorSelectTest, DefaultNamesAcrossFormats) {
  const TensorSelector sel = MustCreate({}, {});
  for (const char* n :
       {"layers.0.attention.wq.weight", "layers.12.attention.wo.weight",
        "layers.3.feed_forward.w2.weight",
        "model.layers.0.self_attn.q_proj.weight",
        "model.layers.7.self_attn.o_proj.weight",
        "layers.1.mlp.gate_proj.weight", "model.layers.2.mlp.down_proj.weight",
        "model.language_model.layers.2.mlp.up_proj.weight",
        "blk.0.attn_q.weight", "blk.31.attn_output.weight",
        "blk.4.ffn_gate.weight", "blk.4.ffn_down.weight"}) {
    EXPECT_TRUE(sel.Selects(Matrix(n))) << n;
  }
  for (const char* n :
       {"tok_embeddings.weight", "output.weight", "norm.weight",
        "model.embed_tokens.weight", "lm_head.weight",
        "model.layers.0.input_layernorm.weight",
        "model.layers.0.self_attn.q_proj.bias",
        "layers.0.attention.wq.weight.extra", "xlayers.0.attention.wq.weight",
        "layers.a.attention.wq.weight", "layers.0.attention.wx.weight",
        "layers.0.feed_forward.w4.weight", "token_embd.weight",
        "blk.0.attn_norm.weight", "blk.0.ffn_norm.weight",
        "output_norm.weight"}) {
    EXPECT_FALSE(sel.Selects(Matrix(n))) << n;
  }
}

TEST(TensorSelectTest, OnlyMultiDimensionalNonEmptyTensors) {
  const TensorSelector sel = MustCreate({"norm", "wq"}, {});
  EXPECT_TRUE(sel.NameMatches("layers.0.attention_norm.weight"));
  EXPECT_FALSE(
      sel.Selects({"layers.0.attention_norm.weight", {64}, DType::kF32}));
  EXPECT_TRUE(
      sel.Selects({"layers.0.attention.wq.weight", {2, 3, 4}, DType::kBF16}));
  EXPECT_FALSE(
      sel.Selects({"layers.0.attention.wq.weight", {0, 4}, DType::kF16}));
  EXPECT_FALSE(sel.Selects({"layers.0.attention.wq.weight", {}, DType::kF32}));
}

TEST(TensorSelectTest, IncludeReplacesDefaultAndExcludeRemoves) {
  const TensorSelector inc =
      MustCreate({"^tok_embeddings", "w[13]\\.weight$"}, {});
  EXPECT_TRUE(inc.Selects(Matrix("tok_embeddings.weight")));
  EXPECT_TRUE(inc.Selects(Matrix("layers.0.feed_forward.w1.weight")));
  EXPECT_FALSE(inc.Selects(Matrix("layers.0.feed_forward.w2.weight")));
  EXPECT_FALSE(inc.Selects(Matrix("layers.0.attention.wq.weight")));

  const TensorSelector exc = MustCreate({}, {"feed_forward", "^layers\\.1\\."});
  EXPECT_TRUE(exc.Selects(Matrix("layers.0.attention.wq.weight")));
  EXPECT_FALSE(exc.Selects(Matrix("layers.1.attention.wq.weight")));
  EXPECT_FALSE(exc.Selects(Matrix("layers.0.feed_forward.w1.weight")));
  EXPECT_TRUE(exc.Selects(Matrix("layers.10.attention.wk.weight")));

  const TensorSelector both = MustCreate({"."}, {"norm"});
  EXPECT_TRUE(both.Selects(Matrix("anything.weight")));
  EXPECT_FALSE(both.Selects(Matrix("model.norm.weight")));
}

TEST(TensorSelectTest, BadRegexIsInvalidArgument) {
  auto s = TensorSelector::Create({"layers.(0"}, {});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("layers.(0"), std::string::npos);
  EXPECT_NE(s.status().message().find("missing )"), std::string::npos)
      << s.status();
  s = TensorSelector::Create({}, {"ok", "[z-a]"});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("--exclude"), std::string::npos);
}

TEST(TensorSelectTest, CopiesShareCompiledPatterns) {
  const TensorSelector a = MustCreate({"wq"}, {"layers\\.0\\."});
  const TensorSelector b = a;  // NOLINT: testing copy
  EXPECT_TRUE(b.Selects(Matrix("layers.1.attention.wq.weight")));
  EXPECT_FALSE(b.Selects(Matrix("layers.0.attention.wq.weight")));
}

}  // namespace
}  // namespace seedlm
