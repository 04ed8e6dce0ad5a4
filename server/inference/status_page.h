// The inference server's status page (GET / of seedlm-serve's HTTP port):
// one self-contained HTML document (inline CSS and JS, no network) that
// polls GET /api/v1/status every second and shows the model, the attached
// executors with their layers, live tokens/s (from the change of
// tokens_generated_total between polls), queue depth and running batch
// size. With --auth-tokens the page asks for a client token, keeps it in
// sessionStorage and sends it as "Authorization: Bearer T". Every value
// from the server is written with textContent (never as HTML).
#ifndef SEEDLM_SERVER_INFERENCE_STATUS_PAGE_H_
#define SEEDLM_SERVER_INFERENCE_STATUS_PAGE_H_

namespace seedlm::serve {

// The page, NUL-terminated UTF-8 HTML. Immutable.
extern const char kStatusPageHtml[];

}  // namespace seedlm::serve

#endif  // SEEDLM_SERVER_INFERENCE_STATUS_PAGE_H_
