#include "core/model/synth.h"

#include <cmath>

#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/model/tensor_select.h"
#include "core/util/file_util.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

using testing_util::ScratchDir;

SynthOptions Small() {
  SynthOptions o;
  o.dim = 64;
  o.hidden = 96;
  o.layers = 2;
  o.heads = 4;
  o.kv_heads = 2;
  o.vocab = 50;
  o.seed = 7;
  return o;
}

TEST(SynthTest, WritesALoadableLlamaCheckpoint) {
  ScratchDir dir;
  ASSERT_TRUE(WriteSyntheticModel(dir.path(), Small()).ok());
  auto m = OpenModel(dir.path());
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& t = (*m)->tensors();
  ASSERT_EQ(t.size(), 1u + 2 * 9 + 2);
  EXPECT_EQ((*m)->metadata().source_format, "hf");
  auto k = (*m)->Find("model.layers.1.self_attn.k_proj.weight");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(t[*k].shape, (std::vector<int64_t>{32, 64}));  // 2 kv heads of 16
  EXPECT_EQ(t[*k].dtype, DType::kBF16);
  auto sel = *TensorSelector::Create({}, {});
  int selected = 0;
  for (const auto& info : t) selected += sel.Selects(info);
  EXPECT_EQ(selected, 14);
  // Realistic scale: q_proj std about 0.025 * sqrt(0.99 + 0.01 * 16).
  const std::vector<float> q =
      *(*m)->ReadFloat32(*(*m)->Find("model.layers.0.self_attn.q_proj.weight"));
  double ss = 0;
  for (float x : q) ss += double(x) * x;
  EXPECT_NEAR(std::sqrt(ss / q.size()), 0.025 * std::sqrt(1.15), 0.003);
  const std::vector<float> norm =
      *(*m)->ReadFloat32(*(*m)->Find("model.norm.weight"));
  for (float x : norm) {
    EXPECT_GT(x, 0.49f);
    EXPECT_LT(x, 1.51f);
  }
}

TEST(SynthTest, DeterministicPerSeed) {
  ScratchDir a, b, c;
  SynthOptions o = Small();
  ASSERT_TRUE(WriteSyntheticModel(a.path(), o).ok());
  ASSERT_TRUE(WriteSyntheticModel(b.path(), o).ok());
  o.seed = 8;
  ASSERT_TRUE(WriteSyntheticModel(c.path(), o).ok());
  const std::string f = "/model-00002-of-00004.safetensors";
  EXPECT_EQ(*ReadFileToString(a.path() + f, 1 << 24),
            *ReadFileToString(b.path() + f, 1 << 24));
  EXPECT_NE(*ReadFileToString(a.path() + f, 1 << 24),
            *ReadFileToString(c.path() + f, 1 << 24));
}

TEST(SynthTest, RejectsBadOptions) {
  SynthOptions o = Small();
  o.heads = 5;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.arch = "gpt";
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.layers = 0;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.kv_heads = 3;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
