// The coordinator's JSON API and dashboard routes (http_api.h).
#include "server/coordinator/http_api.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "proto/rpc/json.h"
#include "server/common/http_status.h"
#include "server/coordinator/dashboard/dashboard_files.h"
#include "server/coordinator/job_proto.h"

namespace seedlm::coordinator {
namespace {

void SetError(httplib::Response& res, const absl::Status& s) {
  if (s.code() == absl::StatusCode::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
  obs::SetJsonError(res, obs::HttpStatusFor(s.code()),
                    std::string(s.message()));
}

void SetMessage(httplib::Response& res, const google::protobuf::Message& m) {
  absl::StatusOr<std::string> json = rpc::ToJson(m);
  if (!json.ok()) return SetError(res, json.status());
  obs::SetJson(res, 200, *json);
}

// Job ids are URL-safe and at most 64 bytes (compression.proto Job.id).
absl::Status CheckJobId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError("job id: 1..64 bytes");
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return absl::InvalidArgumentError("job id: [A-Za-z0-9._-] only");
  }
  return absl::OkStatus();
}

class HttpApi {
 public:
  HttpApi(Coordinator* coordinator, const rpc::TokenTable* tokens)
      : coordinator_(coordinator), tokens_(tokens) {}

  absl::StatusOr<Caller> Authorize(const httplib::Request& req) const {
    absl::StatusOr<rpc::Principal> p =
        tokens_->Check(obs::BearerToken(req), rpc::Role::kClient);
    if (!p.ok()) return p.status();
    return Caller{p->name, p->role == rpc::Role::kAdmin};
  }

  void ListJobs(const httplib::Request& req, httplib::Response& res) const {
    absl::StatusOr<Caller> caller = Authorize(req);
    if (!caller.ok()) return SetError(res, caller.status());
    absl::StatusOr<std::vector<JobView>> jobs = coordinator_->ListJobs(*caller);
    if (!jobs.ok()) return SetError(res, jobs.status());
    v1::ListJobsResponse out;
    for (const JobView& j : *jobs) *out.add_jobs() = JobToProto(j);
    SetMessage(res, out);
  }

  void GetJob(const httplib::Request& req, httplib::Response& res) const {
    absl::StatusOr<Caller> caller = Authorize(req);
    if (!caller.ok()) return SetError(res, caller.status());
    const std::string id = req.matches[1];
    if (absl::Status s = CheckJobId(id); !s.ok()) return SetError(res, s);
    absl::StatusOr<JobView> view = coordinator_->GetJob(*caller, id);
    if (!view.ok()) return SetError(res, view.status());
    absl::StatusOr<std::vector<ProgressPoint>> history =
        coordinator_->JobHistory(*caller, id);
    if (!history.ok()) return SetError(res, history.status());
    SetMessage(res, JobDetailToProto(*view, *history));
  }

  void Cancel(const httplib::Request& req, httplib::Response& res) const {
    absl::StatusOr<Caller> caller = Authorize(req);
    if (!caller.ok()) return SetError(res, caller.status());
    const std::string id = req.matches[1];
    if (absl::Status s = CheckJobId(id); !s.ok()) return SetError(res, s);
    absl::StatusOr<JobView> view = coordinator_->Cancel(*caller, id);
    if (!view.ok()) return SetError(res, view.status());
    SetMessage(res, JobToProto(*view));
  }

  void Delete(const httplib::Request& req, httplib::Response& res) const {
    absl::StatusOr<Caller> caller = Authorize(req);
    if (!caller.ok()) return SetError(res, caller.status());
    const std::string id = req.matches[1];
    if (absl::Status s = CheckJobId(id); !s.ok()) return SetError(res, s);
    if (absl::Status s = coordinator_->Delete(*caller, id); !s.ok()) {
      return SetError(res, s);
    }
    obs::SetJson(res, 200, "{}");
  }

  void Workers(const httplib::Request& req, httplib::Response& res) const {
    absl::StatusOr<Caller> caller = Authorize(req);
    if (!caller.ok()) return SetError(res, caller.status());
    if (!caller->admin) {
      return SetError(res, absl::PermissionDeniedError(
                               "the workers list needs an admin token"));
    }
    v1::ListWorkersResponse out;
    for (const WorkerView& w : coordinator_->Workers()) {
      *out.add_workers() = WorkerToProto(w);
    }
    SetMessage(res, out);
  }

 private:
  Coordinator* const coordinator_;
  const rpc::TokenTable* const tokens_;
};

void ServeFile(const DashboardFile& f, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  // Only our own script and style run: an injected element could not.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; "
                 "img-src 'self' data:; connect-src 'self'; "
                 "frame-ancestors 'none'");
  res.set_content(reinterpret_cast<const char*>(f.data), f.size,
                  f.content_type);
}

void RegisterDashboard(httplib::Server& s) {
  for (const DashboardFile& f : DashboardFiles()) {
    const std::string name = f.name;
    auto serve = [&f](const httplib::Request&, httplib::Response& res) {
      ServeFile(f, res);
    };
    s.Get("/" + name, serve);
    if (name == "index.html") {
      s.Get("/", serve);
      s.Get(R"(/jobs/[^/]+)", serve);
    }
  }
}

}  // namespace

void RegisterHttpApi(obs::HttpEndpoint& http, Coordinator* coordinator,
                     const rpc::TokenTable* tokens) {
  auto api = std::make_shared<HttpApi>(coordinator, tokens);
  httplib::Server& s = http.server();
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  s.Get("/api/v1/jobs", [api](Req q, Res r) { api->ListJobs(q, r); });
  s.Get(R"(/api/v1/jobs/([^/:]+))", [api](Req q, Res r) { api->GetJob(q, r); });
  s.Post(R"(/api/v1/jobs/([^/:]+)(?::cancel|/cancel))",
         [api](Req q, Res r) { api->Cancel(q, r); });
  s.Delete(R"(/api/v1/jobs/([^/:]+))",
           [api](Req q, Res r) { api->Delete(q, r); });
  s.Get("/api/v1/workers", [api](Req q, Res r) { api->Workers(q, r); });
  // Known routes with another method: 405; anything else under /api: 404.
  auto fallback = [](Req q, Res r) {
    static const std::regex known(
        R"(/api/v1/(jobs|workers|jobs/[^/:]+((:|/)cancel)?))");
    if (std::regex_match(q.path, known)) {
      obs::SetJsonError(r, 405, absl::StrCat(q.method, " not allowed here"));
    } else {
      obs::SetJsonError(r, 404, absl::StrCat("no route ", q.path));
    }
  };
  const char* kAny = R"(/api(/.*)?)";
  s.Get(kAny, fallback);
  s.Post(kAny, fallback);
  s.Put(kAny, fallback);
  s.Patch(kAny, fallback);
  s.Delete(kAny, fallback);
  RegisterDashboard(s);
}

}  // namespace seedlm::coordinator
