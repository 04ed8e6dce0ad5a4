#include "core/runtime/llama_forward.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/format/container.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/llama_session.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

// Positions 0..4, 5, 6..8, 9: a prefill, then decode steps and batches.
const std::vector<std::vector<int32_t>> kSteps = {
    {1, 403, 407, 261, 378}, {432}, {383, 286, 261}, {376}};

// The logits of feeding kSteps to a session over a whole model.
std::vector<float> SessionLogits(const LlamaModel& model, ThreadPool* pool) {
  LlamaSession s(&model, pool);
  std::vector<float> out;
  for (const auto& step : kSteps) {
    auto l = s.ForwardBatch(step);
    EXPECT_TRUE(l.ok()) << l.status();
    if (l.ok()) out.insert(out.end(), l->begin(), l->end());
  }
  return out;
}

// One executor: a model (whole or partial) running layers [begin, end).
struct Stage {
  const LlamaModel* model;
  int begin, end;
};

// The logits of feeding kSteps through a chain of stages, each with its own
// LlamaForward and a KvCache over its own layers only; hidden states pass
// from stage to stage as an executor would receive them.
std::vector<float> PipelineLogits(const std::vector<Stage>& stages,
                                  ThreadPool* pool) {
  std::vector<std::unique_ptr<LlamaForward>> fw;
  std::vector<KvCache> caches;
  for (const Stage& s : stages) {
    fw.push_back(std::make_unique<LlamaForward>(s.model, pool));
    auto cache = KvCache::Create(s.model->config(), s.begin, s.end, 16);
    EXPECT_TRUE(cache.ok()) << cache.status();
    if (!cache.ok()) return {};
    caches.push_back(std::move(*cache));
  }
  const int dim = fw.front()->dim(), vocab = fw.back()->vocab_size();
  std::vector<float> out;
  int pos = 0;
  for (const auto& step : kSteps) {
    std::vector<float> hidden(step.size() * dim);
    EXPECT_TRUE(fw.front()->Embed(step, absl::MakeSpan(hidden)).ok());
    for (size_t i = 0; i < stages.size(); ++i) {
      const absl::Status s =
          fw[i]->RunLayers(stages[i].begin, stages[i].end, pos,
                           absl::MakeSpan(hidden), &caches[i]);
      EXPECT_TRUE(s.ok()) << s;
    }
    std::vector<float> logits(step.size() * vocab);
    EXPECT_TRUE(fw.back()->Head(hidden, absl::MakeSpan(logits)).ok());
    out.insert(out.end(), logits.begin(), logits.end());
    pos += static_cast<int>(step.size());
  }
  return out;
}

// Layers [0, k) then [k, n) equal [0, n) bit for bit, for every k, one
// thread or two, with separate caches per range or one shared cache.
TEST(LlamaForward, LayerSplitEqualsWholeForEveryK) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok()) << model.status();
  const LlamaModel* m = model->get();
  const int n = m->config().n_layers;
  ThreadPool two(2);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two}) {
    const std::vector<float> want = SessionLogits(*m, pool);
    ASSERT_EQ(want.size(), 10u * 512);
    EXPECT_EQ(PipelineLogits({{m, 0, n}}, pool), want);
    for (int k = 0; k <= n; ++k) {
      EXPECT_EQ(PipelineLogits({{m, 0, k}, {m, k, n}}, pool), want) << k;
    }
    EXPECT_EQ(
        PipelineLogits({{m, 0, 1}, {m, 1, 3}, {m, 3, 4}, {m, 4, n}}, pool),
        want);
  }
  // One cache over all layers, filled by two calls per step.
  LlamaForward fw(m, nullptr);
  const std::vector<float> want = SessionLogits(*m, nullptr);
  for (int k = 0; k <= n; ++k) {
    KvCache cache(m->config(), 0, n, 16);
    std::vector<float> got;
    int pos = 0;
    for (const auto& step : kSteps) {
      std::vector<float> hidden(step.size() * fw.dim());
      std::vector<float> logits(step.size() * fw.vocab_size());
      ASSERT_TRUE(fw.Embed(step, absl::MakeSpan(hidden)).ok());
      ASSERT_TRUE(fw.RunLayers(0, k, pos, absl::MakeSpan(hidden), &cache).ok());
      ASSERT_TRUE(fw.RunLayers(k, n, pos, absl::MakeSpan(hidden), &cache).ok());
      ASSERT_TRUE(fw.Head(hidden, absl::MakeSpan(logits)).ok());
      got.insert(got.end(), logits.begin(), logits.end());
      pos += static_cast<int>(step.size());
    }
    EXPECT_EQ(got, want) << k;
    EXPECT_EQ(cache.length(0), 10);
  }
}

LoadModelOptions Part(int begin, int end, bool embedding, bool head) {
  LoadModelOptions o;
  o.layer_begin = begin;
  o.layer_end = end;
  o.load_embedding = embedding;
  o.load_head = head;
  return o;
}

// Two separately loaded partial models (an executor each) reproduce the
// whole model's logits bit for bit, and hold only their share.
TEST(LlamaForward, PartialModelsReproduceTheWholeModel) {
  auto whole = LlamaModel::Load(kStories);
  ASSERT_TRUE(whole.ok());
  const std::vector<float> want = SessionLogits(**whole, nullptr);
  const int n = (*whole)->config().n_layers;
  for (int k = 0; k <= n; ++k) {
    auto a = LlamaModel::Load(kStories, Part(0, k, true, false));
    auto b = LlamaModel::Load(kStories, Part(k, -1, false, true));
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    EXPECT_TRUE((*a)->has_embedding() && !(*a)->has_head());
    EXPECT_TRUE(!(*b)->has_embedding() && (*b)->has_head());
    EXPECT_EQ((*b)->layer_begin(), k);
    EXPECT_EQ((*b)->layer_end(), n);
    EXPECT_EQ(PipelineLogits({{a->get(), 0, k}, {b->get(), k, n}}, nullptr),
              want)
        << k;
    const WeightStats& sa = (*a)->stats();
    const WeightStats& sb = (*b)->stats();
    const WeightStats& sw = (*whole)->stats();
    EXPECT_EQ(sa.linear_weights + sb.linear_weights, sw.linear_weights);
    EXPECT_EQ(sa.linear_weights, sw.linear_weights / n * k);
    // The tied embedding is held by both ends (as embedding and as head).
    EXPECT_EQ(sa.total_bytes + sb.total_bytes, sw.total_bytes + 512 * 64 * 4);
  }
}

TEST(LlamaForward, LayerRangeLoadHoldsOnlyItsShare) {
  auto whole = LlamaModel::Load(kStories);
  auto mid = LlamaModel::Load(kStories, Part(1, 3, false, false));
  ASSERT_TRUE(whole.ok() && mid.ok());
  EXPECT_FALSE((*mid)->is_complete());
  EXPECT_TRUE((*whole)->is_complete());
  EXPECT_TRUE((*mid)->has_layer(1) && (*mid)->has_layer(2));
  EXPECT_FALSE((*mid)->has_layer(0) || (*mid)->has_layer(3));
  const WeightStats& s = (*mid)->stats();
  EXPECT_EQ(s.linear_weights * 5, (*whole)->stats().linear_weights * 2);
  EXPECT_EQ(s.linear_bytes * 5, (*whole)->stats().linear_bytes * 2);
  // Two layers' matrices and norms, nothing else.
  EXPECT_EQ(s.total_bytes, s.linear_bytes + 2 * 2 * 64 * 4);
  EXPECT_LT(s.total_bytes * 2, (*whole)->stats().total_bytes);
  auto none = LlamaModel::Load(kStories, Part(2, 2, false, false));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->stats().total_bytes, 0u);
}

TEST(LlamaForward, PartialModelErrors) {
  for (const LoadModelOptions& bad :
       {Part(-1, 2, true, true), Part(3, 2, true, true), Part(0, 6, true, true),
        Part(0, -2, true, true)}) {
    EXPECT_EQ(LlamaModel::Load(kStories, bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  auto mid = LlamaModel::Load(kStories, Part(1, 3, false, false));
  ASSERT_TRUE(mid.ok());
  LlamaForward fw(mid->get(), nullptr);
  std::vector<float> hidden(64, 0.5f), logits(512);
  const std::vector<int32_t> one = {1};
  EXPECT_EQ(fw.Embed(one, absl::MakeSpan(hidden)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fw.Head(hidden, absl::MakeSpan(logits)).code(),
            absl::StatusCode::kFailedPrecondition);
  KvCache all((*mid)->config(), 0, 5, 8);
  EXPECT_EQ(fw.RunLayers(0, 2, 0, absl::MakeSpan(hidden), &all).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fw.RunLayers(2, 5, 0, absl::MakeSpan(hidden), &all).code(),
            absl::StatusCode::kFailedPrecondition);
  KvCache other((*mid)->config(), 2, 3, 8);  // does not cover layer 1
  EXPECT_EQ(fw.RunLayers(1, 3, 0, absl::MakeSpan(hidden), &other).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fw.RunLayers(1, 3, 0, absl::MakeSpan(hidden), &all).ok());
  LlamaSession session(mid->get(), nullptr);
  EXPECT_EQ(session.Forward(1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LlamaForward, ArgumentAndCapacityErrorsChangeNothing) {
  auto model = LlamaModel::Load(kStories);
  ASSERT_TRUE(model.ok());
  LlamaForward fw(model->get(), nullptr);
  KvCache cache((*model)->config(), 0, 5, 3);
  std::vector<float> hidden(2 * 64), logits(2 * 512);
  const std::vector<int32_t> two = {1, 403};
  ASSERT_TRUE(fw.Embed(two, absl::MakeSpan(hidden)).ok());
  const std::vector<float> embedded = hidden;
  const std::vector<int32_t> bad = {1, 512};
  EXPECT_EQ(fw.Embed(bad, absl::MakeSpan(hidden)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fw.Embed({}, absl::MakeSpan(hidden)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fw.Embed(two, absl::MakeSpan(hidden).subspan(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      fw.RunLayers(0, 5, 0, absl::MakeSpan(hidden).subspan(1), &cache).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fw.RunLayers(0, 5, -1, absl::MakeSpan(hidden), &cache).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fw.RunLayers(0, 5, 1, absl::MakeSpan(hidden), &cache).code(),
            absl::StatusCode::kFailedPrecondition);  // a gap
  EXPECT_EQ(fw.RunLayers(0, 5, 2, absl::MakeSpan(hidden), &cache).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fw.Head(hidden, absl::MakeSpan(logits).subspan(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hidden, embedded);
  ASSERT_TRUE(fw.RunLayers(0, 5, 0, absl::MakeSpan(hidden), &cache).ok());
  const std::vector<float> after = hidden;
  EXPECT_EQ(fw.RunLayers(0, 5, 2, absl::MakeSpan(hidden), &cache).code(),
            absl::StatusCode::kOutOfRange);  // positions 2, 3 of 3
  EXPECT_EQ(hidden, after);
  EXPECT_EQ(cache.length(4), 2);
  // Rewriting positions 0, 1 reproduces them.
  hidden = embedded;
  ASSERT_TRUE(fw.RunLayers(0, 5, 0, absl::MakeSpan(hidden), &cache).ok());
  EXPECT_EQ(hidden, after);
  LlamaSession s(model->get(), nullptr, /*context=*/3);
  const std::vector<int32_t> four = {1, 2, 3, 4};
  EXPECT_EQ(s.ForwardBatch(four).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(s.cache().capacity(), 3);
  EXPECT_EQ(s.cache().capacity_bytes(), 2u * 5 * 3 * 32 * 4);
}

// --- A packed model, and weights built from owned bytes. ---

// stories260K compressed once for the tests below.
class PackedStories : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing_util::ScratchDir();
    path_ = new std::string(dir_->path() + "/m.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    const CompressOptions opt =
        CompressOptions::ForCodec(*PresetByName("4bit"));
    ThreadPool pool(2);
    auto r = CompressModel(**src, *path_, opt, &pool, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete path_;
    delete dir_;
  }

  // The container's tensors of a part, their payloads copied into owned
  // buffers as if received over a stream.
  static std::vector<OwnedTensor> Tensors(const LlamaConfig& c, int begin,
                                          int end, bool embedding, bool head) {
    std::set<std::string> names;
    for (int l = begin; l < end; ++l) {
      for (const char* what : {"attn_norm", "wq", "wk", "wv", "wo", "ffn_norm",
                               "w1", "w2", "w3"}) {
        names.insert(LayerTensorName(c, l, what));
      }
    }
    if (embedding || (head && c.tied_embeddings)) {
      names.insert(c.embedding_tensor);
    }
    if (head) names.insert(FinalNormName(c));
    auto reader = ContainerReader::Open(*path_);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<OwnedTensor> out;
    for (size_t i = 0; i < (*reader)->tensors().size(); ++i) {
      const TensorEntry& e = (*reader)->tensors()[i];
      if (names.count(e.name) == 0) continue;
      auto payload = (*reader)->Payload(i);
      EXPECT_TRUE(payload.ok());
      out.push_back(
          {e, std::vector<uint8_t>(payload->begin(), payload->end())});
    }
    return out;
  }

  static testing_util::ScratchDir* dir_;
  static std::string* path_;
};

testing_util::ScratchDir* PackedStories::dir_ = nullptr;
std::string* PackedStories::path_ = nullptr;

TEST_F(PackedStories, LayerSplitEqualsWholeForEveryK) {
  auto model = LlamaModel::Load(*path_);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ((*model)->stats().packed_tensors, 35);
  const LlamaModel* m = model->get();
  const std::vector<float> want = SessionLogits(*m, nullptr);
  for (int k = 0; k <= 5; ++k) {
    EXPECT_EQ(PipelineLogits({{m, 0, k}, {m, k, 5}}, nullptr), want) << k;
  }
  auto a = LlamaModel::Load(*path_, Part(0, 2, true, false));
  auto b = LlamaModel::Load(*path_, Part(2, 5, false, true));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->stats().packed_tensors + (*b)->stats().packed_tensors, 35);
  EXPECT_EQ(PipelineLogits({{a->get(), 0, 2}, {b->get(), 2, 5}}, nullptr),
            want);
}

// Layers built from owned copies of the container's bytes compute exactly
// what the mapped model computes, whole or as two executors' parts.
TEST_F(PackedStories, OwnedTensorsEqualTheMappedModel) {
  auto mapped = LlamaModel::Load(*path_);
  ASSERT_TRUE(mapped.ok());
  const LlamaConfig& c = (*mapped)->config();
  const std::vector<float> want = SessionLogits(**mapped, nullptr);
  auto whole = LlamaModel::FromTensors((*mapped)->metadata(),
                                       Tensors(c, 0, 5, true, true));
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ((*whole)->file_kind(), "tensors");
  EXPECT_EQ((*whole)->stats().packed_tensors, 35);
  EXPECT_EQ((*whole)->stats().total_bytes, (*mapped)->stats().total_bytes);
  EXPECT_EQ(SessionLogits(**whole, nullptr), want);
  for (int k : {0, 2, 5}) {
    auto a = LlamaModel::FromTensors((*mapped)->metadata(),
                                     Tensors(c, 0, k, true, false),
                                     Part(0, k, true, false));
    auto b = LlamaModel::FromTensors((*mapped)->metadata(),
                                     Tensors(c, k, 5, false, true),
                                     Part(k, 5, false, true));
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    EXPECT_EQ(PipelineLogits({{a->get(), 0, k}, {b->get(), k, 5}}, nullptr),
              want)
        << k;
  }
}

TEST_F(PackedStories, OwnedTensorErrors) {
  auto mapped = LlamaModel::Load(*path_);
  ASSERT_TRUE(mapped.ok());
  const ModelMetadata& md = (*mapped)->metadata();
  const LlamaConfig& c = (*mapped)->config();
  const LoadModelOptions part = Part(1, 2, false, false);
  auto find = [](std::vector<OwnedTensor>& v, const std::string& name) {
    for (OwnedTensor& t : v) {
      if (t.entry.name == name) return &t;
    }
    ADD_FAILURE() << name;
    return &v.front();
  };
  const std::string wq = LayerTensorName(c, 1, "wq");
  ASSERT_TRUE(
      LlamaModel::FromTensors(md, Tensors(c, 1, 2, false, false), part).ok());
  auto missing = Tensors(c, 1, 2, false, false);
  missing.erase(missing.begin());
  EXPECT_EQ(
      LlamaModel::FromTensors(md, std::move(missing), part).status().code(),
      absl::StatusCode::kNotFound);
  auto extra = Tensors(c, 1, 3, false, false);
  EXPECT_EQ(LlamaModel::FromTensors(md, std::move(extra), part).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto twice = Tensors(c, 1, 2, false, false);
  twice.push_back(*find(twice, wq));
  EXPECT_EQ(LlamaModel::FromTensors(md, std::move(twice), part).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto short_payload = Tensors(c, 1, 2, false, false);
  find(short_payload, wq)->payload.pop_back();
  EXPECT_EQ(LlamaModel::FromTensors(md, std::move(short_payload), part)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // A consistent entry of the wrong shape (the payload still matches it).
  auto shape = Tensors(c, 1, 2, false, false);
  OwnedTensor* t = find(shape, wq);
  t->entry.shape = {32, 64};
  t->payload.resize(*ExpectedPayloadBytes(t->entry));
  EXPECT_EQ(LlamaModel::FromTensors(md, std::move(shape), part).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto zero = Tensors(c, 1, 2, false, false);
  std::fill(find(zero, wq)->payload.begin(), find(zero, wq)->payload.end(), 0);
  EXPECT_EQ(LlamaModel::FromTensors(md, std::move(zero), part).status().code(),
            absl::StatusCode::kDataLoss);
  ModelMetadata bad = md;
  bad.arch_config_json = "{}";
  EXPECT_FALSE(
      LlamaModel::FromTensors(bad, Tensors(c, 1, 2, false, false), part).ok());
}

TEST(PackedLinear, AnOwnerKeepsThePayload) {
  const CodecConfig codec = *PresetByName("4bit");
  const PackedGeometry g = MakeGeometry(codec, 4, 64);
  auto payload =
      std::make_shared<std::vector<uint8_t>>(g.payload_bytes(), 0x5A);
  const std::vector<uint8_t> copy = *payload;
  auto borrowed = PackedLinear::Create(codec, -8, 4, 64, copy);
  auto owned = PackedLinear::Create(codec, -8, 4, 64, *payload, payload);
  payload.reset();  // the weight's reference keeps the bytes
  ASSERT_TRUE(borrowed.ok() && owned.ok()) << owned.status();
  EXPECT_EQ((*owned)->StorageBytes(), copy.size());
  std::vector<float> x(64), ya(4), yb(4);
  for (int i = 0; i < 64; ++i) x[i] = 0.01f * i - 0.3f;
  MatVec(**borrowed, x.data(), ya.data(), nullptr);
  MatVec(**owned, x.data(), yb.data(), nullptr);
  EXPECT_EQ(ya, yb);
  const std::vector<uint8_t> copy_short = {1, 2, 3};
  EXPECT_EQ(PackedLinear::Create(codec, -8, 4, 64, copy_short,
                                 std::make_shared<int>())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace seedlm
