// ExecutorService over loopback gRPC with a minimal in-test executor that
// speaks the protocol (WeightAssembler, LlamaModel::FromTensors,
// CpuExecutor): tokens and Hellos are checked; an attached executor runs
// the model's layers through RemoteExecutor bit-identically to the
// in-process pool; corrupt weights end the attachment with DATA_LOSS and
// the pool falls back; Shutdown ends attachments.
#include "server/executor/executor_service.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "core/runtime/cpu_executor.h"
#include "core/runtime/weight_stream.h"
#include "core/util/shared_data.h"
#include "core/util/shared_data_gtest.h"
#include "gtest/gtest.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/status.h"

namespace seedlm::serve {
namespace {

const std::string kStories = SharedDataPath("data/stories260K/stories260K.bin");
constexpr char kExecutorToken[] = "executor-token-1";
constexpr char kClientToken[] = "client-token-1";

v1::Hello GoodHello(int threads = 1) {
  v1::Hello h;
  h.set_protocol_version(v1::EXECUTOR_PROTOCOL_V1);
  h.set_kind("cpu");
  h.set_threads(threads);
  h.set_name("test-host");
  return h;
}

// The executor's side of one attachment, on its own thread.
class TestExecutor {
 public:
  TestExecutor(const std::string& address, const std::string& token,
               const v1::Hello& hello) {
    stub_ = v1::ExecutorService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    rpc::AttachToken(context_, token);
    stream_ = stub_->Attach(&context_);
    v1::ExecutorMessage m;
    *m.mutable_hello() = hello;
    stream_->Write(m);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TestExecutor() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  // The call's status once the server ended it.
  absl::Status Finish() {
    thread_.join();
    return rpc::FromGrpcStatus(stream_->Finish());
  }
  int steps() const { return steps_; }

 private:
  void Loop() {
    v1::ServerMessage m;
    while (stream_->Read(&m)) {
      const absl::Status st = Handle(m);
      if (!st.ok()) {
        v1::ExecutorMessage e;
        e.mutable_error()->set_code(static_cast<int>(st.code()));
        e.mutable_error()->set_message(std::string(st.message()));
        stream_->Write(e);
      }
    }
  }

  absl::Status Handle(const v1::ServerMessage& m) {
    v1::ExecutorMessage out;
    switch (m.kind_case()) {
      case v1::ServerMessage::kAssign:
        assign_ = m.assign();
        cpu_.reset();
        chunks_ = 0;
        assembler_ = std::make_unique<WeightAssembler>(assign_.tensor_count(),
                                                       assign_.total_bytes());
        if (assign_.tensor_count() == 0) return SendLoaded(nullptr);
        return absl::OkStatus();
      case v1::ServerMessage::kTensor: {
        const v1::TensorHeader& h = m.tensor();
        TensorEntry e;
        e.name = h.name();
        e.shape.assign(h.shape().begin(), h.shape().end());
        e.storage = rpc::FromProto(h.storage()).value_or(Storage::kF32);
        if (e.storage == Storage::kSeedLM) {
          absl::StatusOr<CodecConfig> codec = rpc::FromProto(h.codec());
          if (!codec.ok()) return codec.status();
          e.codec = *codec;
          e.exponent_bias = h.exponent_bias();
        }
        e.size = static_cast<uint64_t>(h.size());
        e.crc = h.crc32();
        return assembler_->BeginTensor(e);
      }
      case v1::ServerMessage::kChunk: {
        const std::string& d = m.chunk().data();
        absl::Status st = assembler_->AddChunk(
            static_cast<uint64_t>(m.chunk().offset()),
            absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(d.data()),
                                d.size()));
        if (!st.ok()) return st;
        out.mutable_weight_ack()->set_plan_id(assign_.plan_id());
        out.mutable_weight_ack()->set_chunks(++chunks_);
        stream_->Write(out);
        if (static_cast<int>(assembler_->tensors_complete()) ==
            assign_.tensor_count()) {
          return Build();
        }
        return absl::OkStatus();
      }
      case v1::ServerMessage::kStep:
        return RunStep(m.step());
      case v1::ServerMessage::kPing:
        out.mutable_pong()->set_nonce(m.ping().nonce());
        stream_->Write(out);
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError("unexpected message");
    }
  }

  absl::Status Build() {
    absl::StatusOr<std::vector<OwnedTensor>> tensors = assembler_->Finish();
    if (!tensors.ok()) return tensors.status();
    ModelMetadata md;
    md.source_format = assign_.source_format();
    md.arch_config_json = assign_.arch_config_json();
    LoadModelOptions o;
    o.layer_begin = assign_.layer_begin();
    o.layer_end = assign_.layer_end();
    o.load_embedding = false;
    o.load_head = false;
    auto model = LlamaModel::FromTensors(md, std::move(*tensors), o);
    if (!model.ok()) return model.status();
    CpuExecutorOptions co;
    co.context = assign_.context();
    co.max_sequences = assign_.max_sequences();
    co.max_step_tokens = assign_.max_step_tokens();
    auto cpu = CpuExecutor::Create(std::move(*model), co);
    if (!cpu.ok()) return cpu.status();
    cpu_ = std::move(*cpu);
    return SendLoaded(cpu_.get());
  }

  absl::Status SendLoaded(const CpuExecutor* cpu) {
    v1::ExecutorMessage out;
    out.mutable_loaded()->set_plan_id(assign_.plan_id());
    if (cpu != nullptr) {
      out.mutable_loaded()->set_weight_bytes(cpu->weight_bytes());
      out.mutable_loaded()->set_memory_bytes(cpu->memory_bytes());
    }
    stream_->Write(out);
    return absl::OkStatus();
  }

  absl::Status RunStep(const v1::Step& step) {
    if (cpu_ == nullptr) return absl::FailedPreconditionError("no layers");
    for (int64_t s : step.close()) cpu_->Close(s);
    for (int64_t s : step.open()) {
      absl::Status st = cpu_->Open(s);
      if (!st.ok()) return st;
    }
    std::vector<ExecutorRows> rows;
    for (const v1::StepRows& r : step.rows()) {
      rows.push_back({r.seq(), r.pos(), r.n()});
    }
    std::vector<float> hidden(step.hidden().size() / sizeof(float));
    std::memcpy(hidden.data(), step.hidden().data(), step.hidden().size());
    absl::Status st = cpu_->Step(rows, absl::MakeSpan(hidden));
    if (!st.ok()) return st;
    ++steps_;
    v1::ExecutorMessage out;
    out.mutable_step_result()->set_step_id(step.step_id());
    out.mutable_step_result()->set_hidden(
        reinterpret_cast<const char*>(hidden.data()),
        hidden.size() * sizeof(float));
    stream_->Write(out);
    return absl::OkStatus();
  }

  std::unique_ptr<v1::ExecutorService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::ExecutorMessage, v1::ServerMessage>>
      stream_;
  std::thread thread_;
  v1::Assign assign_;
  std::unique_ptr<WeightAssembler> assembler_;
  std::unique_ptr<CpuExecutor> cpu_;
  int64_t chunks_ = 0;
  std::atomic<int> steps_{0};
};

class ExecutorServiceTest : public ::testing::Test {
 protected:
  void Start(const ExecutorServiceOptions& options = {}) {
    SEEDLM_NEED_SHARED_FILE(kStories);
    auto model = LlamaModel::Load(kStories);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    auto weights = WeightSource::Open(kStories);
    ASSERT_TRUE(weights.ok()) << weights.status();
    weights_ = std::move(*weights);
    ExecutorPoolOptions po;
    po.build.context = 16;
    po.build.max_sequences = 2;
    auto pool = ExecutorPool::Create(model_.get(), weights_.get(), po);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
    const std::string path =
        ::testing::TempDir() + "/executor_tokens_" + std::to_string(::getpid());
    std::ofstream(path) << kExecutorToken << " executor\n"
                        << kClientToken << " client\n";
    auto tokens = rpc::TokenTable::Load(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = std::move(*tokens);
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    service_ = RegisterExecutorService(builder, pool_.get(), &tokens_, options);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (pool_ != nullptr) pool_->Shutdown();
    if (server_ != nullptr) server_->Shutdown();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Waits for an Attach to reach the pool.
  void AwaitPending() {
    const absl::Time end = absl::Now() + absl::Seconds(10);
    while (!pool_->ReplanPending() && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    ASSERT_TRUE(pool_->ReplanPending());
  }

  // One sequence, prefill then two decode steps: the hidden states.
  std::vector<float> Drive() {
    const int dim = model_->config().dim;
    std::vector<float> out;
    EXPECT_TRUE(pool_->Open(3).ok());
    int pos = 0;
    for (int n : {4, 1, 1}) {
      std::vector<float> hidden(static_cast<size_t>(n) * dim);
      for (size_t i = 0; i < hidden.size(); ++i) {
        hidden[i] = 0.5f * std::cos(0.29f * static_cast<float>(i) + pos);
      }
      const std::vector<ExecutorRows> rows = {{3, pos, n}};
      const absl::Status st = pool_->Run(rows, absl::MakeSpan(hidden));
      EXPECT_TRUE(st.ok()) << st;
      out.insert(out.end(), hidden.begin(), hidden.end());
      pos += n;
    }
    pool_->Close(3);
    return out;
  }

  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<WeightSource> weights_;
  std::unique_ptr<ExecutorPool> pool_;
  rpc::TokenTable tokens_;
  int port_ = 0;
  std::unique_ptr<ExecutorServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(ExecutorServiceTest, RefusesTokensOfOtherRolesAndBadHellos) {
  Start();
  if (server_ == nullptr) return;
  EXPECT_EQ(TestExecutor(address(), kClientToken, GoodHello()).Finish().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(TestExecutor(address(), "", GoodHello()).Finish().code(),
            absl::StatusCode::kUnauthenticated);
  v1::Hello bad = GoodHello(0);
  absl::Status st = TestExecutor(address(), kExecutorToken, bad).Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("threads"), std::string::npos) << st;
  bad = GoodHello();
  bad.set_kind("gpu");
  EXPECT_EQ(TestExecutor(address(), kExecutorToken, bad).Finish().code(),
            absl::StatusCode::kInvalidArgument);
  bad = GoodHello();
  bad.set_name(std::string(129, 'n'));
  EXPECT_EQ(TestExecutor(address(), kExecutorToken, bad).Finish().code(),
            absl::StatusCode::kInvalidArgument);
  bad = GoodHello();
  bad.set_protocol_version(v1::EXECUTOR_PROTOCOL_UNSPECIFIED);
  EXPECT_EQ(TestExecutor(address(), kExecutorToken, bad).Finish().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(pool_->ReplanPending());
}

TEST_F(ExecutorServiceTest, AttachedExecutorsRunBitIdentically) {
  Start();
  if (server_ == nullptr) return;
  const std::vector<float> reference = Drive();
  TestExecutor a(address(), kExecutorToken, GoodHello(1));
  AwaitPending();
  TestExecutor b(address(), kExecutorToken, GoodHello(1));
  // Re-plan until both have attached (each Attach makes one pending).
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (pool_->Placements().size() < 2 && absl::Now() < end) {
    if (pool_->ReplanPending()) {
      ASSERT_TRUE(pool_->Replan().ok());
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  const std::vector<ExecutorPlacementInfo> p = pool_->Placements();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].id, "ex-1");
  EXPECT_EQ(p[0].name, "test-host");
  EXPECT_EQ(p[0].layers, (LayerRange{0, 3}));
  EXPECT_EQ(p[1].layers, (LayerRange{3, 5}));
  EXPECT_GT(p[0].weight_bytes, 0u);
  EXPECT_EQ(Drive(), reference);
  EXPECT_EQ(a.steps(), 3);
  EXPECT_EQ(b.steps(), 3);
  pool_->Shutdown();
  EXPECT_EQ(a.Finish().code(), absl::StatusCode::kCancelled);
}

TEST_F(ExecutorServiceTest, CorruptWeightsEndTheAttachmentWithDataLoss) {
  ExecutorServiceOptions o;
  o.corrupt_weights_for_testing = true;
  Start(o);
  if (server_ == nullptr) return;
  const std::vector<float> reference = Drive();
  TestExecutor a(address(), kExecutorToken, GoodHello());
  AwaitPending();
  const absl::Status replanned = pool_->Replan();
  EXPECT_EQ(replanned.code(), absl::StatusCode::kDataLoss) << replanned;
  EXPECT_NE(replanned.message().find("executor ex-1"), std::string::npos)
      << replanned;
  EXPECT_TRUE(pool_->Placements().empty());
  EXPECT_EQ(Drive(), reference);  // in-process
  const absl::Status st = a.Finish();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

TEST_F(ExecutorServiceTest, SilentExecutorMissesItsHeartbeat) {
  ExecutorServiceOptions o;
  o.heartbeat_timeout = absl::Milliseconds(300);
  o.ping_interval = absl::Milliseconds(50);
  Start(o);
  if (server_ == nullptr) return;
  // A raw stream that sends its Hello and never reads nor answers.
  auto stub = v1::ExecutorService::NewStub(
      grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  rpc::AttachToken(context, kExecutorToken);
  auto stream = stub->Attach(&context);
  v1::ExecutorMessage m;
  *m.mutable_hello() = GoodHello();
  ASSERT_TRUE(stream->Write(m));
  AwaitPending();
  // Past the heartbeat timeout the server has dropped it: the re-plan
  // finds nobody alive.
  absl::SleepFor(absl::Milliseconds(1000));
  EXPECT_TRUE(pool_->Replan().ok());
  EXPECT_TRUE(pool_->Placements().empty());
  v1::ServerMessage ping;
  int pings = 0;
  while (stream->Read(&ping)) pings += ping.has_ping() ? 1 : 0;
  EXPECT_GT(pings, 0);
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace seedlm::serve
