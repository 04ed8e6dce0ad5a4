// Test-only: a scripted ExecutorService (the server's side of
// proto/seedlm/v1/executor.proto) for the agent's tests, served by a real
// gRPC server on 127.0.0.1, and the messages a server sends to load a range
// of layers (MakePlan).
#ifndef SEEDLM_EXECUTOR_FAKE_EXECUTOR_SERVICE_H_
#define SEEDLM_EXECUTOR_FAKE_EXECUTOR_SERVICE_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/runtime/executor.h"
#include "core/runtime/weight_stream.h"
#include "core/util/crc32.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/rpc/convert.h"
#include "proto/rpc/credentials.h"
#include "seedlm/v1/executor.grpc.pb.h"

namespace seedlm::executor::testing_util {

namespace v1 = ::seedlm::v1;

inline constexpr auto kWait = std::chrono::seconds(60);  // no test waits longer
// The token the fake accepts (anything else: PERMISSION_DENIED).
inline constexpr char kToken[] = "executor-token-1";

// The server's side, scripted by the test: records what the agent sends and
// lets the test write to the stream in hand. Thread-safe.
class FakeExecutorService final : public v1::ExecutorService::Service {
 public:
  grpc::Status Attach(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>* stream)
      override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++attaches_;
      cv_.notify_all();
      if (rpc::BearerToken(*ctx) != kToken) {
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            "not an executor token");
      }
    }
    {
      std::lock_guard<std::mutex> wl(write_mu_);
      stream_ = stream;
      ctx_ = ctx;
    }
    v1::ExecutorMessage m;
    while (stream->Read(&m)) {
      std::lock_guard<std::mutex> lock(mu_);
      inbox_.push_back(m);
      cv_.notify_all();
    }
    {
      std::lock_guard<std::mutex> wl(write_mu_);
      stream_ = nullptr;
      ctx_ = nullptr;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++ended_;
    cv_.notify_all();
    return end_status_;
  }

  // Writes to the stream in hand; false when there is none.
  bool Send(const v1::ServerMessage& m) {
    std::lock_guard<std::mutex> wl(write_mu_);
    return stream_ != nullptr && stream_->Write(m);
  }
  // Ends the stream in hand from the server's side (as a restart would).
  void Cancel() {
    std::lock_guard<std::mutex> wl(write_mu_);
    if (ctx_ != nullptr) ctx_->TryCancel();
  }
  // The next message the agent sent, in order (nullopt after kWait).
  std::optional<v1::ExecutorMessage> Next() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, kWait, [&] { return !inbox_.empty(); })) {
      return std::nullopt;
    }
    v1::ExecutorMessage m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
  }
  bool WaitAttaches(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return attaches_ >= n; });
  }
  bool WaitEnded(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return ended_ >= n; });
  }
  int attaches() {
    std::lock_guard<std::mutex> lock(mu_);
    return attaches_;
  }
  // What a stream that the agent closed ends with.
  void set_end_status(grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    end_status_ = std::move(s);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::ExecutorMessage> inbox_;
  int attaches_ = 0;
  int ended_ = 0;
  grpc::Status end_status_ = grpc::Status::OK;
  std::mutex write_mu_;  // guards stream_ and ctx_
  grpc::ServerReaderWriter<v1::ServerMessage, v1::ExecutorMessage>* stream_ =
      nullptr;
  grpc::ServerContext* ctx_ = nullptr;
};

inline constexpr int kContext = 16;
inline constexpr int kMaxSequences = 3;
inline constexpr int kMaxStepTokens = 8;

// What a server sends for layers [begin, end) of `src`: the Assign, then
// each tensor's header and its payload in chunks of `chunk_bytes`.
struct Plan {
  std::vector<v1::ServerMessage> messages;
  int64_t chunks = 0;
};

inline Plan MakePlan(const WeightSource& src, int64_t plan_id, int begin,
                     int end, size_t chunk_bytes) {
  Plan plan;
  v1::ServerMessage assign;
  v1::Assign* a = assign.mutable_assign();
  a->set_plan_id(plan_id);
  a->set_layer_begin(begin);
  a->set_layer_end(end);
  a->set_n_layers(src.config().n_layers);
  a->set_source_format(src.metadata().source_format);
  a->set_arch_config_json(src.metadata().arch_config_json);
  a->set_context(kContext);
  a->set_max_sequences(kMaxSequences);
  a->set_max_step_tokens(kMaxStepTokens);
  a->set_window_chunks(1 << 20);
  plan.messages.push_back(assign);
  const std::vector<std::string> names =
      begin == end ? std::vector<std::string>{}
                   : LayerTensorNames(src.config(), begin, end);
  int64_t total = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<StoredWeight> w = src.Get(names[i]);
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return plan;
    const TensorEntry& e = w->entry;
    // The source's CRC is the payload's (checked independently here).
    EXPECT_EQ(e.crc, Crc32(w->payload.data(), w->payload.size())) << e.name;
    EXPECT_EQ(e.size, w->payload.size()) << e.name;
    v1::ServerMessage h;
    v1::TensorHeader* t = h.mutable_tensor();
    t->set_plan_id(plan_id);
    t->set_index(static_cast<int>(i));
    t->set_name(e.name);
    for (int64_t d : e.shape) t->add_shape(d);
    t->set_storage(rpc::ToProto(e.storage));
    if (e.storage == Storage::kSeedLM || e.storage == Storage::kTrellis) {
      *t->mutable_codec() = rpc::ToProto(e.codec);
      t->set_exponent_bias(e.exponent_bias);
    }
    t->set_size(static_cast<int64_t>(w->payload.size()));
    t->set_crc32(e.crc);
    plan.messages.push_back(h);
    for (size_t off = 0; off < w->payload.size(); off += chunk_bytes) {
      const size_t n = std::min(chunk_bytes, w->payload.size() - off);
      v1::ServerMessage c;
      c.mutable_chunk()->set_plan_id(plan_id);
      c.mutable_chunk()->set_index(static_cast<int>(i));
      c.mutable_chunk()->set_offset(static_cast<int64_t>(off));
      c.mutable_chunk()->set_data(
          reinterpret_cast<const char*>(w->payload.data()) + off, n);
      plan.messages.push_back(c);
      ++plan.chunks;
    }
    total += static_cast<int64_t>(w->payload.size());
  }
  plan.messages[0].mutable_assign()->set_tensor_count(
      static_cast<int>(names.size()));
  plan.messages[0].mutable_assign()->set_total_bytes(total);
  return plan;
}

// One scripted step: sequences to close and open, rows.
struct StepSpec {
  std::vector<int64_t> close, open;
  std::vector<ExecutorRows> rows;
};

inline std::vector<float> RandomHidden(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace seedlm::executor::testing_util

#endif  // SEEDLM_EXECUTOR_FAKE_EXECUTOR_SERVICE_H_
