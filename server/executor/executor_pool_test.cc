// ExecutorPool without RPC: attached executors are in-process fakes (a
// CpuExecutor over the layers their Load streamed from the WeightSource,
// built through LlamaModel::FromTensors as a seedlm-executor builds its
// part). On stories260K compressed with the default preset: the hidden
// states after Run are bit-identical to the in-process-only pool whatever
// the number of executors; plans follow threads and memory; failures in
// Step and Load drop the executor and fall back.
#include "server/executor/executor_pool.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/codec/codec.h"
#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "core/util/status_macros.h"
#include "core/util/thread_pool.h"
#include "gtest/gtest.h"

namespace seedlm::serve {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");

class FakeAttached final : public AttachedExecutor {
 public:
  FakeAttached(std::string id, int threads, uint64_t memory = 0)
      : id_(std::move(id)) {
    announcement_.kind = "cpu";
    announcement_.name = "host-" + id_;
    announcement_.threads = threads;
    announcement_.memory_bytes = memory;
  }

  const std::string& id() const override { return id_; }
  const ExecutorAnnouncement& announcement() const override {
    return announcement_;
  }
  absl::Status Load(LayerRange range, const WeightSource& weights,
                    const ExecutorBuild& build) override {
    ++loads;
    cpu_.reset();
    range_ = range;
    if (!alive_) return absl::UnavailableError("gone");
    if (fail_next_load.exchange(false)) {
      return absl::DataLossError("tensor layers.0.wq: CRC mismatch");
    }
    if (range.empty()) return absl::OkStatus();
    std::vector<OwnedTensor> tensors;
    for (const std::string& name :
         LayerTensorNames(weights.config(), range.begin, range.end)) {
      ASSIGN_OR_RETURN(StoredWeight w, weights.Get(name));
      OwnedTensor t;
      t.entry = w.entry;
      t.payload.assign(w.payload.begin(), w.payload.end());
      tensors.push_back(std::move(t));
    }
    LoadModelOptions o;
    o.layer_begin = range.begin;
    o.layer_end = range.end;
    o.load_embedding = false;
    o.load_head = false;
    ASSIGN_OR_RETURN(
        std::unique_ptr<LlamaModel> model,
        LlamaModel::FromTensors(weights.metadata(), std::move(tensors), o));
    CpuExecutorOptions co;
    co.context = build.context;
    co.max_sequences = build.max_sequences;
    co.max_step_tokens = build.max_step_tokens;
    ASSIGN_OR_RETURN(cpu_, CpuExecutor::Create(std::move(model), co));
    return absl::OkStatus();
  }
  bool alive() const override { return alive_; }
  void Fail(const absl::Status&) override { alive_ = false; }

  int layer_begin() const override { return range_.begin; }
  int layer_end() const override { return range_.end; }
  std::string description() const override { return id_; }
  absl::Status Open(int64_t seq) override {
    if (!alive_) return absl::UnavailableError("gone");
    return cpu_->Open(seq);
  }
  void Close(int64_t seq) override {
    if (cpu_ != nullptr) cpu_->Close(seq);
  }
  absl::Status Step(absl::Span<const ExecutorRows> rows,
                    absl::Span<float> hidden) override {
    if (!alive_) return absl::UnavailableError("gone");
    if (fail_next_step.exchange(false)) {
      alive_ = false;
      return absl::UnavailableError("connection reset by peer");
    }
    ++steps;
    return cpu_->Step(rows, hidden);
  }
  uint64_t weight_bytes() const override {
    return cpu_ ? cpu_->weight_bytes() : 0;
  }
  uint64_t memory_bytes() const override {
    return cpu_ ? cpu_->memory_bytes() : 0;
  }

  std::atomic<bool> fail_next_load{false};
  std::atomic<bool> fail_next_step{false};
  std::atomic<int> loads{0};
  std::atomic<int> steps{0};

 private:
  std::string id_;
  ExecutorAnnouncement announcement_;
  std::atomic<bool> alive_{true};
  LayerRange range_;
  std::unique_ptr<CpuExecutor> cpu_;
};

// stories260K compressed with the default preset, once for the suite.
class ExecutorPoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kStories)) return;
    dir_ = new testing_util::ScratchDir();
    path_ = dir_->File("stories.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    ThreadPool pool(2);
    auto report = CompressModel(
        **src, path_, CompressOptions::ForCodec(*PresetByName(kDefaultPreset)),
        &pool, {});
    ASSERT_TRUE(report.ok()) << report.status();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    SEEDLM_NEED_SHARED_FILE(kStories);
    auto model = LlamaModel::Load(path_);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    ASSERT_GT(model_->stats().packed_tensors, 0);
    auto weights = WeightSource::Open(path_);
    ASSERT_TRUE(weights.ok()) << weights.status();
    weights_ = std::move(*weights);
  }

  std::unique_ptr<ExecutorPool> NewPool() {
    ExecutorPoolOptions o;
    o.build.context = 16;
    o.build.max_sequences = 2;
    o.build.max_step_tokens = 4;
    auto pool = ExecutorPool::Create(model_.get(), weights_.get(), o);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::move(*pool) : nullptr;
  }

  // Two sequences through three steps (prefill, mixed, decode); every
  // step's hidden states after Run, concatenated.
  std::vector<float> Drive(ExecutorPool& pool) {
    const int dim = model_->config().dim;
    const std::vector<std::vector<ExecutorRows>> steps = {
        {{1, 0, 4}, {2, 0, 2}}, {{1, 4, 1}, {2, 2, 3}}, {{2, 5, 1}, {1, 5, 1}}};
    std::vector<float> out;
    EXPECT_TRUE(pool.Open(1).ok());
    EXPECT_TRUE(pool.Open(2).ok());
    for (size_t s = 0; s < steps.size(); ++s) {
      int rows = 0;
      for (const ExecutorRows& r : steps[s]) rows += r.n;
      std::vector<float> hidden(static_cast<size_t>(rows) * dim);
      for (size_t i = 0; i < hidden.size(); ++i) {
        hidden[i] = 0.5f * std::sin(0.37f * static_cast<float>(i) + s);
      }
      const absl::Status st = pool.Run(steps[s], absl::MakeSpan(hidden));
      EXPECT_TRUE(st.ok()) << st;
      out.insert(out.end(), hidden.begin(), hidden.end());
    }
    pool.Close(1);
    pool.Close(2);
    return out;
  }

  std::vector<float> Reference() {
    std::unique_ptr<ExecutorPool> pool = NewPool();
    return Drive(*pool);
  }

  static testing_util::ScratchDir* dir_;
  static std::string path_;
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<WeightSource> weights_;
};

testing_util::ScratchDir* ExecutorPoolTest::dir_ = nullptr;
std::string ExecutorPoolTest::path_;

std::vector<LayerRange> Ranges(const ExecutorPool& pool) {
  std::vector<LayerRange> out;
  for (const ExecutorPlacementInfo& p : pool.Placements()) {
    out.push_back(p.layers);
  }
  return out;
}

TEST_F(ExecutorPoolTest, BitIdenticalWithZeroToThreeExecutors) {
  const std::vector<float> reference = Reference();
  ASSERT_FALSE(reference.empty());
  for (int n = 0; n <= 3; ++n) {
    std::unique_ptr<ExecutorPool> pool = NewPool();
    std::vector<std::shared_ptr<FakeAttached>> fakes;
    for (int i = 0; i < n; ++i) {
      fakes.push_back(std::make_shared<FakeAttached>(
          "ex-" + std::to_string(i + 1), 1 + i % 2));
      pool->Attach(fakes.back());
    }
    EXPECT_EQ(pool->ReplanPending(), n > 0);
    ASSERT_TRUE(pool->Replan().ok());
    EXPECT_EQ(pool->Placements().size(), static_cast<size_t>(n));
    EXPECT_EQ(Drive(*pool), reference) << n << " executors";
    for (const auto& f : fakes) EXPECT_EQ(f->steps, 3) << f->id();
  }
}

TEST_F(ExecutorPoolTest, AttachIsPendingUntilReplanWhichBalancesByThreads) {
  ASSERT_EQ(model_->config().n_layers, 5);
  std::unique_ptr<ExecutorPool> pool = NewPool();
  EXPECT_EQ(pool->plans(), 1);
  EXPECT_FALSE(pool->ReplanPending());
  auto a = std::make_shared<FakeAttached>("ex-1", 1);
  auto b = std::make_shared<FakeAttached>("ex-2", 4);
  pool->Attach(a);
  pool->Attach(b);
  EXPECT_TRUE(pool->ReplanPending());
  EXPECT_TRUE(pool->Placements().empty());
  EXPECT_EQ(a->loads, 0);
  ASSERT_TRUE(pool->Replan().ok());
  EXPECT_FALSE(pool->ReplanPending());
  EXPECT_EQ(pool->plans(), 2);
  const std::vector<ExecutorPlacementInfo> p = pool->Placements();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].id, "ex-1");
  EXPECT_EQ(p[0].layers, (LayerRange{0, 1}));
  EXPECT_EQ(p[1].id, "ex-2");
  EXPECT_EQ(p[1].layers, (LayerRange{1, 5}));
  EXPECT_EQ(p[1].name, "host-ex-2");
  EXPECT_GT(p[1].weight_bytes, p[0].weight_bytes);
  // Detaching a member of the chain asks for a re-plan.
  pool->Detach("ex-1");
  a->Fail(absl::UnavailableError("gone"));
  EXPECT_TRUE(pool->ReplanPending());
  ASSERT_TRUE(pool->Replan().ok());
  EXPECT_EQ(Ranges(*pool), (std::vector<LayerRange>{{0, 5}}));
}

TEST_F(ExecutorPoolTest, StepFailureIsUnavailableNamingTheExecutor) {
  const std::vector<float> reference = Reference();
  std::unique_ptr<ExecutorPool> pool = NewPool();
  auto a = std::make_shared<FakeAttached>("ex-1", 1);
  auto b = std::make_shared<FakeAttached>("ex-2", 1);
  pool->Attach(a);
  pool->Attach(b);
  ASSERT_TRUE(pool->Replan().ok());
  ASSERT_EQ(Ranges(*pool), (std::vector<LayerRange>{{0, 3}, {3, 5}}));
  ASSERT_TRUE(pool->Open(7).ok());
  b->fail_next_step = true;
  std::vector<float> hidden(model_->config().dim, 0.25f);
  const std::vector<ExecutorRows> rows = {{7, 0, 1}};
  const absl::Status st = pool->Run(rows, absl::MakeSpan(hidden));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_NE(st.message().find("executor ex-2 (host-ex-2, layers [3, 5))"),
            std::string::npos)
      << st;
  EXPECT_NE(st.message().find("connection reset"), std::string::npos) << st;
  EXPECT_FALSE(b->alive());
  EXPECT_TRUE(pool->ReplanPending());
  pool->Close(7);
  ASSERT_TRUE(pool->Replan().ok());
  EXPECT_EQ(Ranges(*pool), (std::vector<LayerRange>{{0, 5}}));
  EXPECT_EQ(pool->Placements()[0].id, "ex-1");
  EXPECT_EQ(Drive(*pool), reference);
}

TEST_F(ExecutorPoolTest, LoadFailureDropsTheExecutorAndReplans) {
  const std::vector<float> reference = Reference();
  std::unique_ptr<ExecutorPool> pool = NewPool();
  auto a = std::make_shared<FakeAttached>("ex-1", 1);
  auto b = std::make_shared<FakeAttached>("ex-2", 1);
  a->fail_next_load = true;
  pool->Attach(a);
  pool->Attach(b);
  ASSERT_TRUE(pool->Replan().ok());
  EXPECT_FALSE(a->alive());
  EXPECT_TRUE(b->alive());
  ASSERT_EQ(pool->Placements().size(), 1u);
  EXPECT_EQ(pool->Placements()[0].id, "ex-2");
  EXPECT_EQ(Ranges(*pool), (std::vector<LayerRange>{{0, 5}}));
  EXPECT_EQ(Drive(*pool), reference);
  // The last one failing too: in-process, with the error for the log.
  b->fail_next_load = true;
  pool->Attach(std::make_shared<FakeAttached>("ex-3", 1));
  pool->Detach("ex-3");  // left before the re-plan
  const absl::Status st = pool->Replan();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find("ex-2"), std::string::npos) << st;
  EXPECT_TRUE(pool->Placements().empty());
  EXPECT_EQ(Drive(*pool), reference);
  EXPECT_EQ(b->steps, 3);  // only the earlier plan's steps
}

TEST_F(ExecutorPoolTest, TooLittleMemoryRunsInProcess) {
  const std::vector<float> reference = Reference();
  std::unique_ptr<ExecutorPool> pool = NewPool();
  auto a = std::make_shared<FakeAttached>("ex-1", 4, /*memory=*/1000);
  pool->Attach(a);
  const absl::Status st = pool->Replan();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(Ranges(*pool), (std::vector<LayerRange>{{0, 0}}));  // stands by
  EXPECT_TRUE(a->alive());
  EXPECT_EQ(Drive(*pool), reference);
  EXPECT_EQ(a->steps, 0);
}

TEST_F(ExecutorPoolTest, ShutdownFailsEveryExecutorAndRunsInProcess) {
  const std::vector<float> reference = Reference();
  std::unique_ptr<ExecutorPool> pool = NewPool();
  auto a = std::make_shared<FakeAttached>("ex-1", 1);
  auto b = std::make_shared<FakeAttached>("ex-2", 1);
  pool->Attach(a);
  pool->Attach(b);
  ASSERT_TRUE(pool->Replan().ok());
  pool->Shutdown();
  EXPECT_FALSE(a->alive());
  EXPECT_FALSE(b->alive());
  EXPECT_TRUE(pool->ReplanPending());
  auto late = std::make_shared<FakeAttached>("ex-3", 1);
  pool->Attach(late);
  EXPECT_FALSE(late->alive());
  ASSERT_TRUE(pool->Replan().ok());
  EXPECT_TRUE(pool->Placements().empty());
  EXPECT_EQ(Drive(*pool), reference);
}

}  // namespace
}  // namespace seedlm::serve
