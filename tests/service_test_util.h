// Test-only: real service processes over loopback for the cross-process
// tests. A coordinator is started on 127.0.0.1:0 (or a given address) with
// --ready-file and the address it bound is read back; workers dial it; the
// `seedlm` CLI talks to it. Every child is stopped by PID when its handle
// goes away (Subprocess), and every wait has a deadline.
#ifndef SEEDLM_TESTS_SERVICE_TEST_UTIL_H_
#define SEEDLM_TESTS_SERVICE_TEST_UTIL_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/cli_test_util.h"
#include "tests/util/subprocess.h"

namespace seedlm::testing {

inline std::string Bin(const std::string& name) {
  return std::string(SEEDLM_BIN_DIR) + "/" + name;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Polls `pred` every 50 ms until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

struct Coordinator {
  std::unique_ptr<Subprocess> process;
  std::string address;  // host:port of CompressionService (and WorkService)
  std::string log;      // its stderr file
};

// Starts seedlm-coordinator with --state-dir `state_dir`, --listen `listen`
// and `extra` flags; waits (30 s) until it serves. Fails the test otherwise.
inline Coordinator StartCoordinator(const std::string& dir,
                                    const std::string& state_dir,
                                    const std::vector<std::string>& extra = {},
                                    const std::string& listen = "127.0.0.1:0") {
  static int n = 0;
  Coordinator c;
  const std::string ready = dir + "/ready" + std::to_string(++n) + ".json";
  c.log = dir + "/coordinator" + std::to_string(n) + ".log";
  std::vector<std::string> argv = {
      Bin("seedlm-coordinator"), "--state-dir=" + state_dir,
      "--listen=" + listen, "--ready-file=" + ready};
  argv.insert(argv.end(), extra.begin(), extra.end());
  SubprocessOptions opt;
  opt.stderr_path = c.log;
  opt.timeout = std::chrono::minutes(10);
  auto p = Subprocess::Start(argv, opt);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return c;
  c.process = std::move(*p);
  const bool up = WaitFor([&] { return std::filesystem::exists(ready); },
                          std::chrono::seconds(30));
  EXPECT_TRUE(up) << "coordinator did not start:\n" << ReadFile(c.log);
  if (!up) return c;
  auto j = nlohmann::json::parse(ReadFile(ready), nullptr, false);
  c.address = j.is_object() ? j.value("listen", "") : "";
  EXPECT_FALSE(c.address.empty());
  return c;
}

inline std::unique_ptr<Subprocess> StartWorker(
    const std::string& address, const std::string& log,
    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {Bin("seedlm-worker"),
                                   "--coordinator=" + address, "--threads=1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  SubprocessOptions opt;
  opt.stderr_path = log;
  opt.timeout = std::chrono::minutes(10);
  auto p = Subprocess::Start(argv, opt);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

// `seedlm jobs --json` against `address`; a null json on failure.
inline nlohmann::json Jobs(const std::string& address,
                           const std::string& extra = "") {
  Result r = RunSeedlm("jobs --json --coordinator " + address + " " + extra);
  if (r.code != 0) return nullptr;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// The first job of `seedlm jobs --json` (the newest), or null.
inline nlohmann::json FirstJob(const std::string& address) {
  nlohmann::json j = Jobs(address);
  if (!j.is_array() || j.empty()) return nullptr;
  return j[0];
}

}  // namespace seedlm::testing

#endif  // SEEDLM_TESTS_SERVICE_TEST_UTIL_H_
