// The JSON API over a real HttpEndpoint and a real Coordinator (temp state
// dir, a small model under its root) through httplib::Client on loopback:
// response shapes, history, auth codes (401/403 per role and owner), 404 /
// 400 / 405, hostile ids and tensor names, and the dashboard files.
#include "server/coordinator/http_api.h"

#include <fstream>
#include <memory>
#include <string>

#include "core/compress/plan_test_util.h"
#include "core/model/safetensors.h"
#include "core/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace seedlm::coordinator {
namespace {

using testing_util::ScratchDir;

constexpr char kHostile[] = "layers.0.<img src=x onerror=alert(1)>\"'&.weight";

// A model with one ordinary and one hostile-named 2-D tensor.
std::string WriteModel(const ScratchDir& dir) {
  std::vector<float> w(64 * 32, 0.01f);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.001f * float(i % 97) - 0.05f;
  absl::Span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(w.data()),
                                  w.size() * 4);
  const std::string path = dir.File("m.safetensors");
  EXPECT_TRUE(
      WriteSafetensors(
          path,
          {{TensorInfo{"layers.0.attention.wq.weight", {64, 32}, DType::kF32},
            bytes},
           {TensorInfo{kHostile, {64, 32}, DType::kF32}, bytes}},
          {})
          .ok());
  return path;
}

class HttpApiTest : public ::testing::Test {
 protected:
  void StartAll(bool auth) {
    WriteModel(dir_);
    if (auth) {
      std::ofstream(dir_.File("tokens"))
          << "admin-token-0 admin boss\nalice-token-1 client alice\n"
             "bob-token-22 client bob\nworker-token-3 worker w\n";
      auto t = rpc::TokenTable::Load(dir_.File("tokens"));
      ASSERT_TRUE(t.ok()) << t.status();
      tokens_ = std::move(*t);
    }
    CoordinatorOptions o;
    o.state_dir = dir_.File("state");
    o.model_root = dir_.path();
    o.unit_blocks = 8;
    auto c = Coordinator::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_ = std::move(*c);
    http_ = std::make_unique<obs::HttpEndpoint>(nullptr);
    RegisterHttpApi(*http_, coordinator_.get(), &tokens_);
    auto bound = http_->Start("127.0.0.1:0");
    ASSERT_TRUE(bound.ok()) << bound.status();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
    client_->set_read_timeout(10, 0);
  }
  void TearDown() override {
    if (http_) http_->Stop();
    if (coordinator_) coordinator_->Shutdown();
  }
  httplib::Headers Auth(const std::string& token) {
    if (token.empty()) return {};
    return {{"Authorization", "Bearer " + token}};
  }
  // status, parsed body (null when not JSON).
  std::pair<int, Json> Call(const std::string& method, const std::string& path,
                            const std::string& token = "") {
    httplib::Result r = [&] {
      if (method == "GET") return client_->Get(path, Auth(token));
      if (method == "POST") {
        return client_->Post(path, Auth(token), "", "text/plain");
      }
      if (method == "DELETE") return client_->Delete(path, Auth(token));
      return client_->Put(path, Auth(token), "", "text/plain");
    }();
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return {0, nullptr};
    auto j = ParseJson(r->body, "response");
    return {r->status, j.ok() ? *j : Json(nullptr)};
  }
  std::string Submit(const std::string& owner) {
    JobSpec s;
    s.server_path = "m.safetensors";
    s.preset = "4bit";
    s.include = {"weight"};
    s.display_name = "<b>job</b>";
    auto v = coordinator_->Submit(Caller{owner, owner.empty()}, s);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->record.id : "";
  }
  void WaitRunning(const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      auto v = coordinator_->GetJob(Caller{}, id);
      if (v.ok() && v->record.phase == JobPhase::kRunning) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "job " << id << " not running";
  }

  ScratchDir dir_;
  rpc::TokenTable tokens_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<obs::HttpEndpoint> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpApiTest, ShapesOfJobsJobDetailAndWorkers) {
  StartAll(/*auth=*/false);
  const std::string id = Submit("");
  WaitRunning(id);
  WorkerHello hello;
  hello.name = "w<1>";
  hello.threads = 3;
  hello.handshakes = {*CodecHandshakeFor(*PresetByName("4bit"))};
  auto wid = coordinator_->RegisterWorker(hello);
  ASSERT_TRUE(wid.ok()) << wid.status();
  ASSERT_TRUE(coordinator_->Heartbeat(*wid, {}, 100).ok());
  absl::SleepFor(absl::Milliseconds(1500));  // >= 1 history sample
  ASSERT_TRUE(coordinator_->Heartbeat(*wid, {}, 300).ok());

  auto [code, list] = Call("GET", "/api/v1/jobs");
  ASSERT_EQ(code, 200) << list;
  ASSERT_EQ(list["jobs"].size(), 1u);
  const Json& job = list["jobs"][0];
  EXPECT_EQ(job["id"], id);
  EXPECT_EQ(job["state"], "JOB_STATE_RUNNING");
  EXPECT_EQ(job["display_name"], "<b>job</b>");
  EXPECT_EQ(job["error"], "");                               // defaults present
  EXPECT_TRUE(job["progress"]["blocks_total"].is_string());  // int64
  EXPECT_GT(std::stoll(job["progress"]["blocks_total"].get<std::string>()), 0);
  EXPECT_EQ(list["next_page_token"], "");

  auto [dcode, detail] = Call("GET", "/api/v1/jobs/" + id);
  ASSERT_EQ(dcode, 200) << detail;
  EXPECT_EQ(detail["job"]["id"], id);
  const Json& tensors = detail["job"]["progress"]["tensors"];
  ASSERT_EQ(tensors.size(), 2u);
  bool hostile = false;
  for (const Json& t : tensors) hostile |= t["name"] == kHostile;
  EXPECT_TRUE(hostile) << tensors;
  ASSERT_GE(detail["history"].size(), 1u);
  const Json& s = detail["history"][0];
  EXPECT_TRUE(s["time_seconds"].is_number());
  EXPECT_NEAR(s["time_seconds"].get<double>(),
              absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 30);
  EXPECT_EQ(s["blocks_done"], "0");
  EXPECT_TRUE(s["blocks_per_second"].is_number());

  auto [wcode, workers] = Call("GET", "/api/v1/workers");
  ASSERT_EQ(wcode, 200) << workers;
  ASSERT_EQ(workers["workers"].size(), 1u);
  const Json& w = workers["workers"][0];
  EXPECT_EQ(w["id"], *wid);
  EXPECT_EQ(w["name"], "w<1>");
  EXPECT_EQ(w["threads"], 3);
  EXPECT_EQ(w["blocks_searched"], "400");
  EXPECT_EQ(w["units_done"], "0");
  EXPECT_EQ(w["results_rejected"], "0");
  EXPECT_EQ(w["leases_held"], "0");
  // 300 blocks in ~1.5 s between the two heartbeats.
  EXPECT_GT(w["blocks_per_second"].get<double>(), 100);
  EXPECT_LT(w["blocks_per_second"].get<double>(), 300);
  EXPECT_NEAR(w["last_seen_time_seconds"].get<double>(),
              absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), 5);
}

TEST_F(HttpApiTest, CancelDeleteAndErrorCodes) {
  StartAll(/*auth=*/false);
  const std::string id = Submit("");
  WaitRunning(id);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/nosuchjob").first, 404);
  auto [bad, body] = Call("GET", "/api/v1/jobs/%3Cimg%20src%3Dx%3E");
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(body["error"]["code"], 400);
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + std::string(65, 'a')).first, 400);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/..%2F..%2Fetc").first, 404);
  EXPECT_EQ(Call("GET", "/api/v1/nope").first, 404);
  EXPECT_EQ(Call("PUT", "/api/v1/jobs").first, 405);
  EXPECT_EQ(Call("DELETE", "/api/v1/jobs/" + id + ":cancel").first, 405);
  EXPECT_EQ(Call("POST", "/api/v1/jobs/nosuchjob:cancel").first, 404);

  auto [c1, cancelled] = Call("POST", "/api/v1/jobs/" + id + ":cancel");
  ASSERT_EQ(c1, 200) << cancelled;
  EXPECT_EQ(cancelled["state"], "JOB_STATE_CANCELLED");
  auto [c2, again] = Call("POST", "/api/v1/jobs/" + id + "/cancel");
  EXPECT_EQ(c2, 400) << again;
  EXPECT_EQ(again["error"]["code"], 400);
  auto [d1, deleted] = Call("DELETE", "/api/v1/jobs/" + id);
  EXPECT_EQ(d1, 200) << deleted;
  EXPECT_EQ(deleted, Json::object());
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + id).first, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/jobs/" + id).first, 404);
}

TEST_F(HttpApiTest, TokensRolesAndOwnership) {
  StartAll(/*auth=*/true);
  const std::string alice_job = Submit("alice");
  EXPECT_EQ(Call("GET", "/api/v1/jobs").first, 401);
  EXPECT_EQ(Call("GET", "/api/v1/jobs", "not-a-token").first, 401);
  EXPECT_EQ(Call("GET", "/api/v1/workers").first, 401);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + alice_job).first, 401);
  EXPECT_EQ(Call("GET", "/api/v1/jobs", "worker-token-3").first, 403);

  auto [a, alice_list] = Call("GET", "/api/v1/jobs", "alice-token-1");
  ASSERT_EQ(a, 200);
  ASSERT_EQ(alice_list["jobs"].size(), 1u);
  EXPECT_EQ(alice_list["jobs"][0]["owner"], "alice");
  auto [b, bob_list] = Call("GET", "/api/v1/jobs", "bob-token-22");
  ASSERT_EQ(b, 200);
  EXPECT_EQ(bob_list["jobs"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + alice_job, "bob-token-22").first,
            403);
  EXPECT_EQ(
      Call("POST", "/api/v1/jobs/" + alice_job + ":cancel", "bob-token-22")
          .first,
      403);
  EXPECT_EQ(Call("DELETE", "/api/v1/jobs/" + alice_job, "bob-token-22").first,
            403);
  EXPECT_EQ(Call("GET", "/api/v1/workers", "alice-token-1").first, 403);
  EXPECT_EQ(Call("GET", "/api/v1/workers", "admin-token-0").first, 200);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + alice_job, "admin-token-0").first,
            200);
  EXPECT_EQ(Call("GET", "/api/v1/jobs/" + alice_job, "alice-token-1").first,
            200);
  EXPECT_EQ(Call("DELETE", "/api/v1/jobs/" + alice_job, "alice-token-1").first,
            200);
}

TEST_F(HttpApiTest, ServesTheDashboardWithoutToken) {
  StartAll(/*auth=*/true);
  for (const char* path : {"/", "/index.html", "/jobs/abc"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_NE(r->body.find("<script src=\"/app.js\""), std::string::npos);
    EXPECT_NE(r->get_header_value("Content-Type").find("text/html"),
              std::string::npos);
    EXPECT_NE(r->get_header_value("Content-Security-Policy")
                  .find("script-src 'self'"),
              std::string::npos);
  }
  auto js = client_->Get("/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_NE(js->body.find("textContent"), std::string::npos);
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos);
  auto css = client_->Get("/style.css");
  ASSERT_TRUE(css);
  EXPECT_NE(css->get_header_value("Content-Type").find("text/css"),
            std::string::npos);
}

}  // namespace
}  // namespace seedlm::coordinator
