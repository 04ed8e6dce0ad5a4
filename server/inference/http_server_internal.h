// Internal to the HTTP server (http_server.cc, http_server_status.cc): the
// per-request note behind the "request done" log line, and the executors'
// JSON shared by GET /v1/executors and GET /api/v1/status. Not an API.
#ifndef SEEDLM_SERVER_INFERENCE_HTTP_SERVER_INTERNAL_H_
#define SEEDLM_SERVER_INFERENCE_HTTP_SERVER_INTERNAL_H_

#include <string>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "server/inference/inference_core.h"

namespace seedlm::serve::http_internal {

// What the handlers learn about a request for its log line. A request is
// handled start to end (streamed bytes included) on one thread, and the
// library's logger runs on that thread after the response, so the note is
// per thread; the pre-routing handler resets it.
struct RequestNote {
  absl::Time start = absl::InfinitePast();
  std::string id;          // the OpenAI id ("" when none was made)
  int prompt_tokens = -1;  // -1: not known
  int completion_tokens = -1;
};

// The note of the request the calling thread handles.
RequestNote& CurrentRequestNote();

// [{id, kind, name, layers: [begin, end], bytes}] of the attached
// executors, in chain order.
nlohmann::json ExecutorsJson(const InferenceCore& core);

}  // namespace seedlm::serve::http_internal

#endif  // SEEDLM_SERVER_INFERENCE_HTTP_SERVER_INTERNAL_H_
