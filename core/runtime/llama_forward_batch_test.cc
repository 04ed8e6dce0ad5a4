// RunLayersBatch: several sequences in one pass give, row for row, the
// logits of each sequence run alone (FP32 and packed models, 1 or 2
// threads), and its errors change nothing.
#include <memory>
#include <string>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/format/container.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/llama_forward.h"
#include "core/runtime/llama_session.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

// Per step, the tokens each of three sequences feeds (empty: it sits out).
// Mixes prefill chunks, decode tokens and sequences joining late.
const std::vector<std::vector<std::vector<int32_t>>> kSchedule = {
    {{1, 403, 407, 261, 378}, {1, 300}, {}},
    {{432}, {286, 261, 376}, {1, 9, 77, 120}},
    {{383}, {}, {18}},
    {{286, 261}, {376}, {5}},
};

// The logits each sequence gets when it runs alone (a LlamaSession).
std::vector<std::vector<float>> AloneLogits(const LlamaModel& model,
                                            ThreadPool* pool) {
  std::vector<std::vector<float>> out(3);
  for (int s = 0; s < 3; ++s) {
    LlamaSession session(&model, pool, 32);
    for (const auto& step : kSchedule) {
      if (step[s].empty()) continue;
      auto l = session.ForwardBatch(step[s]);
      EXPECT_TRUE(l.ok()) << l.status();
      if (l.ok()) out[s].insert(out[s].end(), l->begin(), l->end());
    }
  }
  return out;
}

// The same schedule through one RunLayersBatch per step.
std::vector<std::vector<float>> BatchedLogits(const LlamaModel& model,
                                              ThreadPool* pool) {
  LlamaForward fw(&model, pool);
  const LlamaConfig& c = model.config();
  std::vector<KvCache> caches;
  for (int s = 0; s < 3; ++s) caches.emplace_back(c, 0, c.n_layers, 32);
  std::vector<int> pos(3, 0);
  std::vector<std::vector<float>> out(3);
  for (const auto& step : kSchedule) {
    std::vector<SequenceRows> seqs;
    std::vector<int32_t> tokens;
    std::vector<int> owner;
    for (int s = 0; s < 3; ++s) {
      if (step[s].empty()) continue;
      seqs.push_back({&caches[s], pos[s], static_cast<int>(step[s].size())});
      tokens.insert(tokens.end(), step[s].begin(), step[s].end());
      owner.insert(owner.end(), step[s].size(), s);
      pos[s] += static_cast<int>(step[s].size());
    }
    std::vector<float> hidden(tokens.size() * c.dim);
    EXPECT_TRUE(fw.Embed(tokens, absl::MakeSpan(hidden)).ok());
    const absl::Status st =
        fw.RunLayersBatch(0, c.n_layers, seqs, absl::MakeSpan(hidden));
    EXPECT_TRUE(st.ok()) << st;
    std::vector<float> logits(tokens.size() * c.vocab_size);
    EXPECT_TRUE(fw.Head(hidden, absl::MakeSpan(logits)).ok());
    for (size_t r = 0; r < tokens.size(); ++r) {
      out[owner[r]].insert(out[owner[r]].end(),
                           logits.begin() + r * c.vocab_size,
                           logits.begin() + (r + 1) * c.vocab_size);
    }
  }
  return out;
}

TEST(LlamaForwardBatch, EqualsEachSequenceAloneFp32) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  ThreadPool two(2);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
    const auto alone = AloneLogits(**model, pool);
    ASSERT_EQ(alone[0].size(), 9u * (*model)->config().vocab_size);
    EXPECT_EQ(BatchedLogits(**model, pool), alone);
  }
}

TEST(LlamaForwardBatch, EqualsEachSequenceAlonePacked) {
  testing_util::ScratchDir dir;
  const std::string path = dir.path() + "/m.seedlm";
  auto src = OpenModel(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  ThreadPool pool(2);
  ASSERT_TRUE(CompressModel(**src, path,
                            CompressOptions::ForCodec(*PresetByName("4bit-p4")),
                            &pool, {})
                  .ok());
  auto model = LlamaModel::Load(path);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_GT((*model)->stats().packed_tensors, 0);
  EXPECT_EQ(BatchedLogits(**model, &pool), AloneLogits(**model, &pool));
}

TEST(LlamaForwardBatch, ErrorsChangeNothing) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  const LlamaConfig& c = (*model)->config();
  LlamaForward fw(model->get(), nullptr);
  KvCache a(c, 0, c.n_layers, 4), b(c, 0, c.n_layers, 4);
  KvCache small(c, 0, c.n_layers, 1);
  std::vector<float> hidden(3 * c.dim, 0.5f);
  const std::vector<float> before = hidden;
  auto run = [&](std::vector<SequenceRows> seqs) {
    return fw.RunLayersBatch(0, c.n_layers, seqs, absl::MakeSpan(hidden))
        .code();
  };
  EXPECT_EQ(run({}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run({{&a, 0, 1}, {&a, 1, 2}}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run({{&a, 0, 1}, {nullptr, 0, 2}}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run({{&a, 0, 1}, {&b, 0, 1}}), absl::StatusCode::kInvalidArgument);
  // `small` would pass its capacity, b would leave a gap: nothing runs, a is
  // not written either.
  EXPECT_EQ(run({{&a, 0, 1}, {&small, 0, 2}}), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(run({{&a, 0, 1}, {&b, 3, 2}}),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.length(0), 0);
  EXPECT_EQ(hidden, before);
  EXPECT_EQ(run({{&a, 0, 1}, {&b, 0, 2}}), absl::StatusCode::kOk);
  EXPECT_EQ(a.length(0), 1);
  EXPECT_EQ(b.length(c.n_layers - 1), 2);
}

}  // namespace
}  // namespace seedlm
