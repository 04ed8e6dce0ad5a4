// The coordinator's JSON API and dashboard on its HTTP port (--http), a thin
// adapter over Coordinator like the gRPC services (services.h): it checks
// the bearer token, converts, calls the coordinator and writes the v1
// message as JSON (proto/rpc/json.h: proto field names, every field, int64
// as strings). No logic of its own.
//
//   GET    /api/v1/jobs               v1.ListJobsResponse (newest first)
//   GET    /api/v1/jobs/{id}          v1.JobDetail (job + progress history)
//   POST   /api/v1/jobs/{id}:cancel   v1.Job   (also .../{id}/cancel)
//   DELETE /api/v1/jobs/{id}          {}       (job, result and upload gone)
//   GET    /api/v1/workers            v1.ListWorkersResponse (admins)
//   GET    /, /index.html, /jobs/{id} the dashboard (dashboard/index.html),
//          /app.js, /style.css        its script and style (public: they
//                                     hold no data; the API needs the token)
//
// Auth as over gRPC: with a token table, every /api/v1 call needs
// "Authorization: Bearer T" of a client (or admin): 401 without or with an
// unknown token, 403 for another role or another client's job (admins see
// all). Errors are {"error": {"code": <HTTP status>, "message": "..."}}
// with the status of server/common/http_status.h: 400 malformed id or
// cancelling an ended job (FAILED_PRECONDITION), 404 unknown job or route,
// 405 known route with another method.
//
// Thread-safety: register before HttpEndpoint::Start; handlers run
// concurrently (the coordinator is thread-safe).
#ifndef SEEDLM_SERVER_COORDINATOR_HTTP_API_H_
#define SEEDLM_SERVER_COORDINATOR_HTTP_API_H_

#include "proto/rpc/credentials.h"
#include "server/common/http_endpoint.h"
#include "server/coordinator/coordinator.h"

namespace seedlm::coordinator {

// Adds the routes above to `http` (not yet started). Borrows `coordinator`
// and `tokens`; both must outlive the endpoint's serving.
void RegisterHttpApi(obs::HttpEndpoint& http, Coordinator* coordinator,
                     const rpc::TokenTable* tokens);

}  // namespace seedlm::coordinator

#endif  // SEEDLM_SERVER_COORDINATOR_HTTP_API_H_
