// ExecutorAgent against an in-process fake ExecutorService (the server's
// side of proto/seedlm/v1/executor.proto, scripted by each test) on
// 127.0.0.1: the real agent dials it, loads layers of stories260K streamed
// in chunks, and its step results are compared bit for bit with an
// in-process CpuExecutor over the same layers (LlamaModel::Load).
#include "executor/agent.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/codec/codec.h"
#include "core/compress/model_compressor.h"
#include "core/model/model_source.h"
#include "core/model/model_test_util.h"
#include "core/runtime/cpu_executor.h"
#include "core/runtime/weight_stream.h"
#include "core/util/crc32.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "core/util/thread_pool.h"
#include "executor/fake_executor_service.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/common/metrics.h"

namespace seedlm::executor {
namespace {

namespace v1 = ::seedlm::v1;

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");
using testing_util::FakeExecutorService;
using testing_util::kToken;
using testing_util::MakePlan;
using testing_util::Plan;
using testing_util::RandomHidden;

// Whether `registry` renders the line `sample` (e.g. "name 3") within 10 s:
// the agent updates its metrics just after it sent the answers.
bool Renders(obs::MetricsRegistry& registry, const std::string& sample) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (true) {
    const std::string text = registry.Render();
    if (absl::StrContains(absl::StrCat("\n", text), "\n" + sample + "\n")) {
      return true;
    }
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "no line '" << sample << "' in\n" << text;
      return false;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (agent_ != nullptr) agent_->Stop();
    if (runner_.joinable()) runner_.join();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
  }

  ExecutorAgentOptions Options() {
    ExecutorAgentOptions o;
    o.server = "127.0.0.1:" + std::to_string(port_);
    o.threads = 2;
    o.token = kToken;
    o.name = "test-executor";
    o.backoff_initial = absl::Milliseconds(20);
    o.backoff_max = absl::Milliseconds(100);
    o.close_timeout = absl::Seconds(10);
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    return o;
  }
  void Start(ExecutorAgentOptions o) {
    auto agent = ExecutorAgent::Create(std::move(o));
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    std::promise<absl::Status> done;
    result_future_ = done.get_future();
    runner_ = std::thread([this, done = std::move(done)]() mutable {
      done.set_value(agent_->Run());
    });
  }
  // Stops the agent (if `stop`) and waits for Run() to return: its status
  // (also in result_). An agent that does not return by itself within
  // kWait is stopped and the test fails.
  absl::Status Finish(bool stop) {
    if (stop) agent_->Stop();
    if (result_future_.wait_for(testing_util::kWait) !=
        std::future_status::ready) {
      ADD_FAILURE() << "Run() did not return";
      agent_->Stop();
    }
    result_ = result_future_.get();
    runner_.join();
    return result_;
  }
  bool Logged(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string& l : log_) {
      if (l.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
  // Reads the Hello that opens an attachment.
  void ExpectHello() {
    std::optional<v1::ExecutorMessage> m = service_.Next();
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->has_hello()) << m->DebugString();
    EXPECT_EQ(m->hello().protocol_version(), v1::EXECUTOR_PROTOCOL_V1);
    EXPECT_EQ(m->hello().kind(), "cpu");
    EXPECT_EQ(m->hello().threads(), 2);
    EXPECT_EQ(m->hello().name(), "test-executor");
  }
  void PingPong(int64_t nonce) {
    v1::ServerMessage ping;
    ping.mutable_ping()->set_nonce(nonce);
    ASSERT_TRUE(service_.Send(ping));
    std::optional<v1::ExecutorMessage> m = service_.Next();
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(m->has_pong()) << m->DebugString();
    EXPECT_EQ(m->pong().nonce(), nonce);
  }

  FakeExecutorService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ExecutorAgent> agent_;
  std::thread runner_;
  std::future<absl::Status> result_future_;
  absl::Status result_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

// Compares the agent's StepResults for `steps` (hidden states sent in
// Steps) with `reference` (an in-process CpuExecutor over the same layers)
// bit for bit, and checks that the layers changed the states.
void ExpectSameSteps(FakeExecutorService& service, CpuExecutor& reference,
                     const std::vector<testing_util::StepSpec>& steps,
                     int dim) {
  int64_t step_id = 100;
  for (const testing_util::StepSpec& spec : steps) {
    ++step_id;
    int tokens = 0;
    for (const ExecutorRows& r : spec.rows) tokens += r.n;
    const std::vector<float> in = RandomHidden(
        static_cast<size_t>(tokens) * dim, static_cast<uint32_t>(step_id));
    v1::ServerMessage m;
    v1::Step* st = m.mutable_step();
    st->set_step_id(step_id);
    for (int64_t s : spec.open) st->add_open(s);
    for (int64_t s : spec.close) st->add_close(s);
    for (const ExecutorRows& r : spec.rows) {
      v1::StepRows* rows = st->add_rows();
      rows->set_seq(r.seq);
      rows->set_pos(r.pos);
      rows->set_n(r.n);
    }
    st->set_hidden(reinterpret_cast<const char*>(in.data()),
                   in.size() * sizeof(float));
    ASSERT_TRUE(service.Send(m));

    for (int64_t s : spec.close) reference.Close(s);
    for (int64_t s : spec.open) ASSERT_TRUE(reference.Open(s).ok());
    std::vector<float> want = in;
    ASSERT_TRUE(reference.Step(spec.rows, absl::MakeSpan(want)).ok());
    ASSERT_NE(want, in);  // the layers did something

    std::optional<v1::ExecutorMessage> got = service.Next();
    ASSERT_TRUE(got.has_value());
    ASSERT_TRUE(got->has_step_result()) << got->DebugString();
    EXPECT_EQ(got->step_result().step_id(), step_id);
    ASSERT_EQ(got->step_result().hidden().size(), want.size() * sizeof(float));
    EXPECT_EQ(std::memcmp(got->step_result().hidden().data(), want.data(),
                          want.size() * sizeof(float)),
              0)
        << "step " << step_id;
  }
}

// Three steps: prefill of two sequences, a decode step, then one closed and
// a third opened.
std::vector<testing_util::StepSpec> ScriptedSteps() {
  return {
      {{}, {1, 2}, {{1, 0, 3}, {2, 0, 2}}},
      {{}, {}, {{1, 3, 1}, {2, 2, 1}}},
      {{1}, {3}, {{3, 0, 2}, {2, 3, 1}}},
  };
}

// stories260K compressed with the default preset once for the suite.
class AgentPackedTest : public AgentTest {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kStories)) return;
    dir_ = new ::seedlm::testing_util::ScratchDir();
    path_ = new std::string(dir_->path() + "/m.seedlm");
    auto src = OpenModel(kStories);
    ASSERT_TRUE(src.ok()) << src.status();
    ThreadPool pool(2);
    auto r = CompressModel(
        **src, *path_, CompressOptions::ForCodec(*PresetByName(kDefaultPreset)),
        &pool, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete path_;
    delete dir_;
    path_ = nullptr;
    dir_ = nullptr;
  }
  static ::seedlm::testing_util::ScratchDir* dir_;
  static std::string* path_;
};
::seedlm::testing_util::ScratchDir* AgentPackedTest::dir_ = nullptr;
std::string* AgentPackedTest::path_ = nullptr;

// Sends every message of `plan`.
void SendAll(FakeExecutorService& service, const Plan& plan) {
  for (const v1::ServerMessage& m : plan.messages) {
    ASSERT_TRUE(service.Send(m));
  }
}

// Sends the messages of `plan` until the agent ends the stream (it refuses
// the plan part way).
void SendUntilClosed(FakeExecutorService& service, const Plan& plan) {
  for (const v1::ServerMessage& m : plan.messages) {
    if (!service.Send(m)) return;
  }
}

// Reads plan.chunks WeightAcks (1, 2, ... of plan_id), then Loaded.
v1::Loaded ExpectAcksThenLoaded(FakeExecutorService& service, const Plan& plan,
                                int64_t plan_id) {
  for (int64_t i = 1; i <= plan.chunks; ++i) {
    std::optional<v1::ExecutorMessage> m = service.Next();
    EXPECT_TRUE(m.has_value());
    if (!m.has_value()) return {};
    EXPECT_TRUE(m->has_weight_ack()) << m->DebugString();
    EXPECT_EQ(m->weight_ack().plan_id(), plan_id);
    EXPECT_EQ(m->weight_ack().chunks(), i);
  }
  std::optional<v1::ExecutorMessage> m = service.Next();
  EXPECT_TRUE(m.has_value());
  if (!m.has_value()) return {};
  EXPECT_TRUE(m->has_loaded()) << m->DebugString();
  EXPECT_EQ(m->loaded().plan_id(), plan_id);
  return m->loaded();
}

// The reference: layers [begin, end) of `path` loaded in-process.
std::unique_ptr<CpuExecutor> Reference(const std::string& path, int begin,
                                       int end) {
  LoadModelOptions lo;
  lo.layer_begin = begin;
  lo.layer_end = end;
  lo.load_embedding = false;
  lo.load_head = false;
  auto model = LlamaModel::Load(path, lo);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  CpuExecutorOptions eo;
  eo.context = testing_util::kContext;
  eo.max_sequences = testing_util::kMaxSequences;
  eo.max_step_tokens = testing_util::kMaxStepTokens;
  eo.threads = 1;
  auto ex = CpuExecutor::Create(std::move(*model), eo);
  EXPECT_TRUE(ex.ok()) << ex.status();
  return ex.ok() ? std::move(*ex) : nullptr;
}

TEST_F(AgentPackedTest, LoadsStreamedLayersAndStepsBitForBit) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  ASSERT_NE(path_, nullptr);
  auto src = WeightSource::Open(*path_);
  ASSERT_TRUE(src.ok()) << src.status();
  const int n_layers = (*src)->config().n_layers;
  ASSERT_GE(n_layers, 3);
  const int begin = 1, end = n_layers - 1;

  obs::MetricsRegistry registry("seedlm-executor");
  ExecutorAgentOptions options = Options();
  options.metrics = &registry;
  Start(std::move(options));
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  // Every series exists, zero-valued, before any work.
  EXPECT_TRUE(Renders(registry, "seedlm_executor_steps_total 0"));
  EXPECT_TRUE(Renders(registry, "seedlm_executor_step_seconds_count 0"));
  EXPECT_TRUE(Renders(registry, "seedlm_executor_weight_bytes_held 0"));
  EXPECT_TRUE(Renders(registry, "seedlm_executor_layers_held 0"));
  PingPong(7);  // idle: answered at once
  EXPECT_TRUE(Logged("attached to 127.0.0.1:"));

  // Small chunks: every tensor arrives in several.
  const Plan plan = MakePlan(**src, 1, begin, end, 1000);
  ASSERT_GT(plan.chunks, static_cast<int64_t>(plan.messages.size()) / 2);
  int packed = 0;  // the matrices travel packed
  for (const v1::ServerMessage& m : plan.messages) {
    packed +=
        m.has_tensor() && m.tensor().storage() == v1::TENSOR_STORAGE_SEEDLM;
  }
  EXPECT_EQ(packed, 7 * (end - begin));
  SendAll(service_, plan);
  const v1::Loaded loaded = ExpectAcksThenLoaded(service_, plan, 1);
  EXPECT_TRUE(Logged("loading layers [1, "));
  EXPECT_TRUE(Logged("loaded layers [1, "));

  std::unique_ptr<CpuExecutor> reference = Reference(*path_, begin, end);
  ASSERT_NE(reference, nullptr);
  EXPECT_GT(loaded.weight_bytes(), 0);
  EXPECT_EQ(static_cast<uint64_t>(loaded.weight_bytes()),
            reference->weight_bytes());
  EXPECT_EQ(static_cast<uint64_t>(loaded.memory_bytes()),
            reference->memory_bytes());

  EXPECT_TRUE(Renders(
      registry, absl::StrCat("seedlm_executor_layers_held ", end - begin)));
  EXPECT_TRUE(
      Renders(registry, absl::StrCat("seedlm_executor_weight_bytes_held ",
                                     loaded.weight_bytes())));
  ExpectSameSteps(service_, *reference, ScriptedSteps(), (*src)->config().dim);
  EXPECT_TRUE(Renders(registry, "seedlm_executor_steps_total 3"));
  EXPECT_TRUE(Renders(registry, "seedlm_executor_step_seconds_count 3"));
  PingPong(8);
  EXPECT_TRUE(Finish(/*stop=*/true).ok()) << result_;
  // Detached: nothing held.
  EXPECT_TRUE(Renders(registry, "seedlm_executor_layers_held 0"));
  EXPECT_TRUE(Renders(registry, "seedlm_executor_weight_bytes_held 0"));
  EXPECT_EQ(service_.attaches(), 1);
  EXPECT_EQ(agent_->stats().steps, 3);
  EXPECT_EQ(agent_->stats().pongs, 2);
}

TEST_F(AgentPackedTest, ANewAssignReplacesTheLayers) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  ASSERT_NE(path_, nullptr);
  auto src = WeightSource::Open(*path_);
  ASSERT_TRUE(src.ok()) << src.status();
  Start(Options());
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  const Plan first = MakePlan(**src, 1, 0, 1, 1 << 20);
  SendAll(service_, first);
  ExpectAcksThenLoaded(service_, first, 1);
  const int n = (*src)->config().n_layers;
  const Plan second = MakePlan(**src, 2, 1, n, 4096);
  SendAll(service_, second);
  ExpectAcksThenLoaded(service_, second, 2);
  std::unique_ptr<CpuExecutor> reference = Reference(*path_, 1, n);
  ASSERT_NE(reference, nullptr);
  // Sequence ids of the first plan are forgotten: opening 1 again works.
  ExpectSameSteps(service_, *reference, ScriptedSteps(), (*src)->config().dim);
}

TEST_F(AgentTest, TamperedChunkFailsTheAttachmentWithDataLoss) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  service_.set_end_status(
      grpc::Status(grpc::StatusCode::DATA_LOSS, "executor refused weights"));
  Start(Options());
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  Plan plan = MakePlan(**src, 3, 0, 2, 512);
  // Flip a bit in the third chunk; its tensor's CRC stays the original's.
  int chunk = 0;
  int64_t chunks_before = 0;
  for (v1::ServerMessage& m : plan.messages) {
    if (m.has_chunk() && ++chunk == 3) {
      (*m.mutable_chunk()->mutable_data())[5] ^= 0x10;
      break;
    }
  }
  SendUntilClosed(service_, plan);
  // Acks up to the chunk that completes the tampered tensor, then the error.
  std::optional<v1::ExecutorMessage> m;
  for (;;) {
    m = service_.Next();
    ASSERT_TRUE(m.has_value());
    if (!m->has_weight_ack()) break;
    chunks_before = m->weight_ack().chunks();
  }
  ASSERT_TRUE(m->has_error()) << m->DebugString();
  EXPECT_EQ(m->error().code(), static_cast<int>(absl::StatusCode::kDataLoss));
  EXPECT_EQ(m->error().plan_id(), 3);
  EXPECT_LT(chunks_before, plan.chunks);
  const absl::Status s = Finish(/*stop=*/false);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(service_.WaitEnded(1));
  EXPECT_EQ(service_.attaches(), 1);  // not retried
  EXPECT_TRUE(Logged("detached: "));
}

TEST_F(AgentTest, EmptyRangeLoadsAtOnceAndStepsFailWithoutLayers) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  Start(Options());
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  const Plan plan = MakePlan(**src, 5, 2, 2, 1 << 20);
  ASSERT_EQ(plan.messages.size(), 1u);
  SendAll(service_, plan);
  std::optional<v1::ExecutorMessage> m = service_.Next();
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->has_loaded()) << m->DebugString();
  EXPECT_EQ(m->loaded().plan_id(), 5);
  EXPECT_EQ(m->loaded().weight_bytes(), 0);

  v1::ServerMessage step;
  step.mutable_step()->set_step_id(9);
  ASSERT_TRUE(service_.Send(step));
  m = service_.Next();
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->has_error()) << m->DebugString();
  EXPECT_EQ(m->error().code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(m->error().step_id(), 9);
  PingPong(11);  // a failed step leaves the attachment up
  EXPECT_TRUE(Finish(/*stop=*/true).ok()) << result_;
}

TEST_F(AgentTest, RefusedTokenEndsRunWithoutRetry) {
  ExecutorAgentOptions o = Options();
  o.token = "someone-else";
  Start(o);
  const absl::Status s = Finish(/*stop=*/false);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(service_.attaches(), 1);
}

TEST_F(AgentTest, ReconnectsWhenTheServerEndsTheStream) {
  Start(Options());
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  PingPong(1);
  service_.Cancel();  // as a restarting server would
  ASSERT_TRUE(service_.WaitAttaches(2));
  ExpectHello();
  PingPong(2);
  EXPECT_TRUE(Finish(/*stop=*/true).ok()) << result_;
  EXPECT_EQ(agent_->stats().streams, 2);
}

TEST_F(AgentTest, PlanOverTheMemoryLimitIsRefused) {
  SEEDLM_NEED_SHARED_FILE(kStories);
  auto src = WeightSource::Open(kStories);
  ASSERT_TRUE(src.ok()) << src.status();
  ExecutorAgentOptions o = Options();
  o.max_memory_bytes = 4096;
  Start(o);
  ASSERT_TRUE(service_.WaitAttaches(1));
  std::optional<v1::ExecutorMessage> m = service_.Next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->hello().memory_bytes(), 4096);
  SendUntilClosed(service_, MakePlan(**src, 1, 0, 1, 1 << 20));
  m = service_.Next();
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->has_error()) << m->DebugString();
  EXPECT_EQ(m->error().code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(Finish(/*stop=*/false).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(AgentTest, OutOfOrderMessageIsInvalidArgument) {
  Start(Options());
  ASSERT_TRUE(service_.WaitAttaches(1));
  ExpectHello();
  v1::ServerMessage chunk;
  chunk.mutable_chunk()->set_plan_id(1);
  chunk.mutable_chunk()->set_data("abc");
  ASSERT_TRUE(service_.Send(chunk));
  std::optional<v1::ExecutorMessage> m = service_.Next();
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->has_error()) << m->DebugString();
  EXPECT_EQ(m->error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Finish(/*stop=*/false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AgentCreate, ChecksOptions) {
  ExecutorAgentOptions o;
  EXPECT_EQ(ExecutorAgent::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);  // no server
  o.server = "127.0.0.1:1";
  EXPECT_TRUE(ExecutorAgent::Create(o).ok());
  o.kind = "gpu";
  EXPECT_EQ(ExecutorAgent::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  // fpga-sim only where the build has the simulator, with a sane port.
  o.kind = "fpga-sim";
  EXPECT_EQ(ExecutorAgent::Create(o).ok(), kHaveFpgaSim);
  o.fpga_bytes_per_cycle = 0;
  EXPECT_EQ(ExecutorAgent::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.fpga_bytes_per_cycle = 64;
  o.kind = "cpu";
  o.threads = 0;
  EXPECT_EQ(ExecutorAgent::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.threads = 1;
  o.tls_ca = "/nonexistent/ca.pem";
  EXPECT_FALSE(ExecutorAgent::Create(o).ok());
}

TEST(AgentRefusal, Codes) {
  EXPECT_TRUE(IsRefusal(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IsRefusal(absl::StatusCode::kDataLoss));
  EXPECT_FALSE(IsRefusal(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(IsRefusal(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace seedlm::executor
