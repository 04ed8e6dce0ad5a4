// CpuExecutor and RunChain: chains of executors over any split of the
// layers, built from model parts loaded from the file or assembled from a
// weight stream, give bit for bit the hidden states and logits of the
// complete model's forward pass (llama2.c checkpoint and its compressed
// form); the executor's errors change nothing.
#include "core/runtime/cpu_executor.h"

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/layer_pipeline.h"
#include "core/runtime/llama_forward.h"
#include "core/runtime/weight_stream.h"
#include "core/util/shared_data.h"
#include "gtest/gtest.h"

namespace seedlm {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

// Per step, the tokens each of three sequences feeds (empty: it sits out):
// prefill chunks, decode tokens and a sequence joining late.
const std::vector<std::vector<std::vector<int32_t>>> kSchedule = {
    {{1, 403, 407, 261, 378}, {1, 300}, {}},
    {{432}, {286, 261, 376}, {1, 9, 77, 120}},
    {{383}, {}, {18}},
    {{286, 261}, {376}, {5}},
};
const int64_t kSeqIds[3] = {100, 7, -42};

using Split = std::vector<std::pair<int, int>>;

// stories260K (5 layers) as stored, and compressed with the default preset.
class ExecutorChain : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing_util::ScratchDir();
    packed_ = new std::string(dir_->path() + "/m.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    ThreadPool pool(2);
    auto r = CompressModel(**src, *packed_, CompressOptions(), &pool, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete packed_;
    delete dir_;
  }
  static std::string Path() { return GetParam() ? *packed_ : kStories; }

  static testing_util::ScratchDir* dir_;
  static std::string* packed_;
};
testing_util::ScratchDir* ExecutorChain::dir_ = nullptr;
std::string* ExecutorChain::packed_ = nullptr;

CpuExecutorOptions Options(int threads) {
  CpuExecutorOptions o;
  o.context = 32;
  o.max_sequences = 3;
  o.threads = threads;
  return o;
}

// Executors over `split`, each over a part loaded from `path`.
std::vector<std::unique_ptr<CpuExecutor>> LoadedChain(const std::string& path,
                                                      const Split& split) {
  std::vector<std::unique_ptr<CpuExecutor>> chain;
  for (size_t i = 0; i < split.size(); ++i) {
    LoadModelOptions part;
    part.layer_begin = split[i].first;
    part.layer_end = split[i].second;
    part.load_embedding = part.load_head = false;
    auto model = LlamaModel::Load(path, part);
    EXPECT_TRUE(model.ok()) << model.status();
    if (!model.ok()) return {};
    auto ex = CpuExecutor::Create(std::move(*model), Options(1 + i % 2));
    EXPECT_TRUE(ex.ok()) << ex.status();
    if (!ex.ok()) return {};
    chain.push_back(std::move(*ex));
  }
  return chain;
}

// Executors over `split`, each over a part assembled from the tensors a
// WeightSource streams (in chunks of 1000 bytes), as an executor process
// builds it.
std::vector<std::unique_ptr<CpuExecutor>> StreamedChain(const std::string& path,
                                                        const Split& split) {
  auto source = WeightSource::Open(path);
  EXPECT_TRUE(source.ok()) << source.status();
  if (!source.ok()) return {};
  std::vector<std::unique_ptr<CpuExecutor>> chain;
  for (size_t i = 0; i < split.size(); ++i) {
    const auto [begin, end] = split[i];
    WeightAssembler assembler(1000, uint64_t{1} << 30);
    for (const std::string& name :
         LayerTensorNames((*source)->config(), begin, end)) {
      auto w = (*source)->Get(name);
      EXPECT_TRUE(w.ok()) << w.status();
      if (!w.ok()) return {};
      EXPECT_TRUE(assembler.BeginTensor(w->entry).ok());
      for (size_t at = 0; at < w->payload.size(); at += 1000) {
        EXPECT_TRUE(assembler.AddChunk(at, w->payload.subspan(at, 1000)).ok());
      }
    }
    auto tensors = assembler.Finish();
    EXPECT_TRUE(tensors.ok()) << tensors.status();
    LoadModelOptions part;
    part.layer_begin = begin;
    part.layer_end = end;
    part.load_embedding = part.load_head = false;
    auto model = LlamaModel::FromTensors((*source)->metadata(),
                                         std::move(*tensors), part);
    EXPECT_TRUE(model.ok()) << model.status();
    if (!model.ok()) return {};
    auto ex = CpuExecutor::Create(std::move(*model), Options(2 - i % 2));
    EXPECT_TRUE(ex.ok()) << ex.status();
    if (!ex.ok()) return {};
    chain.push_back(std::move(*ex));
  }
  return chain;
}

// Runs kSchedule through `chain` and through the complete model's
// RunLayersBatch over all layers; every step's hidden states and logits
// must be bit-identical.
void ExpectSameAsComplete(const LlamaModel& complete,
                          std::vector<std::unique_ptr<CpuExecutor>> chain) {
  const LlamaConfig& c = complete.config();
  ASSERT_FALSE(chain.empty());
  std::vector<Executor*> raw;
  for (auto& e : chain) raw.push_back(e.get());
  ASSERT_TRUE(CheckChain(raw, c.n_layers).ok());
  for (int64_t id : kSeqIds) {
    for (Executor* e : raw) ASSERT_TRUE(e->Open(id).ok());
  }
  LlamaForward fw(&complete, nullptr);
  std::vector<KvCache> caches;
  for (int s = 0; s < 3; ++s) caches.emplace_back(c, 0, c.n_layers, 32);
  std::vector<int> pos(3, 0);
  for (const auto& step : kSchedule) {
    std::vector<SequenceRows> seqs;
    std::vector<ExecutorRows> rows;
    std::vector<int32_t> tokens;
    for (int s = 0; s < 3; ++s) {
      const int n = static_cast<int>(step[s].size());
      if (n == 0) continue;
      seqs.push_back({&caches[s], pos[s], n});
      rows.push_back({kSeqIds[s], pos[s], n});
      tokens.insert(tokens.end(), step[s].begin(), step[s].end());
      pos[s] += n;
    }
    std::vector<float> want(tokens.size() * c.dim);
    ASSERT_TRUE(fw.Embed(tokens, absl::MakeSpan(want)).ok());
    std::vector<float> got = want;
    ASSERT_TRUE(
        fw.RunLayersBatch(0, c.n_layers, seqs, absl::MakeSpan(want)).ok());
    const absl::Status st = RunChain(raw, rows, absl::MakeSpan(got));
    ASSERT_TRUE(st.ok()) << st;
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4));
    std::vector<float> logits_want(tokens.size() * c.vocab_size);
    std::vector<float> logits_got(logits_want.size());
    ASSERT_TRUE(fw.Head(want, absl::MakeSpan(logits_want)).ok());
    ASSERT_TRUE(fw.Head(got, absl::MakeSpan(logits_got)).ok());
    ASSERT_EQ(0, std::memcmp(logits_got.data(), logits_want.data(),
                             logits_got.size() * 4));
  }
  for (int64_t id : kSeqIds) {
    for (Executor* e : raw) e->Close(id);
  }
}

const std::vector<Split> kSplits = {
    {{0, 5}}, {{0, 2}, {2, 5}}, {{0, 1}, {1, 4}, {4, 5}}};

TEST_P(ExecutorChain, LoadedPartsEqualTheCompleteModel) {
  auto complete = LlamaModel::Load(Path());
  ASSERT_TRUE(complete.ok()) << complete.status();
  ASSERT_EQ((*complete)->config().n_layers, 5);
  EXPECT_EQ((*complete)->stats().packed_tensors > 0, GetParam());
  for (const Split& split : kSplits) {
    SCOPED_TRACE(split.size());
    ExpectSameAsComplete(**complete, LoadedChain(Path(), split));
  }
}

TEST_P(ExecutorChain, StreamedPartsEqualTheCompleteModel) {
  auto complete = LlamaModel::Load(Path());
  ASSERT_TRUE(complete.ok()) << complete.status();
  for (const Split& split : kSplits) {
    SCOPED_TRACE(split.size());
    ExpectSameAsComplete(**complete, StreamedChain(Path(), split));
  }
}

// An executor borrowing layers of the complete model counts the same
// weight bytes as one over a part holding exactly those layers.
TEST_P(ExecutorChain, WeightAndMemoryBytes) {
  auto complete = LlamaModel::Load(Path());
  ASSERT_TRUE(complete.ok()) << complete.status();
  const LlamaConfig& c = (*complete)->config();
  auto whole = CpuExecutor::Create(complete->get(), 0, 5, Options(1));
  auto borrowed = CpuExecutor::Create(complete->get(), 1, 4, Options(1));
  ASSERT_TRUE(whole.ok() && borrowed.ok());
  auto parts = LoadedChain(Path(), {{0, 1}, {1, 4}, {4, 5}});
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ((*borrowed)->weight_bytes(), parts[1]->weight_bytes());
  EXPECT_EQ(parts[0]->weight_bytes() + parts[1]->weight_bytes() +
                parts[2]->weight_bytes(),
            (*whole)->weight_bytes());
  const WeightStats& s = (*complete)->stats();
  EXPECT_EQ((*whole)->weight_bytes(), s.linear_bytes + 5u * 2 * c.dim * 4);
  for (const auto* e : {whole->get(), borrowed->get(), parts[1].get()}) {
    const int layers = e->layer_end() - e->layer_begin();
    EXPECT_GE(e->memory_bytes(),
              e->weight_bytes() + 3 * KvCache::BytesFor(c, layers, 32));
    EXPECT_EQ(
        e->memory_bytes(),
        e->weight_bytes() + CpuExecutor::OverheadBytes(c, layers, Options(1)));
  }
  EXPECT_EQ((*borrowed)->description(), "cpu (in-process, layers [1, 4))");
}

INSTANTIATE_TEST_SUITE_P(Fp32AndPacked, ExecutorChain, ::testing::Bool());

// --- Errors ---

class ExecutorErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = LlamaModel::Load(kStories);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    auto ex = CpuExecutor::Create(model_.get(), 1, 3, Options(1));
    ASSERT_TRUE(ex.ok()) << ex.status();
    ex_ = std::move(*ex);
    const int dim = model_->config().dim;
    input_.resize(40 * dim);
    for (size_t i = 0; i < input_.size(); ++i) {
      input_[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
    }
  }

  // Steps `rows` over a copy of the first rows of input_; expects `code`
  // and, on error, the hidden states unchanged.
  std::vector<float> Expect(std::vector<ExecutorRows> rows, size_t tokens,
                            absl::StatusCode code) {
    std::vector<float> h(input_.begin(),
                         input_.begin() + tokens * model_->config().dim);
    const absl::Status st = ex_->Step(rows, absl::MakeSpan(h));
    EXPECT_EQ(st.code(), code) << st;
    if (!st.ok()) {
      EXPECT_EQ(h,
                std::vector<float>(input_.begin(), input_.begin() + h.size()));
    }
    return h;
  }

  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<CpuExecutor> ex_;
  std::vector<float> input_;
};

TEST_F(ExecutorErrors, RowsAndSequences) {
  using absl::StatusCode;
  Expect({{5, 0, 1}}, 1, StatusCode::kNotFound);
  ASSERT_TRUE(ex_->Open(5).ok());
  ASSERT_TRUE(ex_->Open(6).ok());
  EXPECT_EQ(ex_->Open(5).code(), StatusCode::kAlreadyExists);
  Expect({{5, 0, 1}, {9, 0, 1}}, 2, StatusCode::kNotFound);
  Expect({{5, 0, 1}, {5, 1, 1}}, 2, StatusCode::kInvalidArgument);
  Expect({{5, 0, 2}}, 1, StatusCode::kInvalidArgument);  // rows != hidden
  Expect({{5, 0, 1}, {6, 0, 1}}, 3, StatusCode::kInvalidArgument);
  Expect({{5, 0, 0}}, 1, StatusCode::kInvalidArgument);
  Expect({}, 1, StatusCode::kInvalidArgument);
  Expect({{5, 1, 1}}, 1, StatusCode::kFailedPrecondition);  // a gap
  Expect({{5, 0, 33}}, 33, StatusCode::kOutOfRange);        // past the context
  Expect({{5, -1, 1}}, 1, StatusCode::kInvalidArgument);
  // None of that changed sequence 5: it still starts at position 0.
  Expect({{5, 0, 2}, {6, 0, 1}}, 3, StatusCode::kOk);
  Expect({{5, 2, 1}}, 1, StatusCode::kOk);
}

TEST_F(ExecutorErrors, CapacityCloseAndReopen) {
  for (int64_t id : {1, 2, 3}) ASSERT_TRUE(ex_->Open(id).ok());
  EXPECT_EQ(ex_->Open(4).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ex_->open_sequences(), 3);
  const std::vector<float> first =
      Expect({{2, 0, 3}}, 3, absl::StatusCode::kOk);
  EXPECT_NE(first,
            std::vector<float>(input_.begin(), input_.begin() + first.size()));
  ex_->Close(2);
  ex_->Close(2);  // unknown now: no-op
  ex_->Close(77);
  EXPECT_EQ(ex_->open_sequences(), 2);
  Expect({{2, 3, 1}}, 1, absl::StatusCode::kNotFound);
  ASSERT_TRUE(ex_->Open(4).ok());  // the freed cache
  // Its cache starts empty: a gap at 3, and position 0 gives what it gave
  // the first time.
  Expect({{4, 3, 1}}, 1, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Expect({{4, 0, 3}}, 3, absl::StatusCode::kOk), first);
  // A fresh sequence in another cache gives the same again.
  ex_->Close(1);
  ASSERT_TRUE(ex_->Open(2).ok());
  EXPECT_EQ(Expect({{2, 0, 3}}, 3, absl::StatusCode::kOk), first);
  // On a pool the caller owns, with two threads: the same.
  ThreadPool pool(2);
  CpuExecutorOptions o = Options(1);
  o.pool = &pool;
  auto shared = CpuExecutor::Create(model_.get(), 1, 3, o);
  ASSERT_TRUE(shared.ok()) << shared.status();
  ASSERT_TRUE((*shared)->Open(1).ok());
  std::vector<float> h(input_.begin(), input_.begin() + first.size());
  ASSERT_TRUE((*shared)->Step({{1, 0, 3}}, absl::MakeSpan(h)).ok());
  EXPECT_EQ(h, first);
}

TEST_F(ExecutorErrors, CreateRejectsBadArguments) {
  const auto bad = [&](int begin, int end, CpuExecutorOptions o) {
    return CpuExecutor::Create(model_.get(), begin, end, o).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad(2, 2, Options(1)), kInvalid);
  EXPECT_EQ(bad(3, 2, Options(1)), kInvalid);
  EXPECT_EQ(bad(-1, 2, Options(1)), kInvalid);
  EXPECT_EQ(bad(0, 6, Options(1)), kInvalid);
  CpuExecutorOptions o = Options(1);
  o.context = 0;
  EXPECT_EQ(bad(0, 5, o), kInvalid);
  o.context = model_->config().max_seq_len + 1;
  EXPECT_EQ(bad(0, 5, o), kInvalid);
  o.context = model_->config().max_seq_len;
  EXPECT_TRUE(CpuExecutor::Create(model_.get(), 0, 5, o).ok());
  o = Options(1);
  o.max_sequences = 0;
  EXPECT_EQ(bad(0, 5, o), kInvalid);
  o = Options(0);
  EXPECT_EQ(bad(0, 5, o), kInvalid);
  o = Options(1);
  o.max_step_tokens = 0;
  EXPECT_EQ(bad(0, 5, o), kInvalid);
  EXPECT_EQ(CpuExecutor::Create(nullptr, 0, 1, Options(1)).status().code(),
            kInvalid);
  // A part that holds no layer.
  LoadModelOptions none;
  none.layer_begin = none.layer_end = 2;
  auto empty = LlamaModel::Load(kStories, none);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(CpuExecutor::Create(std::move(*empty), Options(1)).status().code(),
            kInvalid);
  // Layers the part does not hold.
  LoadModelOptions part;
  part.layer_begin = 1;
  part.layer_end = 3;
  auto p = LlamaModel::Load(kStories, part);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(CpuExecutor::Create(p->get(), 0, 2, Options(1)).status().code(),
            kInvalid);
  EXPECT_TRUE(CpuExecutor::Create(p->get(), 2, 3, Options(1)).ok());
}

// RunChain stops at the first executor that fails; CheckChain says where
// a chain does not cover the layers.
TEST_F(ExecutorErrors, ChainChecks) {
  auto a = CpuExecutor::Create(model_.get(), 0, 1, Options(1));
  auto c = CpuExecutor::Create(model_.get(), 3, 5, Options(1));
  ASSERT_TRUE(a.ok() && c.ok());
  Executor* b = ex_.get();  // [1, 3)
  const std::vector<Executor*> good = {a->get(), b, c->get()};
  EXPECT_TRUE(CheckChain(good, 5).ok());
  EXPECT_EQ(CheckChain(good, 6).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckChain(std::vector<Executor*>{a->get(), c->get()}, 5).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckChain(std::vector<Executor*>{b, a->get(), c->get()}, 5).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckChain({}, 5).code(), absl::StatusCode::kInvalidArgument);
  // Sequence 8 is open on a and c only: the step fails at b, after a ran.
  ASSERT_TRUE((*a)->Open(8).ok());
  ASSERT_TRUE((*c)->Open(8).ok());
  std::vector<float> h(input_.begin(), input_.begin() + model_->config().dim);
  const std::vector<ExecutorRows> rows = {{8, 0, 1}};
  EXPECT_EQ(RunChain(good, rows, absl::MakeSpan(h)).code(),
            absl::StatusCode::kNotFound);
  // c did not run: its cache is still empty, so position 1 is a gap there.
  std::vector<float> h2(h);
  EXPECT_EQ((*c)->Step({{8, 1, 1}}, absl::MakeSpan(h2)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*c)->Step({{8, 0, 1}}, absl::MakeSpan(h2)).ok());
}

}  // namespace
}  // namespace seedlm
