// A one-line terminal progress bar on stderr, redrawn at most every 100 ms.
// Does nothing when stderr is not a terminal. Thread-compatible (the
// compressor serialises its progress callbacks).
#ifndef SEEDLM_CLIENT_CLI_PROGRESS_BAR_H_
#define SEEDLM_CLIENT_CLI_PROGRESS_BAR_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace seedlm::cli {

class ProgressBar {
 public:
  ProgressBar();
  ~ProgressBar() { Clear(); }
  // Erases the bar (call before printing results).
  void Clear();
  void Update(const std::string& label, int64_t done, int64_t total);

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace seedlm::cli

#endif  // SEEDLM_CLIENT_CLI_PROGRESS_BAR_H_
