#include "client/cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace seedlm::cli {

ProgressBar::ProgressBar()
    : enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::Clear() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

void ProgressBar::Update(const std::string& label, int64_t done,
                         int64_t total) {
  if (!enabled_ || total <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double frac = static_cast<double>(done) / static_cast<double>(total);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  constexpr int kWidth = 30;
  char bar[kWidth + 1];
  const int filled = static_cast<int>(frac * kWidth);
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\r\033[K[%s] %5.1f%% %lld/%lld blocks  %.0fs left  %s",
               bar, 100 * frac, static_cast<long long>(done),
               static_cast<long long>(total), eta, label.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace seedlm::cli
