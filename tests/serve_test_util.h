// Test-only: a real seedlm-serve process over loopback for the
// cross-process tests (gRPC on 127.0.0.1:0, HTTP on 127.0.0.1:0, addresses
// read back from --ready-file), and small HTTP helpers over httplib. The
// child is stopped by PID when its handle goes away; every wait has a
// deadline.
#ifndef SEEDLM_TESTS_SERVE_TEST_UTIL_H_
#define SEEDLM_TESTS_SERVE_TEST_UTIL_H_

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/model/synth.h"
#include "core/util/shared_data.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/service_test_util.h"

namespace seedlm::testing {

// stories260K (../shared) compressed by `seedlm compress` into `dir` with
// the default preset, or with `preset`; made once per dir and preset.
inline std::string CompressedStories(const std::string& dir,
                                     const std::string& preset = "") {
  const std::string out = dir + "/stories" + preset + ".seedlm";
  if (!std::filesystem::exists(out)) {
    Result r = RunSeedlm(
        "compress " + SharedDataPath("data/stories260K/stories260K.bin") + " " +
        out + (preset.empty() ? "" : " --preset " + preset));
    EXPECT_EQ(r.code, 0) << r.err;
  }
  return out;
}

struct Served {
  std::unique_ptr<Subprocess> process;
  std::string grpc;  // host:port
  std::string host;
  int http_port = 0;
  std::string log;
  int pid = 0;

  httplib::Client Http() const {
    httplib::Client c(host, http_port);
    c.set_connection_timeout(10);
    c.set_read_timeout(120);
    c.set_write_timeout(10);
    return c;
  }
};

// Starts seedlm-serve --model `model` with `extra` flags; waits (60 s) for
// its ready file, or until it exits. Fails the test otherwise.
inline std::unique_ptr<Served> StartServe(
    const std::string& dir, const std::string& model,
    const std::vector<std::string>& extra = {}) {
  static int n = 0;
  auto s = std::make_unique<Served>();
  const std::string ready = dir + "/serve_ready" + std::to_string(++n);
  s->log = dir + "/serve" + std::to_string(n) + ".log";
  std::vector<std::string> argv = {
      Bin("seedlm-serve"),  "--model=" + model,      "--listen=127.0.0.1:0",
      "--http=127.0.0.1:0", "--ready-file=" + ready, "--threads=2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  SubprocessOptions opt;
  opt.stderr_path = s->log;
  opt.timeout = std::chrono::minutes(10);
  auto p = Subprocess::Start(argv, opt);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return nullptr;
  s->process = std::move(*p);
  // Stops waiting early when the server exits (a bad flag, a missing file).
  WaitFor(
      [&] {
        return std::filesystem::exists(ready) ||
               s->process->Wait(std::chrono::milliseconds(0)).ok();
      },
      std::chrono::seconds(60));
  const bool up = std::filesystem::exists(ready);
  EXPECT_TRUE(up) << "seedlm-serve did not start:\n" << ReadFile(s->log);
  if (!up) return nullptr;
  auto j = nlohmann::json::parse(ReadFile(ready), nullptr, false);
  s->grpc = j.value("listen", "");
  const std::string http = j.value("http", "");
  s->host = http.substr(0, http.rfind(':'));
  s->http_port = std::stoi(http.substr(http.rfind(':') + 1));
  s->pid = j.value("pid", 0);
  return s;
}

// A synthetic model (dim 384, 4 layers, tok512.bin's 512-token vocabulary)
// slow enough that a long stream runs for seconds; written once into `dir`.
inline std::string SlowModel(const std::string& dir) {
  const std::string out = dir + "/slow";
  if (std::filesystem::exists(out)) return out;
  SynthOptions so;
  so.dim = 384;
  so.hidden = 1024;
  so.layers = 4;
  so.heads = 6;
  so.vocab = 512;
  EXPECT_TRUE(WriteSyntheticModel(out, so).ok());
  return out;
}

// POSTs `body` to `path`; the response (status -1 when it failed).
struct HttpReply {
  int status = -1;
  std::string body;
  std::string retry_after;
  nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, false);
  }
};

inline HttpReply Post(const Served& s, const std::string& path,
                      const std::string& body, const std::string& token = "") {
  httplib::Client c = s.Http();
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto res = c.Post(path.c_str(), h, body, "application/json");
  HttpReply r;
  if (!res) {
    r.body = "client error: " + httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.retry_after = res->get_header_value("Retry-After");
  return r;
}

// The data payloads of a server-sent-event body, in order.
inline std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  return out;
}

// The peak resident set of process `pid` (VmHWM), in KiB; 0 if unknown.
inline int64_t PeakRssKiB(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

}  // namespace seedlm::testing

#endif  // SEEDLM_TESTS_SERVE_TEST_UTIL_H_
