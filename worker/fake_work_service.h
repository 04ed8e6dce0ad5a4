// Test-only: a scripted WorkService (the coordinator's side of
// proto/seedlm/v1/work.proto) served by a real gRPC server on 127.0.0.1, for
// the worker's tests. It hands out queued units in order, answers every
// heartbeat (revoking the leases it was told to), records completions, and
// can forget its workers (a restart) or refuse them.
#ifndef SEEDLM_WORKER_FAKE_WORK_SERVICE_H_
#define SEEDLM_WORKER_FAKE_WORK_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/rpc/credentials.h"
#include "seedlm/v1/work.grpc.pb.h"

namespace seedlm::worker::testing_util {

namespace v1 = ::seedlm::v1;

inline constexpr auto kWait = std::chrono::seconds(60);  // no test waits longer

// A scripted coordinator. Thread-safe.
class FakeWorkService final : public v1::WorkService::Service {
 public:
  grpc::Status RegisterWorker(grpc::ServerContext* ctx,
                              const v1::RegisterWorkerRequest* req,
                              v1::RegisterWorkerResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!Authorized(*ctx)) return Unauthenticated();
    if (!refuse_.ok()) return grpc::Status(refuse_.error_code(), "refused");
    last_register_ = *req;
    const std::string id = "w" + std::to_string(++registrations_);
    known_.insert(id);
    resp->set_worker_id(id);
    resp->set_heartbeat_interval_ms(50);
    cv_.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status LeaseWork(grpc::ServerContext* ctx,
                         const v1::LeaseWorkRequest* req,
                         v1::LeaseWorkResponse* resp) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!Authorized(*ctx)) return Unauthenticated();
    ++lease_calls_;
    if (!known_.count(req->worker_id())) return NotFound();
    cv_.wait_for(
        lock,
        std::chrono::milliseconds(std::min<int64_t>(req->max_wait_ms(), 200)),
        [&] { return !queue_.empty(); });
    // Forgotten while it waited (ForgetWorkers): a lease to an unknown
    // worker would be lost, as a real coordinator never grants one.
    if (!known_.count(req->worker_id())) return NotFound();
    if (queue_.empty()) return grpc::Status::OK;
    resp->set_lease_id(queue_.front().first);
    *resp->mutable_unit() = queue_.front().second;
    resp->set_lease_timeout_ms(30000);
    leased_[queue_.front().first] = req->worker_id();
    queue_.pop_front();
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::HeartbeatResponse, v1::HeartbeatRequest>*
          stream) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!Authorized(*ctx)) return Unauthenticated();
    }
    v1::HeartbeatRequest req;
    while (stream->Read(&req)) {
      v1::HeartbeatResponse resp;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!known_.count(req.worker_id())) return NotFound();
        blocks_searched_ += req.blocks_searched();
        for (const std::string& id : req.lease_ids()) {
          named_.insert(id);
          if (revoke_.count(id)) resp.add_revoked_lease_ids(id);
        }
        cv_.notify_all();
      }
      if (!stream->Write(resp)) break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++streams_closed_;
    cv_.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status CompleteWork(grpc::ServerContext* ctx,
                            const v1::CompleteWorkRequest* req,
                            v1::CompleteWorkResponse* resp) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!Authorized(*ctx)) return Unauthenticated();
    if (!known_.count(req->worker_id())) return NotFound();
    completed_[req->lease_id()] = *req;
    resp->set_accepted(leased_[req->lease_id()] == req->worker_id());
    cv_.notify_all();
    return grpc::Status::OK;
  }

  void Add(const std::string& lease_id, const v1::WorkUnit& unit) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(lease_id, unit);
    cv_.notify_all();
  }
  // Heartbeats naming `lease_id` are answered with its revocation.
  void Revoke(const std::string& lease_id) {
    std::lock_guard<std::mutex> lock(mu_);
    revoke_.insert(lease_id);
  }
  // A restart that lost the workers: every known id becomes NOT_FOUND.
  void ForgetWorkers() {
    std::lock_guard<std::mutex> lock(mu_);
    known_.clear();
  }
  void Refuse(grpc::StatusCode code) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = grpc::Status(code, "refused");
  }
  // Waits (at most kWait) until `pred` holds under the lock.
  bool WaitUntil(const std::function<bool()>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWait, pred);
  }
  template <typename T>
  T Get(const T& field) {
    std::lock_guard<std::mutex> lock(mu_);
    return field;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string token_;  // every call must carry it ("" = any)
  int authorized_calls_ = 0;
  grpc::Status refuse_;
  int registrations_ = 0;
  int lease_calls_ = 0;
  int streams_closed_ = 0;
  int64_t blocks_searched_ = 0;
  v1::RegisterWorkerRequest last_register_;
  std::set<std::string> known_, revoke_, named_;
  std::deque<std::pair<std::string, v1::WorkUnit>> queue_;
  std::map<std::string, std::string> leased_;  // lease -> worker
  std::map<std::string, v1::CompleteWorkRequest> completed_;

 private:
  bool Authorized(const grpc::ServerContext& ctx) {
    if (!token_.empty() && rpc::BearerToken(ctx) != token_) return false;
    ++authorized_calls_;
    return true;
  }
  static grpc::Status Unauthenticated() {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
  }
  static grpc::Status NotFound() {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker");
  }
};

// The fake served on 127.0.0.1 (`port` 0: any free port).
struct FakeServer {
  // Plaintext, or TLS with `creds`.
  explicit FakeServer(int port = 0,
                      std::shared_ptr<grpc::ServerCredentials> creds =
                          grpc::InsecureServerCredentials()) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:" + std::to_string(port), creds, &this->port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
    EXPECT_NE(server, nullptr);
  }
  ~FakeServer() { Shutdown(); }
  void Shutdown() {
    if (server)
      server->Shutdown(std::chrono::system_clock::now() +
                       std::chrono::seconds(1));
    server.reset();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  FakeWorkService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

}  // namespace seedlm::worker::testing_util

#endif  // SEEDLM_WORKER_FAKE_WORK_SERVICE_H_
